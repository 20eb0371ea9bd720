"""Chat with the news articles: ``python app.py`` serves it on http://127.0.0.1:7860.

On start it brings the index up to date with the corpus (only new or changed
articles are embedded), then answers questions from the articles.
Every sentence of an answer cites [n] an exact quote of an article, listed below it.
UI only: all the work happens in `rag`.
"""

from __future__ import annotations

import argparse
import html
import os
import sys
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

HERE = Path(__file__).resolve().parent
EXAMPLES = [
    "What did Rutte say about Ukraine?",
    "What did Rutte say about North Korea?",
    "Will NATO stay united after the US election?",
]


def refresh_index(corpus_dir: Path, index_dir: Path) -> str:
    """Index new or changed articles; return a one-line status for the page."""
    from rag.corpus import load_corpus
    from rag.index import update_index

    docs, problems = load_corpus(corpus_dir)
    for p in problems:
        print(f"skipped {p}", file=sys.stderr)
    report = update_index(docs, index_dir, problems=problems)
    print(
        f"index {index_dir}: {len(report.added)} added, {len(report.changed)} changed, {len(report.removed)} removed, "
        f"{report.chunks} passages, {report.seconds:.1f}s",
        file=sys.stderr,
    )
    return status_line(index_dir)


def status_line(index_dir: Path) -> str:
    from rag.retrieval import load_index

    idx = load_index(index_dir)
    m = idx.manifest
    return (
        f"{m['counts']['documents']} articles, {m['counts']['chunks']} passages · model {m['settings']['model']} · "
        f"built {m['built_at']}"
    )


def format_answer(a) -> str:
    """The answer and its numbered sources as Markdown; article text is escaped so it can never run as markup."""
    esc = html.escape
    if a.refused:
        parts = [f"**{esc(a.text)}**"]
        if a.related:
            parts.append("Related passages, but not an answer:")
            parts += [f"- *{esc(h.title)}* ({esc(h.source)}): {esc(h.text[:200])}…" for h in a.related]
        return "\n\n".join(parts)
    parts = [esc(a.text), "**Sources**"]
    for c in a.citations:
        meta = " · ".join(esc(x) for x in (c.source, c.published) if x)
        note = " (same fact, in its own words)" if c.role != "quote" else ""
        parts.append(f"[{c.n}] *{esc(c.title)}* ({meta}){note}: “{esc(c.quote)}”")
    return "\n\n".join(parts)


def build_ui(index_dir: Path, status: str):
    import gradio as gr

    from rag.answering import answer
    from rag.errors import RagError

    def respond(message: str, history: list) -> str:
        if not message or not message.strip():
            return "Please type a question, for example: What did Rutte say about Ukraine?"
        try:
            return format_answer(answer(message, history=history, index_dir=index_dir))
        except RagError as e:
            return f"Sorry, I can't answer right now: {e}"

    with gr.Blocks(title="News QA") as demo:
        gr.Markdown(f"# Ask the news\n{status}")
        gr.ChatInterface(respond, examples=EXAMPLES, api_name="chat")
    return demo


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default=os.environ.get("RAG_HOST", "127.0.0.1"), help="address to bind [env RAG_HOST]")
    ap.add_argument("--port", type=int, default=int(os.environ.get("RAG_PORT", "7860")), help="port [env RAG_PORT]")
    ap.add_argument("--corpus", type=Path, default=Path(os.environ.get("RAG_CORPUS_DIR", HERE / "corpus")))
    ap.add_argument("--index", type=Path, default=Path(os.environ.get("RAG_INDEX_DIR", HERE / "index")))
    ap.add_argument("--no-refresh", action="store_true", help="serve the index as it is, without indexing new articles")
    args = ap.parse_args(argv)

    from rag.errors import RagError

    try:
        status = status_line(args.index) if args.no_refresh else refresh_index(args.corpus, args.index)
    except RagError as e:
        sys.exit(f"error: {e}")
    build_ui(args.index, status).launch(server_name=args.host, server_port=args.port)


if __name__ == "__main__":
    main()
