"""A polite HTTP client for feeds and article pages (`httpx`).

Polite means: a User-Agent naming the project, its version and a contact; ``robots.txt``
honoured per host (read once per client); conditional GET (``If-None-Match`` /
``If-Modified-Since``) so an unchanged feed costs one 304; a delay between requests to
the same host and at most `per_host` of them at once; connect and read timeouts; a
largest accepted body; a few redirects at most, each checked like the first request;
http and https only. Every refusal or failure is a `FetchError` whose message names
the URL and says why.
"""

from __future__ import annotations

import contextlib
import threading
import time
import urllib.robotparser
from dataclasses import dataclass, field
from importlib import metadata
from urllib.parse import urljoin, urlsplit

import httpx

from .errors import RagError

PROJECT_URL = "https://github.com/rag-news/rag"


class FetchError(RagError):
    """A URL that could not be fetched (failed, too large, too slow, …)."""


class Disallowed(FetchError):
    """A URL the site's robots.txt does not let this client fetch: never requested."""


@dataclass(frozen=True)
class WebSettings:
    """How the client behaves; the defaults suit public news sites."""

    contact: str = ""  # an e-mail or URL for site operators, in the User-Agent
    delay: float = 1.0  # seconds between two requests to the same host
    per_host: int = 2  # requests to one host at the same time
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    max_bytes: int = 5_000_000  # a larger body is refused (a feed or an article page is far smaller)
    max_redirects: int = 3

    @property
    def user_agent(self) -> str:
        try:
            version = metadata.version("rag")
        except metadata.PackageNotFoundError:
            version = "dev"
        contact = f"; {self.contact}" if self.contact else ""
        return f"rag-news/{version} (+{PROJECT_URL}{contact})"


@dataclass(frozen=True)
class Fetched:
    """A response read in full: the final URL (after redirects), status, body and validators."""

    url: str
    status: int  # 200, or 304 for an unchanged conditional request
    content: bytes = b""
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""

    @property
    def text(self) -> str:
        charset = "utf-8"
        for part in self.content_type.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip("\"'")
        return self.content.decode(charset, errors="replace")


@dataclass
class _Host:
    """One host's robots rules, the time of its last request, and its concurrency slots."""

    slots: threading.Semaphore
    lock: threading.RLock = field(default_factory=threading.RLock)  # robots.txt is read holding it
    last: float = 0.0
    robots: urllib.robotparser.RobotFileParser | None = None


class PoliteClient:
    """Fetch URLs politely (see the module). Thread-safe; one per update. Use as a context manager."""

    def __init__(self, settings: WebSettings = WebSettings(), *, transport: httpx.BaseTransport | None = None):
        self.settings = settings
        self.requests: list[str] = []  # every URL requested, robots.txt included, in order (for reports and tests)
        self._hosts: dict[str, _Host] = {}
        self._lock = threading.Lock()
        timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
        self._http = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            transport=transport,
        )

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc) -> None:
        self._http.close()

    def get(self, url: str, *, etag: str = "", last_modified: str = "", accept: str = "") -> Fetched:
        """GET `url`, following at most `max_redirects` redirects. With `etag` / `last_modified`, an unchanged
        resource comes back as status 304 with no body."""
        headers = {"Accept": accept} if accept else {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for _ in range(self.settings.max_redirects + 1):
            self._check(url)
            response = self._request(url, headers)
            if response.status_code in (301, 302, 303, 307, 308):
                response.close()
                location = response.headers.get("location")
                if not location:
                    raise FetchError(f"{url}: redirect ({response.status_code}) without a Location")
                url = urljoin(url, location)
                continue
            return self._read(url, response)
        raise FetchError(f"{url}: more than {self.settings.max_redirects} redirects")

    def _check(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"{url}: only http and https URLs are fetched")
        if not self.allowed(url):
            raise Disallowed(f"{url}: disallowed by {parts.scheme}://{parts.netloc}/robots.txt")

    def allowed(self, url: str) -> bool:
        """Whether the host's robots.txt lets this client fetch `url` (a missing robots.txt allows all)."""
        host = self._host(url)
        with host.lock:
            if host.robots is None:
                host.robots = self._robots(url)
        return host.robots.can_fetch(self.settings.user_agent, url)

    def _robots(self, url: str) -> urllib.robotparser.RobotFileParser:
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        rules = urllib.robotparser.RobotFileParser(robots_url)
        try:
            response = self._request(robots_url, {})
            try:
                body = response.read()[: self.settings.max_bytes] if response.status_code == 200 else b""
            finally:
                response.close()
            if response.status_code in (401, 403):
                rules.disallow_all = True
            else:
                rules.parse(body.decode("utf-8", errors="replace").splitlines())
        except (FetchError, httpx.HTTPError):
            rules.parse([])  # robots.txt unreachable: as if there were none
        return rules

    def _host(self, url: str) -> _Host:
        key = urlsplit(url).netloc.lower()
        with self._lock:
            if key not in self._hosts:
                self._hosts[key] = _Host(threading.Semaphore(self.settings.per_host))
            return self._hosts[key]

    def _request(self, url: str, headers: dict) -> httpx.Response:
        """One request, after the host's delay, within its concurrency slots; the body is left unread."""
        host = self._host(url)
        with host.slots:
            self._wait_turn(host)
            self.requests.append(url)
            with _failures_of(url):
                return self._http.send(self._http.build_request("GET", url, headers=headers), stream=True)

    def _wait_turn(self, host: _Host) -> None:
        """Rate limiting: wait until `delay` has passed since this host's previous request."""
        with host.lock:
            wait = host.last + self.settings.delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            host.last = time.monotonic()

    def _read(self, url: str, response: httpx.Response) -> Fetched:
        with _failures_of(url), contextlib.closing(response):
            if response.status_code == 304:
                return Fetched(url, 304, etag=response.headers.get("etag", ""))
            if response.status_code != 200:
                raise FetchError(f"{url}: HTTP {response.status_code}")
            declared = int(response.headers.get("content-length") or 0)
            if declared > self.settings.max_bytes:
                raise FetchError(f"{url}: {declared:,} bytes, more than the {self.settings.max_bytes:,} accepted")
            body = bytearray()
            for piece in response.iter_bytes():
                body += piece
                if len(body) > self.settings.max_bytes:
                    raise FetchError(f"{url}: more than the {self.settings.max_bytes:,} bytes accepted")
            return Fetched(
                url,
                200,
                bytes(body),
                response.headers.get("content-type", ""),
                response.headers.get("etag", ""),
                response.headers.get("last-modified", ""),
            )


@contextlib.contextmanager
def _failures_of(url: str):
    """httpx's errors while requesting or reading `url`, as a `FetchError` that names it and says why."""
    try:
        yield
    except httpx.TimeoutException:
        raise FetchError(f"{url}: timed out") from None
    except httpx.HTTPError as e:
        raise FetchError(f"{url}: {type(e).__name__}: {e}") from None
