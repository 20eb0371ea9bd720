"""The chat page: ``rag serve`` (or ``python app.py``) serves it on http://127.0.0.1:7860.

Layout and handlers only: answers come from `rag.answering.answer_events`, their
HTML from `rag.ui.render`, styles and the [n] click script from ``static/``.
"""

from __future__ import annotations

import html
import logging
import os
import sys
import threading
from pathlib import Path

from ..answering import MODES as ANSWER_MODES
from ..answering import answer_events
from ..errors import IndexNotFound, RagError
from ..retrieval import load_index
from ..store import Location
from ..types import Filters
from .render import answer_markdown, md, plain, removed_note, sources_html

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

LOG = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
EXAMPLES = [
    "What did Rutte say about Ukraine?",
    "What did Rutte say about North Korea?",
    "Will NATO stay united after the US election?",
    "Who won the 2024 election?",
]
MAX_MESSAGE = 2000  # characters of a message that are read (the rest is said to be ignored)
MODES = {"Quotes from the articles": "extractive", "Written by a language model, every sentence checked": "llm"}


class State:
    """What the page shows about the index and the models (shared by all sessions)."""

    def __init__(self, index_dir: Location, client=None, mode: str = "extractive"):
        if mode not in ANSWER_MODES:
            raise RagError(f"answer mode {mode!r} is not one of {', '.join(ANSWER_MODES)}")
        self.index_dir = index_dir
        self.client = client  # llm mode's ChatClient, when a model is configured
        self.mode = mode  # the answer style selected when the page opens
        self.warm = threading.Event()

    def warm_up(self) -> None:
        """Load the models and the index once, so the first reader does not wait for them."""
        try:
            for _ in answer_events("What did Rutte say?", index_dir=self.index_dir):
                pass
        except Exception:  # the page reports problems per question; warming is best effort
            LOG.exception("warm-up failed")
        self.warm.set()

    def status(self) -> str:
        try:
            m = load_index(self.index_dir).manifest
        except RagError as e:
            return f"⚠️ {html.escape(str(e))}"
        line = (
            f"**{m.counts['documents']:,} articles**, {m.counts['chunks']:,} passages · "
            f"model {m.model} · index built {m.built_at[:16].replace('T', ' ')} UTC"
        )
        if not self.warm.is_set():
            line += " · warming up: the first answer may take a few seconds"
        return line

    def sources(self) -> list[str]:
        try:
            return load_index(self.index_dir).sources()
        except RagError:
            return []

    def events(self, question: str, k=6, sources=None, since="", until="", history=None, mode=None):
        """The answer events (see `answer_events`) for a question asked on the page or the API."""
        filters = Filters(sources=tuple(sources or ()), since=(since or "").strip(), until=(until or "").strip())
        return answer_events(
            question[:MAX_MESSAGE],
            mode=mode or self.mode,
            client=self.client,
            k=int(k),
            history=history,
            index_dir=self.index_dir,
            filters=filters,
        )


def respond(state: State, message, history, k=6, sources=None, since="", until="", mode=None):
    """The chat handler: yields (conversation, sources panel HTML or None to keep it, new textbox value)."""
    history = list(history or [])
    message = message if isinstance(message, str) else ""
    if not message.strip():
        yield (
            history
            + [
                {
                    "role": "assistant",
                    "content": "Please type a question, for example: *What did Rutte say about Ukraine?*",
                }
            ],
            None,
            "",
        )
        return
    shown = message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + " …"
    turn = sum(1 for m in history if m.get("role") == "user")
    history.append({"role": "user", "content": md(shown)})
    yield history + [{"role": "assistant", "content": "*Searching the articles…*"}], None, ""
    earlier = [plain(m["content"]) for m in history[:-1] if m.get("role") == "user"]
    try:
        for kind, a in state.events(message, k, sources, since, until, history=earlier, mode=MODES.get(mode, mode)):
            if kind == "draft":  # the model's words as they come; replaced by the checked answer
                yield (
                    history
                    + [
                        {
                            "role": "assistant",
                            "content": f'<span class="draft">{md(a)}</span> *(writing; every sentence is '
                            f"checked before it stays)*",
                        }
                    ],
                    None,
                    "",
                )
    except IndexNotFound:
        reply = "The index is not ready yet (it may still be building). Please try again in a minute."
    except RagError as e:
        reply = f"Sorry, I can't answer that: {md(str(e))}"
    except Exception:
        LOG.exception("answering %r failed", message[:200])
        reply = "Sorry, something went wrong on our side (it has been logged). Please try again."
    else:
        prefix = (
            f"*(Your message was {len(message):,} characters; I read the first {MAX_MESSAGE:,}.)*\n\n"
            if len(message) > MAX_MESSAGE
            else ""
        )
        pieces = answer_markdown(a, turn)
        panel = sources_html(a, turn)
        note = removed_note(a)
        for i in range(1, len(pieces) + 1):
            yield (
                history
                + [
                    {"role": "assistant", "content": prefix + " ".join(pieces[:i]) + (note if i == len(pieces) else "")}
                ],
                panel,
                "",
            )
        return
    yield history + [{"role": "assistant", "content": reply}], None, ""


def ask_api(
    state: State, question: str, k: int = 6, sources=None, since: str = "", until: str = "", history=None, mode=None
) -> dict:
    """Answer for API clients: `Answer.to_dict()`, or {"error": message}."""
    if not isinstance(question, str) or not question.strip():
        return {"error": "the question is empty: ask something, e.g. What did Rutte say about Ukraine?"}
    try:
        answer = None
        for kind, value in state.events(question, k, sources, since, until, history=history, mode=mode):
            if kind == "answer":
                answer = value
        return answer.to_dict()
    except RagError as e:
        return {"error": str(e)}
    except Exception:
        LOG.exception("API answer to %r failed", question[:200])
        return {"error": "internal error (logged); please try again"}


def build_ui(state: State):
    import gradio as gr

    def chat_handler(message, history, k, sources, since, until, mode):
        for conversation, panel, box in respond(state, message, history, k, sources, since, until, mode):
            yield conversation, gr.update() if panel is None else panel, box

    def ask(
        question: str,
        k: int = 6,
        sources: list[str] | None = None,
        since: str = "",
        until: str = "",
        history: list[str] | None = None,
        mode: str = "",
    ) -> dict:
        """Answer a question from the articles. Returns {"question", "text", "refused", "citations": [{"n",
        "doc_id", "chunk_id", "title", "source", "published", "url", "quote", "start", "end", "role"}],
        "related": [passages], "mode", "removed"}; on a bad request, {"error": message}. `history`: earlier
        questions. `mode`: "extractive" or "llm" (default: the server's)."""
        return ask_api(state, question, k, sources, since, until, history, mode or None)

    with gr.Blocks(title="Ask the news") as demo:
        gr.Markdown(
            "## Ask the news\nAnswers come only from the indexed articles; every sentence cites its source [n]."
        )
        status = gr.Markdown(state.status(), elem_id="status")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Conversation", height=480, elem_id="chat", sanitize_html=True)
                box = gr.Textbox(
                    placeholder="Ask about the articles, e.g. What did Rutte say about Ukraine?",
                    show_label=False,
                    elem_id="question",
                    lines=1,
                    max_lines=4,
                )
                with gr.Row():
                    buttons = [gr.Button(q, size="sm", elem_classes=["example"]) for q in EXAMPLES]
                with gr.Accordion("Search settings", open=False):
                    k = gr.Slider(2, 12, value=6, step=1, label="Passages to read the answer from")
                    publishers = gr.Dropdown(state.sources(), multiselect=True, label="Only these publishers")
                    with gr.Row():
                        since = gr.Textbox(label="Published from", placeholder="YYYY-MM-DD")
                        until = gr.Textbox(label="Published until", placeholder="YYYY-MM-DD")
                    style = gr.Radio(
                        list(MODES),
                        value=next(k for k, v in MODES.items() if v == state.mode),
                        label="Answers",
                        info=None if state.client else "A language model needs `rag serve --llm local` or --llm URL.",
                        elem_id="mode",
                    )
                new = gr.Button("New conversation", size="sm")
            with gr.Column(scale=2):
                panel = gr.HTML("<h3>Sources</h3><p>Sources of the answer appear here.</p>", elem_id="sources")
        inputs = [chat, k, publishers, since, until, style]
        box.submit(chat_handler, [box, *inputs], [chat, panel, box], api_visibility="private")
        for b, q in zip(buttons, EXAMPLES):
            b.click(chat_handler, [gr.State(q), *inputs], [chat, panel, box], api_visibility="private")
        new.click(lambda: ([], "<h3>Sources</h3>"), None, [chat, panel], api_visibility="private")
        demo.load(state.status, None, status, api_visibility="private")
        gr.Timer(3).tick(state.status, None, status, api_visibility="private")
        gr.api(ask, api_name="ask")
    return demo


def refresh_index(corpus_dir: Path, index_dir: Path, options) -> None:
    """Index new or changed articles before serving (`options`: `rag.build.BuildOptions`)."""
    from ..build import update_index
    from ..corpus import load_corpus

    docs, problems = load_corpus(corpus_dir)
    for p in problems:
        print(f"skipped {p}", file=sys.stderr)
    report = update_index(docs, index_dir, options, problems=problems)
    print(
        f"index {index_dir}: {len(report.added)} added, {len(report.changed)} changed, {len(report.removed)} removed, "
        f"{report.chunks} passages, {report.seconds:.1f}s",
        file=sys.stderr,
    )


def serve(config, *, refresh: bool = True) -> None:
    """Serve the page with the settings of `config` (`rag.config.Config`), after indexing new articles unless "
    "not `refresh`."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if refresh:
        try:
            refresh_index(config.corpus_dir, config.index_dir, config.build_options())
        except RagError as e:
            sys.exit(f"error: {e}")
    client = None
    if config.llm_url:
        from ..generation import open_client

        try:
            client, _server = open_client(
                config.llm_url, model=config.llm_model, api_key=config.llm_api_key, context_tokens=config.llm_context
            )  # a local server stops when this process exits
        except RagError as e:
            sys.exit(f"error: {e}")
        import signal

        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # exit through atexit, which stops the model server
    state = State(config.location(), client=client, mode=config.answer_mode)
    threading.Thread(target=state.warm_up, daemon=True).start()
    auth = (config.username, config.password) if config.username and config.password else None
    build_ui(state).queue(default_concurrency_limit=4).launch(
        server_name=config.host,
        server_port=config.port,
        auth=auth,
        css=(STATIC / "style.css").read_text(encoding="utf-8"),
        head=f"<script>\n{(STATIC / 'cite.js').read_text(encoding='utf-8')}</script>",
        show_error=False,
    )
