"""The chat page: ``rag serve`` (or ``python app.py``) serves it on http://127.0.0.1:7860.

Layout and handlers only: answers come from `rag.answering.answer_events`, their
HTML from `rag.ui.render`, styles and the [n] click script from ``static/``.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import sys
import threading
from pathlib import Path

import gradio as gr

from ..answering import MODES as ANSWER_MODES
from ..answering import answer_events
from ..errors import IndexNotFound, QueryError, RagError
from ..retrieval import load_index
from ..store import Location
from ..timeframe import day_text
from ..types import Filters
from .render import answer_html, error_html, md, plain, welcome_html

LOG = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
WRITING = "writing; every sentence is checked before it stays"
SUGGESTIONS = 4  # suggested questions on the first screen: the index's newest headlines
MAX_MESSAGE = 2000  # characters of a message that are read (the rest is said to be ignored)
MODES = {"Quotes from the articles": "extractive", "Written by a language model, every sentence checked": "llm"}


class State:
    """What the page shows about the index and the models (shared by all sessions)."""

    def __init__(self, index_dir: Location, client=None, mode: str = "extractive"):
        if mode not in ANSWER_MODES:
            raise RagError(f"answer mode {mode!r} is not one of {', '.join(ANSWER_MODES)}")
        if mode == "llm" and client is None:
            raise RagError("llm mode needs a language model: start the app with --llm local or --llm URL")
        self.index_dir = index_dir
        self.client = client  # llm mode's ChatClient, when a model is configured
        self.mode = mode  # the answer style selected when the page opens
        self.warm = threading.Event()
        self.refresher = None  # a `Refresher` when the app follows feeds (--refresh-every)

    def warm_up(self) -> None:
        """Load the models and the index once, so the first reader does not wait for them."""
        try:
            for _ in answer_events("What did Rutte say on 6 March?", index_dir=self.index_dir):  # dateparser too
                pass
        except Exception:  # the page reports problems per question; warming is best effort
            LOG.exception("warm-up failed")
        self.warm.set()

    def status(self) -> str:
        feeds = f" · {self.refresher.line()}" if self.refresher is not None else ""
        try:
            m = load_index(self.index_dir).manifest
        except RagError as e:
            return f"⚠️ {html.escape(str(e))}{feeds}"
        line = (
            f"{m.counts['documents']:,} articles · {m.counts['chunks']:,} passages · "
            f"index built {m.built_at[:16].replace('T', ' ')} UTC · model {m.model} · "
            f"as of {day_text(dt.date.today())} (set in Filters)"
        )
        line += feeds
        if not self.warm.is_set():
            line += " · warming up: the first answer may take a few seconds"
        return line

    def articles(self) -> int:
        try:
            return int(load_index(self.index_dir).manifest.counts["documents"])
        except RagError:
            return 0

    def sources(self) -> list[str]:
        try:
            return load_index(self.index_dir).sources()
        except RagError:
            return []

    def suggestions(self) -> list[str]:
        """Questions to start from that fit the index served: its newest headlines."""
        try:
            headlines = load_index(self.index_dir).manifest.headlines or []
        except RagError:
            return []
        return [h["title"] for h in headlines[:SUGGESTIONS]]

    def events(self, question: str, k=6, sources=None, since="", until="", history=None, mode=None, now=None):
        """The answer events (see `answer_events`) for a question asked on the page or the API, on the day `now`."""
        filters = Filters(sources=tuple(sources or ()), since=(since or "").strip(), until=(until or "").strip())
        return answer_events(
            question[:MAX_MESSAGE],
            mode=mode or self.mode,
            client=self.client,
            k=int(k),
            history=history,
            index_dir=self.index_dir,
            filters=filters,
            now=(now.strip() or None) if isinstance(now, str) else now,
        )


def respond(state: State, message, history, k=6, sources=None, since="", until="", mode=None, now=None):
    """The chat handler: yields (conversation, note under the filters, new textbox value)."""
    history = list(history or [])
    message = message if isinstance(message, str) else ""
    if not message.strip():
        yield history, "", ""
        return
    shown = message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + " …"
    turn = sum(1 for m in history if m.get("role") == "user") + 1
    history.append({"role": "user", "content": md(shown)})
    yield history + [{"role": "assistant", "content": '<p class="draft">Searching the articles…</p>'}], "", ""
    earlier = [plain(m["content"]) for m in history[:-1] if m.get("role") == "user"]
    note = ""
    try:
        events = state.events(message, k, sources, since, until, history=earlier, mode=MODES.get(mode, mode), now=now)
        for kind, a in events:
            if kind == "draft":  # the model's words as they come; replaced by the checked answer
                draft = f'<p class="draft">{html.escape(a)} <em>({WRITING})</em></p>'
                yield history + [{"role": "assistant", "content": draft}], "", ""
    except IndexNotFound:
        reply = error_html("The index is not ready yet (it may still be building). Please try again in a minute.")
    except QueryError as e:
        reply, note = error_html(f"Sorry, I can't answer that: {e}"), error_html(str(e))
    except RagError as e:
        reply = error_html(f"Sorry, I can't answer that: {e}")
    except Exception:
        LOG.exception("answering %r failed", message[:200])
        reply = error_html("Sorry, something went wrong on our side (it has been logged). Please try again.")
    else:
        reply = answer_html(a, turn)
        if len(message) > MAX_MESSAGE:
            reply = (
                f'<p class="note">(Your message was {len(message):,} characters; I read the first {MAX_MESSAGE:,}.)</p>'
                + reply
            )
    yield history + [{"role": "assistant", "content": reply}], note, ""


def ask_api(
    state: State,
    question: str,
    k: int = 6,
    sources=None,
    since: str = "",
    until: str = "",
    history=None,
    mode=None,
    now=None,
) -> dict:
    """Answer for API clients: `Answer.to_dict()`, or {"error": message}."""
    if not isinstance(question, str) or not question.strip():
        return {"error": "the question is empty: ask something, e.g. What did Rutte say about Ukraine?"}
    if mode == "llm" and state.client is None:
        return {"error": "llm mode is not available on this server: it was started without a language model (--llm)"}
    try:
        answer = None
        for kind, value in state.events(question, k, sources, since, until, history=history, mode=mode, now=now):
            if kind == "answer":
                answer = value
        return answer.to_dict()
    except RagError as e:
        return {"error": str(e)}
    except Exception:
        LOG.exception("API answer to %r failed", question[:200])
        return {"error": "internal error (logged); please try again"}


def build_ui(state: State):
    def ask(
        question: str,
        k: int = 6,
        sources: list[str] | None = None,
        since: str = "",
        until: str = "",
        history: list[str] | None = None,
        mode: str = "",
        now: str = "",
    ) -> dict:
        """Answer a question from the articles. Returns {"question", "text", "refused", "short", "kind",
        "citations": [{"n", "doc_id", "chunk_id", "title", "source", "published", "url", "quote", "start",
        "end", "role"}], "related": [passages], "mode", "removed"}; on a bad request, {"error": message}.
        `history`: earlier questions. `mode`: "extractive" or "llm" (default: the server's). `now`: the day the
        question is asked, YYYY-MM-DD (default: today); "last week" and "latest" count from it."""
        return ask_api(state, question, k, sources, since, until, history, mode or None, now or None)

    with gr.Blocks(title="Ask the news") as demo:
        gr.HTML(_brand(state), elem_id="brand")
        chat = gr.Chatbot(
            elem_id="chat",
            show_label=False,
            height=560,
            # Every message is built escaped by rag.ui.render (article text, user text, errors): the page's own
            # sanitizer would strip the data-cite / data-source hooks that link markers to their cards.
            sanitize_html=False,
            autoscroll=False,  # cite.js brings each new answer into view; Gradio's would undo every [n] click
            buttons=[],
            placeholder=welcome_html(state.articles(), bool(state.suggestions())),
            examples=[{"text": q} for q in state.suggestions()] or None,
        )
        with gr.Row(elem_id="ask-row", equal_height=True):
            box = gr.Textbox(
                placeholder="Ask a question about the news…",
                show_label=False,
                container=False,
                elem_id="question",
                lines=1,
                max_lines=4,
                scale=8,
                autofocus=True,
            )
            send = gr.Button("Ask", variant="primary", elem_id="send", scale=1, min_width=90)
        since, until, publishers, k, style, as_of, note = _filters(state)
        with gr.Row(elem_id="tools"):
            new = gr.Button("New conversation", size="sm", variant="secondary", elem_id="new", scale=0, min_width=160)
        status = gr.Markdown(state.status(), elem_id="status")

        inputs = [chat, k, publishers, since, until, style, as_of]
        outputs = [chat, note, box]

        def handler(message, history, k, sources, since, until, mode, now):
            yield from respond(state, message, history, k, sources, since, until, mode, now)

        def example(selected: gr.SelectData, history, k, sources, since, until, mode, now):
            yield from respond(state, selected.value["text"], history, k, sources, since, until, mode, now)

        box.submit(handler, [box, *inputs], outputs, api_visibility="private")
        send.click(handler, [box, *inputs], outputs, api_visibility="private")
        chat.example_select(example, inputs, outputs, api_visibility="private")
        new.click(lambda: ([], ""), None, [chat, note], api_visibility="private")
        demo.load(state.status, None, status, api_visibility="private")
        gr.Timer(5).tick(state.status, None, status, api_visibility="private")
        gr.api(ask, api_name="ask")
    return demo


def _filters(state: State):
    """The filters and options under the question box: dates, publishers, passages, answer style, and a note."""
    with gr.Accordion("Filters", open=False, elem_id="filters"):
        with gr.Row():
            # Text, so that a bad date reaches the server and is answered with what is wrong (a date widget
            # would keep it to itself and answer unfiltered); cite.js adds a calendar to pick a day.
            since, until = (
                gr.Textbox(
                    label=label,
                    placeholder="YYYY, YYYY-MM or YYYY-MM-DD",
                    max_lines=1,
                    elem_id=name,
                    elem_classes=["date"],
                )
                for label, name in (("Published from", "since"), ("Published until", "until"))
            )
        publishers = gr.Dropdown(state.sources(), multiselect=True, label="Only these publishers", elem_id="publishers")
        with gr.Row():
            k = gr.Slider(2, 12, value=6, step=1, label="Passages to read the answer from")
            as_of = gr.Textbox(
                label="As of (the day you ask on)",
                placeholder=f"today, {dt.date.today().isoformat()}",
                max_lines=1,
                elem_id="as-of",
                elem_classes=["date"],
            )
        style = gr.Radio(
            list(MODES),
            value=_mode_label(state.mode),
            label="Answers",
            elem_id="mode",
            visible=state.client is not None,
        )
        note = gr.HTML("", elem_id="filter-note")
    return since, until, publishers, k, style, as_of, note


def _mode_label(mode: str) -> str:
    return next(label for label, value in MODES.items() if value == mode)


def _brand(state: State) -> str:
    n = state.articles()
    line = (
        f"Answers quoted from {n:,} news article{'s' if n != 1 else ''}, every sentence cited"
        if n
        else "Answers quoted from the news"
    )
    return f'<div class="name">Ask the news</div><div class="line">{html.escape(line)}</div>'


def theme():
    """Gradio's base theme with system fonts: the page loads no web font (nothing from outside the app)."""
    fonts = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
    return gr.themes.Base(primary_hue="blue", neutral_hue="slate", font=fonts, font_mono=mono)


def serve(config) -> None:
    """Serve the page with the settings of `config` (`rag.config.Config`); print where, then block."""
    client = None
    if config.llm_url:
        from ..generation import open_client

        client, _server = open_client(  # a local server stops when this process exits
            config.llm_url, model=config.llm_model, api_key=config.llm_api_key, context_tokens=config.llm_context
        )
        import signal

        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # exit through atexit, which stops the model server
    state = State(config.location(), client=client, mode=config.answer_mode)
    auth = (config.username, config.password) if config.username and config.password else None
    demo = build_ui(state).queue(default_concurrency_limit=4)
    try:
        demo.launch(
            server_name=config.host,
            server_port=config.port,
            auth=auth,
            theme=theme(),
            head=_head(),
            show_error=False,
            footer_links=["api"],  # the API page, not "built with" and settings links
            run_history=False,  # questions are not recorded in the browser
            quiet=True,
            prevent_thread_lock=True,
        )
    except OSError as e:
        if "port" in str(e).lower():
            raise PortInUse(
                f"port {config.port} on {config.host} is in use: choose another with --port or RAG_PORT"
            ) from e
        raise
    threading.Thread(target=state.warm_up, daemon=True).start()  # once the port is ours
    if config.refresh_every:
        from .refresh import Refresher

        state.refresher = Refresher(
            config.corpus_dir, config.index_dir, config.refresh_every, config.web_settings(), config.build_options()
        ).start()
    host = "127.0.0.1" if config.host in ("0.0.0.0", "::") else config.host
    print(f"Open http://{host}:{config.port}", flush=True)
    demo.block_thread()


def _head() -> str:
    """The page's own style sheet and script, as they are (Gradio would re-scope a `css=` sheet's media queries)."""
    css = (STATIC / "style.css").read_text(encoding="utf-8")
    js = (STATIC / "cite.js").read_text(encoding="utf-8")
    return f"<style>\n{css}</style>\n<script>\n{js}</script>"


class PortInUse(RagError):
    """The app's port is taken by another program."""
