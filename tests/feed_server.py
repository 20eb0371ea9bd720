"""A loopback news site for the feed tests: feeds, article pages with boilerplate, and misbehaviour.

It listens on 127.0.0.1 only, answers at most `budget` requests (then 503), and shuts
itself down after `lifetime` seconds even if a test never stops it. Every request is
logged (path, time, conditional headers) so tests can assert what was fetched.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PARAGRAPHS = {
    "bridge": [
        "The Harbour Bridge reopened to traffic on Monday after fourteen months of repairs that cost 38 million "
        "pounds, the city's transport department said.",
        "Engineers replaced 212 steel cables and the whole road deck, which had been corroded by salt spray since "
        "the bridge was built in 1931.",
        "Before it closed in January last year the bridge carried 41,000 vehicles a day, and the detour added up to "
        "forty minutes to journeys across the estuary.",
        "Transport director Alma Reyes said the new deck was designed to last at least sixty years and that tolls "
        "would not rise this year.",
        "Cyclists will have a separate lane for the first time, a change campaigners had sought for a decade.",
    ],
    "budget": [
        "The city council approved a budget of 412 million pounds on Tuesday night after a debate that lasted "
        "more than six hours.",
        "Spending on schools rises by four percent, while the parks department loses two of its nine depots.",
        "Council leader Tomas Berg said the plan protected front-line services despite a fall in government grants.",
        "Opposition members voted against it, arguing that a planned rise in parking charges would hurt high-street "
        "shops.",
    ],
    "library": [
        "A new branch library will open in the Northgate district in September, the first new library in the city "
        "for twenty years.",
        "The branch will hold 30,000 books and a digital workshop with 3D printers, and it will open seven days a "
        "week.",
        "Head librarian Priya Nair said membership had grown by a third since the pandemic, driven by families and "
        "students.",
    ],
    "ferry": [
        "The island ferry service was suspended on Wednesday after a storm damaged the pier at Eastport, the "
        "operator said.",
        "About 1,200 passengers a day use the crossing, and a replacement bus and boat service will run from the "
        "north harbour until repairs are finished.",
        "The operator expects the pier to reopen within three weeks, once divers have inspected its foundations.",
    ],
}

BOILERPLATE_TOP = """
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li>
<li><a href="/weather">Weather</a></li><li><a href="/subscribe">Subscribe</a></li></ul></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies or manage settings.</div>
<div class="ad">Advertisement: Holiday deals up to 50% off - book now!</div></header>
"""
BOILERPLATE_BOTTOM = """
<aside class="related"><h3>Most read</h3><ul><li><a href="/a">Local team wins cup</a></li>
<li><a href="/b">Weather warning for the weekend</a></li><li><a href="/c">Ten best cafes in town</a></li></ul></aside>
<footer><p>Sign up to our newsletter for the day's top stories.</p><p>&copy; 2017 Testville Media Group. All rights
reserved. Terms of use | Privacy policy | Contact us</p></footer>
"""


def page(title: str, story: str, *, site: str, published: str, canonical: str, extra: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[story])
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | {site}</title>
<meta property="og:site_name" content="{site}"><meta property="og:title" content="{title}">
<meta property="article:published_time" content="{published}T08:30:00Z">
<link rel="canonical" href="{canonical}"></head><body>{BOILERPLATE_TOP}
<main><article><h1>{title}</h1><p class="byline">By Staff Reporter</p>{body}{extra}</article></main>
{BOILERPLATE_BOTTOM}</body></html>"""


def rss(base: str, items: list[tuple[str, str, str]], *, title: str = "Gazette of Testville", extra: str = "") -> str:
    entries = "".join(
        f"<item><title>{t}</title><link>{base}{path}</link><guid>{base}{path}</guid><pubDate>{d}</pubDate></item>"
        for t, path, d in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>{title}</title>
<link>{base}/</link><description>Local news</description>{entries}{extra}</channel></rss>"""


@dataclass
class Request:
    path: str
    at: float
    if_none_match: str = ""
    user_agent: str = ""


@dataclass
class NewsSite:
    """Routes → (status, content type, body, headers); a log of requests."""

    budget: int = 300
    lifetime: float = 300.0
    slow_seconds: float = 3.0
    log: list[Request] = field(default_factory=list)
    routes: dict = field(default_factory=dict)
    base: str = ""

    def start(self) -> NewsSite:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                site.log.append(
                    Request(
                        self.path,
                        time.monotonic(),
                        self.headers.get("If-None-Match", ""),
                        self.headers.get("User-Agent", ""),
                    )
                )
                if len(site.log) > site.budget:
                    return self._send(503, "text/plain", b"request budget spent")
                route = site.routes.get(self.path.split("?")[0])
                if route is None:
                    return self._send(404, "text/plain", b"not found")
                status, kind, body, headers = route(self) if callable(route) else route
                self._send(status, kind, body.encode() if isinstance(body, str) else body, headers)

            def _send(self, status, kind, body, headers=None):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        self._timer.cancel()
        self.server.shutdown()
        self.server.server_close()

    def paths(self) -> list[str]:
        return [r.path for r in self.log]


def news_site(**kw) -> NewsSite:
    """The site of the tests: three feeds (RSS with an ETag, Atom, JSON Feed), a wire copy on a second outlet's
    feed, and pages that fail in every way a real site does."""
    s = NewsSite(**kw).start()
    b = s.base
    etag = '"rss-v1"'

    def rss_feed(handler):
        if handler.headers.get("If-None-Match") == etag:
            return 304, "application/rss+xml", b"", {"ETag": etag}
        items = [
            (
                "Harbour Bridge reopens after repairs",
                "/news/bridge.html?utm_source=rss&utm_medium=feed",
                "Mon, 20 Mar 2017 08:30:00 GMT",
            ),
            ("Secret page", "/private/secret.html", "Mon, 20 Mar 2017 09:00:00 GMT"),
            ("Server error", "/news/error.html", "Mon, 20 Mar 2017 09:10:00 GMT"),
            ("Slow page", "/news/slow.html", "Mon, 20 Mar 2017 09:20:00 GMT"),
            ("Redirect loop", "/go/1", "Mon, 20 Mar 2017 09:30:00 GMT"),
            ("Huge page", "/news/huge.html", "Mon, 20 Mar 2017 09:40:00 GMT"),
            ("Bridge again, other link", "/news/bridge.html", "Mon, 20 Mar 2017 08:30:00 GMT"),
            ("Short redirect", "/moved/ferry", "Wed, 22 Mar 2017 10:00:00 GMT"),
        ]
        full = "".join(f"<p>{p}</p>" for p in PARAGRAPHS["library"])
        extra = (
            f"<item><title>Library to open new branch</title><link>{b}/gone/library.html</link>"
            f"<pubDate>Tue, 21 Mar 2017 07:00:00 GMT</pubDate>"
            f"<content:encoded><![CDATA[{full}]]></content:encoded></item>"
        )
        return 200, "application/rss+xml; charset=utf-8", rss(b, items, extra=extra), {"ETag": etag}

    s.routes.update(
        {
            "/robots.txt": (200, "text/plain", "User-agent: *\nDisallow: /private/\n", {}),
            "/rss.xml": rss_feed,
            "/atom.xml": (
                200,
                "application/atom+xml",
                f"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Gazette of Testville: Politics</title><id>{b}/atom.xml</id><updated>2017-03-21T22:00:00Z</updated>
<entry><title>Council approves budget</title><link href="{b}/politics/budget.html"/><id>{b}/politics/budget.html</id>
<updated>2017-03-21T22:00:00Z</updated></entry></feed>""",
                {},
            ),
            "/feed.json": (
                200,
                "application/feed+json",
                json.dumps(
                    {
                        "version": "https://jsonfeed.org/version/1.1",
                        "title": "Coastal Times",
                        "items": [
                            {
                                "id": "1",
                                "url": f"{b}/wire/bridge-copy.html",
                                "title": "Bridge open again",
                                "date_published": "2017-03-20T12:00:00Z",
                            },  # fmt: skip
                        ],
                    }
                ),
                {},
            ),
            "/bad.xml": (200, "application/rss+xml", "<rss><channel><title>Broken</title><item><title>x</ite", {}),
            "/news/bridge.html": (
                200,
                "text/html; charset=utf-8",
                page(
                    "Harbour Bridge reopens after repairs",
                    "bridge",
                    site="Gazette of Testville",
                    published="2017-03-20",
                    canonical=f"{b}/news/bridge.html",
                ),  # fmt: skip
                {},
            ),
            "/wire/bridge-copy.html": (
                200,
                "text/html; charset=utf-8",
                page(
                    "Bridge open again after 14 months",
                    "bridge",
                    site="Coastal Times",
                    published="2017-03-20",
                    canonical=f"{b}/wire/bridge-copy.html",
                    extra="<p>This story first appeared in the Gazette of Testville.</p>",
                ),  # fmt: skip
                {},
            ),
            "/politics/budget.html": (
                200,
                "text/html; charset=utf-8",
                page(
                    "Council approves budget",
                    "budget",
                    site="Gazette of Testville",
                    published="2017-03-21",
                    canonical=f"{b}/politics/budget.html",
                ),  # fmt: skip
                {},
            ),
            "/news/ferry.html": (
                200,
                "text/html; charset=utf-8",
                page(
                    "Ferry suspended after storm",
                    "ferry",
                    site="Gazette of Testville",
                    published="2017-03-22",
                    canonical=f"{b}/news/ferry.html",
                ),  # fmt: skip
                {},
            ),
            "/moved/ferry": (301, "text/plain", "", {"Location": "/news/ferry.html"}),
            "/private/secret.html": (200, "text/html", "<p>never to be fetched</p>", {}),
            "/news/error.html": (500, "text/plain", "internal error", {}),
            "/news/slow.html": lambda h: (time.sleep(s.slow_seconds), (200, "text/html", "<p>late</p>", {}))[1],
            "/news/huge.html": (
                200,
                "text/html",
                "<html><body>" + "<p>padding text</p>" * 40_000 + "</body></html>",
                {},
            ),
            "/gone/library.html": (404, "text/plain", "gone", {}),
        }
    )
    for i in range(1, 6):
        s.routes[f"/go/{i}"] = (302, "text/plain", "", {"Location": f"/go/{i + 1}"})
    return s
