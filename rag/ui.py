"""The chat page: ``python app.py`` or ``rag serve`` serves it on http://127.0.0.1:7860.

On start it brings the index up to date with the corpus (only new or changed
articles are embedded), then answers questions from the articles. Every sentence of
an answer ends with [n] markers; clicking one brings its source into view in the
panel beside the chat, with the quoted span highlighted in its passage.

UI only: the answers come from `rag.answer`. Settings: --host/RAG_HOST (default
127.0.0.1), --port/RAG_PORT (7860), --corpus/RAG_CORPUS_DIR, --index/RAG_INDEX_DIR,
and RAG_USERNAME + RAG_PASSWORD to require a login.
"""

from __future__ import annotations

import argparse
import html
import logging
import os
import re
import sys
import threading
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

LOG = logging.getLogger(__name__)
EXAMPLES = [
    "What did Rutte say about Ukraine?",
    "What did Rutte say about North Korea?",
    "Will NATO stay united after the US election?",
    "Who won the 2024 election?",
]
MAX_MESSAGE = 2000  # characters of a message that are read (the rest is said to be ignored)

CSS = """
#sources .src { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; margin: 0 0 8px; }
#sources .src.active { border-color: #e0a800; box-shadow: 0 0 0 3px rgba(224,168,0,.35); }
#sources .src-h { font-size: .9em; margin-bottom: 4px; }
#sources mark { background: #ffe58a; color: inherit; padding: 0 1px; }
mark.short { background: #ffe58a; color: inherit; padding: 0 2px; border-radius: 2px; }
.short-answer { font-size: 1.05em; }
#sources .related { opacity: .85; }
#sources .refused-h, .refused { color: #8a5a00; }
.draft { color: var(--body-text-color-subdued); }
a.cite { text-decoration: none; font-weight: 600; cursor: pointer; }
"""

# Clicking [n] brings its source into view and marks it; works for answers streamed in later too.
HEAD = """
<script>
document.addEventListener("click", function (event) {
  const link = event.target.closest("a.cite");
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  const target = document.getElementById(link.getAttribute("href").slice(1));
  if (!target) return;
  document.querySelectorAll("#sources .src.active").forEach(function (el) { el.classList.remove("active"); });
  target.classList.add("active");
  target.scrollIntoView({behavior: "smooth", block: "center"});
}, true);
</script>
"""


class State:
    """What the page shows about the index and the models (shared by all sessions)."""

    def __init__(self, index_dir: Path, client=None, mode: str = "extractive"):
        self.index_dir = index_dir
        self.client = client  # llm mode's ChatClient, when a model is configured
        self.mode = mode  # the answer style selected when the page opens
        self.warm = threading.Event()

    def warm_up(self) -> None:
        """Load the models and the index once, so the first reader does not wait for them."""
        from .answering import answer

        try:
            answer("What did Rutte say?", index_dir=self.index_dir)
        except Exception:  # the page reports problems per question; warming is best effort
            LOG.exception("warm-up failed")
        self.warm.set()

    def status(self) -> str:
        from .errors import RagError
        from .retrieval import load_index

        try:
            m = load_index(self.index_dir).manifest
        except RagError as e:
            return f"⚠️ {html.escape(str(e))}"
        line = (
            f"**{m['counts']['documents']:,} articles**, {m['counts']['chunks']:,} passages · "
            f"model {m['settings']['model']} · index built {m['built_at'][:16].replace('T', ' ')} UTC"
        )
        if not self.warm.is_set():
            line += " · warming up: the first answer may take a few seconds"
        return line

    def sources(self) -> list[str]:
        from .errors import RagError
        from .retrieval import load_index

        try:
            return load_index(self.index_dir).sources()
        except RagError:
            return []


# --- rendering (everything from an article is escaped) -------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def _md(text: str) -> str:
    """Article text made inert for the chat's Markdown: HTML escaped, Markdown punctuation backslashed."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _cite_links(text: str, turn: int) -> str:
    return re.sub(r"\\\[(\d+)\\\]", lambda m: f'<a class="cite" href="#a{turn}-src-{m.group(1)}">[{m.group(1)}]</a>', text)


def answer_markdown(a, turn: int) -> list[str]:
    """The answer as Markdown, one piece per sentence, so it can stream."""
    if a.refused:
        return [f'<span class="refused">**{_md(a.text)}**</span> The closest passages are listed beside the chat as related, but they do not answer this.']
    from .answering import answer_sentences

    pieces = answer_sentences(a.text)
    short = getattr(a, "short", None)
    if not short or short.text not in pieces[0]:
        return [_cite_links(_md(p), turn) for p in pieces]
    # The short answer first, then the sentence it is in, with the span highlighted.
    before, _, after = pieces[0].partition(short.text)
    lead = f'{_md(before)}<mark class="short">{_md(short.text)}</mark>{_md(after)}'
    head = f'<span class="short-answer">**{_md(short.text)}**</span> \\[{short.n}\\]\n\n'
    return [_cite_links(head + lead, turn)] + [_cite_links(_md(p), turn) for p in pieces[1:]]


def removed_note(a) -> str:
    """Under a generated answer: what was removed, and why; or that the quotes stand in for it."""
    if a.mode == "extractive":
        return ""
    lines = [f"- ~~{_md(r['sentence'])}~~ ({_md(r['reason'])})" for r in a.removed[:6]]
    head = (
        "\n\n*The model's answer could not be verified against the articles, so these are quotes instead.*"
        if a.mode == "extractive-fallback"
        else f"\n\n*Written by a language model; {len(a.removed)} sentence(s) removed as unsupported.*" if a.removed else ""
    )
    return head + ("\n\n<details><summary>Removed</summary>\n\n" + "\n".join(lines) + "\n\n</details>" if lines else "")


def sources_html(a, turn: int) -> str:
    esc = html.escape
    if a.refused:
        items = [
            f'<div class="src related"><div class="src-h"><b>{esc(h.title)}</b> · {esc(h.source)} · {esc(h.published)}</div>'
            f"<p>{esc(h.text)}</p></div>"
            for h in a.related
        ]
        return '<h3 class="refused-h">Related, but not an answer</h3>' + "".join(items) if items else ""
    by_chunk = {h.chunk_id: h for h in a.hits}
    items = []
    for c in a.citations:
        h = by_chunk.get(c.chunk_id)
        if h is not None and h.start <= c.start and c.end <= h.end:
            lo, hi = c.start - h.start, c.end - h.start
            passage = f"{esc(h.text[:lo])}<mark>{esc(h.text[lo:hi])}</mark>{esc(h.text[hi:])}"
        else:
            passage = f"<mark>{esc(c.quote)}</mark>"
        note = {"corroboration": " · <i>states the same fact</i>", "support": " · <i>supports the sentence</i>"}.get(c.role, "")
        link = f' · <a href="{esc(c.url)}" target="_blank" rel="noopener noreferrer">link</a>' if c.url.startswith(("http://", "https://")) else ""
        items.append(
            f'<div class="src" id="a{turn}-src-{c.n}"><div class="src-h"><b>[{c.n}] {esc(c.title)}</b> · '
            f"{esc(c.source)} · {esc(c.published)}{note}{link}</div><p>{passage}</p></div>"
        )
    return "<h3>Sources</h3>" + "".join(items)


def api_payload(a) -> dict:
    """The answer as plain data, for API clients."""
    from dataclasses import asdict

    return {
        "question": a.question,
        "text": a.text,
        "refused": a.refused,
        "short": asdict(a.short) if getattr(a, "short", None) else None,
        "kind": getattr(a, "kind", "other"),
        "citations": [asdict(c) for c in a.citations],
        "related": [asdict(h) for h in a.related],
        "mode": a.mode,
        "removed": a.removed,
    }


# --- the page ------------------------------------------------------------------


MODES = {"Quotes from the articles": "extractive", "Written by a language model, every sentence checked": "llm"}


def answer_events(state: State, question: str, k: int = 6, sources=None, since: str = "", until: str = "", history=None, mode=None):
    """("draft", text) events while a language model writes, then ("answer", Answer)."""
    from .answering import answer
    from .types import Filters

    filters = Filters(sources=tuple(sources or ()), since=(since or "").strip(), until=(until or "").strip())
    kw = dict(k=int(k), history=history, index_dir=state.index_dir, filters=filters)
    if (mode or state.mode) != "llm":
        yield "answer", answer(question[:MAX_MESSAGE], **kw)
        return
    from .generation import ChatClient, generate_events

    client = state.client or ChatClient.for_url("")  # the latter explains how to configure one
    for kind, value in generate_events(question[:MAX_MESSAGE], client=client, **kw):
        if kind in ("draft", "answer"):
            yield kind, value


def ask_rag(state: State, question: str, k: int = 6, sources=None, since: str = "", until: str = "", history=None, mode=None):
    for kind, value in answer_events(state, question, k, sources, since, until, history, mode):
        if kind == "answer":
            return value


def respond(state: State, message, history, k=6, sources=None, since="", until="", mode=None):
    """The chat handler: yields (conversation, sources panel HTML or None to keep it, new textbox value)."""
    from .errors import IndexNotFound, RagError

    history = list(history or [])
    message = message if isinstance(message, str) else ""
    if not message.strip():
        yield history + [{"role": "assistant", "content": "Please type a question, for example: *What did Rutte say about Ukraine?*"}], None, ""
        return
    shown = message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + " …"
    turn = sum(1 for m in history if m.get("role") == "user")
    history.append({"role": "user", "content": _md(shown)})
    yield history + [{"role": "assistant", "content": "*Searching the articles…*"}], None, ""
    earlier = [_plain(m["content"]) for m in history[:-1] if m.get("role") == "user"]
    try:
        for kind, a in answer_events(state, message, k, sources, since, until, history=earlier, mode=MODES.get(mode, mode)):
            if kind == "draft":  # the model's words as they come; replaced by the checked answer
                yield history + [{"role": "assistant", "content": f'<span class="draft">{_md(a)}</span> *(writing; every sentence is checked before it stays)*'}], None, ""
    except IndexNotFound:
        reply = "The index is not ready yet (it may still be building). Please try again in a minute."
    except RagError as e:
        reply = f"Sorry, I can't answer that: {_md(str(e))}"
    except Exception:
        LOG.exception("answering %r failed", message[:200])
        reply = "Sorry, something went wrong on our side (it has been logged). Please try again."
    else:
        prefix = f"*(Your message was {len(message):,} characters; I read the first {MAX_MESSAGE:,}.)*\n\n" if len(message) > MAX_MESSAGE else ""
        pieces = answer_markdown(a, turn)
        panel = sources_html(a, turn)
        note = removed_note(a)
        for i in range(1, len(pieces) + 1):
            yield history + [{"role": "assistant", "content": prefix + " ".join(pieces[:i]) + (note if i == len(pieces) else "")}], panel, ""
        return
    yield history + [{"role": "assistant", "content": reply}], None, ""


def ask_api(state: State, question: str, k: int = 6, sources=None, since: str = "", until: str = "", history=None, mode=None) -> dict:
    """Answer for API clients: {"text", "refused", "citations", "related", "mode", "removed"}, or {"error": message}."""
    from .errors import RagError

    if not isinstance(question, str) or not question.strip():
        return {"error": "the question is empty: ask something, e.g. What did Rutte say about Ukraine?"}
    try:
        return api_payload(ask_rag(state, question, k, sources, since, until, history=history, mode=mode))
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

    def ask(question: str, k: int = 6, sources: list[str] | None = None, since: str = "", until: str = "",
            history: list[str] | None = None, mode: str = "") -> dict:
        """Answer a question from the articles. Returns {"question", "text", "refused", "citations": [{"n",
        "doc_id", "chunk_id", "title", "source", "published", "url", "quote", "start", "end", "role"}],
        "related": [passages], "mode", "removed"}; on a bad request, {"error": message}. `history`: earlier
        questions. `mode`: "extractive" or "llm" (default: the server's)."""
        return ask_api(state, question, k, sources, since, until, history, mode or None)

    with gr.Blocks(title="Ask the news") as demo:
        gr.Markdown("## Ask the news\nAnswers come only from the indexed articles; every sentence cites its source [n].")
        status = gr.Markdown(state.status(), elem_id="status")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Conversation", height=480, elem_id="chat", sanitize_html=True)
                box = gr.Textbox(placeholder="Ask about the articles, e.g. What did Rutte say about Ukraine?",
                                 show_label=False, elem_id="question", lines=1, max_lines=4)
                with gr.Row():
                    buttons = [gr.Button(q, size="sm", elem_classes=["example"]) for q in EXAMPLES]
                with gr.Accordion("Search settings", open=False):
                    k = gr.Slider(2, 12, value=6, step=1, label="Passages to read the answer from")
                    publishers = gr.Dropdown(state.sources(), multiselect=True, label="Only these publishers")
                    with gr.Row():
                        since = gr.Textbox(label="Published from", placeholder="YYYY-MM-DD")
                        until = gr.Textbox(label="Published until", placeholder="YYYY-MM-DD")
                    style = gr.Radio(
                        list(MODES), value=next(k for k, v in MODES.items() if v == state.mode), label="Answers",
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


def _plain(markdown) -> str:
    """A user message as typed (undoing the chat's escaping)."""
    if isinstance(markdown, list):  # Gradio may hand content back as typed parts
        markdown = " ".join(p.get("text", "") for p in markdown if isinstance(p, dict))
    if not isinstance(markdown, str):
        return ""
    return html.unescape(re.sub(r"\\(.)", r"\1", markdown))


def refresh_index(corpus_dir: Path, index_dir: Path) -> None:
    """Index new or changed articles before serving."""
    from . import settings
    from .corpus import load_corpus
    from .index import update_index

    docs, problems = load_corpus(corpus_dir)
    for p in problems:
        print(f"skipped {p}", file=sys.stderr)
    report = update_index(docs, index_dir, problems=problems, backend=settings.backend(), index_type=settings.index_type())
    print(
        f"index {index_dir}: {len(report.added)} added, {len(report.changed)} changed, {len(report.removed)} removed, "
        f"{report.chunks} passages, {report.seconds:.1f}s",
        file=sys.stderr,
    )


def main(argv: list[str] | None = None, *, corpus: Path | None = None, index: Path | None = None) -> None:
    """Serve the page; `corpus` and `index` are the defaults when neither flag nor environment sets them."""
    from . import settings

    ap = argparse.ArgumentParser(prog="rag serve", description=__doc__.splitlines()[0])
    ap.add_argument("--host", default=os.environ.get("RAG_HOST", "127.0.0.1"), help="address to bind [env RAG_HOST]")
    ap.add_argument("--port", type=int, default=int(os.environ.get("RAG_PORT", "7860")), help="port [env RAG_PORT]")
    ap.add_argument("--corpus", type=Path, default=settings.corpus_dir(os.environ.get("RAG_CORPUS_DIR", corpus)),
                    help="articles to index on start [env RAG_CORPUS_DIR]")
    ap.add_argument("--index", type=Path, default=settings.index_dir(os.environ.get("RAG_INDEX_DIR", index)),
                    help="index folder [env RAG_INDEX_DIR]")
    ap.add_argument("--no-refresh", action="store_true", help="serve the index as it is, without indexing new articles")
    ap.add_argument("--llm", default=settings.llm(),
                    help="offer generated answers from this model: 'local' (bundled SmolLM2 on llama.cpp, started and "
                    "stopped with the app) or an OpenAI-compatible URL ending in /v1 [env RAG_LLM_URL]")
    ap.add_argument("--generation", choices=settings.GENERATION_MODES, default=None,
                    help="answer style selected when the page opens [env RAG_GENERATION; default: llm with --llm, else extractive]")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    from .errors import RagError

    if not args.no_refresh:
        try:
            refresh_index(args.corpus, args.index)
        except RagError as e:
            sys.exit(f"error: {e}")
    client = None
    if args.llm:
        from .generation import open_client

        try:
            client, _server = open_client(args.llm)  # a local server stops when this process exits
        except RagError as e:
            sys.exit(f"error: {e}")
        import signal

        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # exit through atexit, which stops the model server
    mode = args.generation or os.environ.get("RAG_GENERATION") or ("llm" if client else "extractive")
    state = State(args.index, client=client, mode=mode)
    threading.Thread(target=state.warm_up, daemon=True).start()
    user, password = os.environ.get("RAG_USERNAME"), os.environ.get("RAG_PASSWORD")
    build_ui(state).queue(default_concurrency_limit=4).launch(
        server_name=args.host, server_port=args.port, auth=(user, password) if user and password else None,
        css=CSS, head=HEAD, show_error=False,
    )


