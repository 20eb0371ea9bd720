"""The ``rag`` command line: build the index, search it, ask it, evaluate it, serve the chat.

This is an edge: settings are read here (`rag.config.Config.from_env`, flags over
``RAG_*`` variables), and library errors (`RagError`) become a one-line message and
a non-zero exit here, and only here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import textwrap
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from .config import Config
from .errors import CorpusError, RagError

app = typer.Typer(
    help="Question answering over news articles with cited, checkable evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain: their "[env: …; default: …]" notes and JSON examples stay intact
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

SOURCE_HELP = 'Only articles from this publisher (repeatable), e.g. --source "Khaleej Times".'
SINCE_HELP = "Only articles published on or after this date (YYYY, YYYY-MM or YYYY-MM-DD)."
UNTIL_HELP = "Only articles published on or before this date."
INDEX_HELP = "Index folder. [env: RAG_INDEX_DIR; default: index]"
# Options shared by several commands (typer builds a fresh click option from each use).
INDEX_OPTION = typer.Option(None, "--index", "-i", help=INDEX_HELP)
SOURCE_OPTION = typer.Option([], "--source", help=SOURCE_HELP)
SINCE_OPTION = typer.Option("", "--since", help=SINCE_HELP)
UNTIL_OPTION = typer.Option("", "--until", help=UNTIL_HELP)
NOW_OPTION = typer.Option(
    None,
    "--now",
    help="The day the question is asked (YYYY-MM-DD): 'last week' and 'latest' count from it, and "
    "nothing published later is read. [default: today]",
)
CORPUS_HELP = (
    "Articles: a folder of .txt/.md/.jsonl/.csv files, or one such file. [env: RAG_CORPUS_DIR; default: corpus]"
)
MODE_OPTION = typer.Option(
    None,
    "--mode",
    help="extractive (quotes, the default) or llm (a language model writes, every sentence is verified). [env: "
    "RAG_GENERATION]",
)
LLM_OPTION = typer.Option(
    None,
    "--llm",
    help="llm mode's model: 'local' (bundled SmolLM2 on llama.cpp) or an OpenAI-compatible URL ending in /v1. "
    "[env: RAG_LLM_URL]",
)


def _config(**flags) -> Config:
    """The settings of this run: `flags` (those given) over the ``RAG_*`` variables."""
    try:
        return Config.from_env(os.environ, **flags)
    except RagError as e:
        _fail(e)


def _fail(e: RagError, code: int = 2) -> None:
    err.print(f"[red]error:[/red] {e}")
    raise typer.Exit(code)


@contextlib.contextmanager
def _answering(config: Config):
    """Keyword arguments for `answer()` in the mode `config` asks for (starting and stopping a local model server)."""
    if config.answer_mode == "extractive":
        yield {"mode": "extractive"}
        return
    from .generation import open_client

    client, server = open_client(
        config.llm_url, model=config.llm_model, api_key=config.llm_api_key, context_tokens=config.llm_context
    )
    try:
        yield {"mode": "llm", "client": client}
    finally:
        if server:
            server.stop()


@app.command("index")
def index_command(
    corpus: Optional[Path] = typer.Option(None, "--corpus", "-c", help=CORPUS_HELP),
    index: Optional[Path] = INDEX_OPTION,
    full: bool = typer.Option(False, "--full", help="Rebuild everything instead of only new and changed articles."),
    model: Optional[str] = typer.Option(None, "--model", help="Embedding model name or local folder. [env: RAG_MODEL]"),
    backend: Optional[str] = typer.Option(
        None,
        "--backend",
        help="Embedding backend: onnx-int8 (fastest), onnx-fp32 or torch-fp32; changing it re-embeds everything. "
        "[env: RAG_BACKEND; default: the index's own, or onnx-int8 for a new index]",
    ),
    index_type: Optional[str] = typer.Option(
        None,
        "--index-type",
        help="Vector index: auto (exact up to 100,000 passages, IVF-SQ8 above), flat, ivf-sq8 or hnsw-sq8. "
        "[env: RAG_INDEX_TYPE; default: the index's own, or auto]",
    ),
    store: Optional[str] = typer.Option(
        None,
        "--store",
        help="Where the index lives: faiss (files in the index folder) or milvus (see --milvus-uri). "
        "[env: RAG_STORE; default: the index folder's own, or faiss]",
    ),
    milvus_uri: Optional[str] = typer.Option(
        None,
        "--milvus-uri",
        help="Milvus to write to: a Milvus Lite file or http://host:19530. [env: RAG_MILVUS_URI; default: "
        "<index>/milvus.db]",
    ),
    ray: Optional[str] = typer.Option(
        None,
        "--ray",
        help="Chunk and embed on a Ray cluster: auto (the one started on this machine), host:6379, ray://host:10001, "
        "or local (a private one). Same index as a local build. [env: RAG_RAY_ADDRESS]",
    ),
    chunk_tokens: int = typer.Option(160, "--chunk-tokens", min=16, max=250, help="Passage budget in cl100k tokens."),
    overlap_tokens: int = typer.Option(
        32, "--overlap-tokens", min=0, help="Tokens of trailing sentences repeated in the next passage."
    ),
    max_chars: int = typer.Option(2_000_000, "--max-chars", min=1, help="Largest article accepted, in characters."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Build or update the index from the articles (only new and changed ones are embedded).

    Examples:

    \b
      rag index                               # corpus/ → index/
      rag index --corpus ~/news --index ~/news-index
      rag index --full                        # re-embed everything
      rag index --ray auto --store milvus --milvus-uri http://milvus:19530
    """
    config = _config(
        corpus_dir=corpus,
        index_dir=index,
        model=model,
        backend=backend,
        index_type=index_type,
        store=store,
        milvus_uri=milvus_uri,
        ray_address=ray,
    )
    if overlap_tokens >= chunk_tokens:
        err.print(
            f"[red]error:[/red] --overlap-tokens {overlap_tokens} must be smaller than --chunk-tokens {chunk_tokens}"
        )
        raise typer.Exit(2)
    options = config.build_options(max_tokens=chunk_tokens, overlap_tokens=overlap_tokens, full=full)
    _quiet_libraries()
    report, problems = _run_index(config, options, max_chars=max_chars, quiet=quiet)
    _print_report(config, report)
    if problems:
        err.print(f"[red]{len(problems)} article(s) could not be indexed[/red]: fix them and run `rag index` again")
        raise typer.Exit(1)


def _run_index(config: Config, options, *, max_chars: int, quiet: bool):
    from .build import CRASH_POINTS, kill_at, update_index
    from .corpus import read_corpus

    corpus = None
    try:
        corpus = read_corpus(config.corpus_dir, max_chars=max_chars)  # read as the update goes: one file at a time
        with _progress(quiet) as progress:
            report = update_index(
                corpus,
                config.index_dir,
                options,
                problems=corpus.problems,
                progress=progress,
                checkpoint=kill_at(config.crash_at if config.crash_at in CRASH_POINTS else None),
            )
    except RagError as e:
        _print_skipped(corpus.problems if corpus else [])
        _fail(e)
    _print_skipped(corpus.problems)
    return report, corpus.problems


def _only_feeds(corpus_dir: Path) -> bool:
    """Whether a corpus follows feeds but holds no article file yet."""
    from .corpus import read_corpus
    from .feeds import feed_urls

    if not feed_urls(corpus_dir):
        return False
    try:
        read_corpus(corpus_dir)
    except CorpusError:
        return True
    return False


def _print_skipped(problems) -> None:
    for p in problems:
        err.print(f"[yellow]skipped[/yellow] {p}", markup=True)


GRADIO_SETTINGS = {
    "GRADIO_ANALYTICS_ENABLED": "False",  # it sends nothing anywhere
    # Its queue otherwise keeps the last 10,000 events and, after every answer, summarises them in a pandas
    # table for a monitoring page this app does not enable: ~17% of the app's time under 50 clients.
    "GRADIO_ANALYTICS_MAX_EVENTS": "1",
    "GRADIO_ANALYTICS_CACHE_FREQUENCY": str(2**62),
}


def _quiet_libraries() -> None:
    """rag's own progress lines on stderr; the libraries under it only when something is wrong."""
    logging.getLogger().setLevel(logging.WARNING)
    for name in ("httpx", "gradio", "faiss", "faiss.loader", "onnxruntime", "urllib3", "asyncio"):
        logging.getLogger(name).setLevel(logging.ERROR)
    rag_log = logging.getLogger("rag")
    rag_log.setLevel(logging.INFO)
    if not rag_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        rag_log.addHandler(handler)
        rag_log.propagate = False


def _print_report(config: Config, report, to: Console = out) -> None:
    if report.full_reason == "new index":
        err.print(f"built a new index at {config.index_dir}")
    elif report.full_reason:
        err.print(f"rebuilt everything: {report.full_reason}")
    to.print(
        f"index {config.index_dir}: {len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.removed)} removed, "
        f"{report.unchanged} unchanged; {report.chunks} passages ({report.embedded} embedded) in {report.seconds:.1f}s"
    )
    from .store import milvus_location, store_kind

    if store_kind(config.index_dir) == "milvus":
        where = config.milvus() if config.milvus_uri else milvus_location(config.index_dir)
        err.print(
            f"stored in Milvus at {where.uri} (collections {where.collection}_*); "
            f"{config.index_dir / 'store.json'} points to it"
        )
    if report.nodes:
        spread = ", ".join(f"{node[:8]} {n:,}" for node, n in sorted(report.nodes.items()))
        err.print(f"embedded on {len(report.nodes)} Ray node(s): {spread} passages")


class _progress:
    """Rich progress bars for the build stages, or nothing when quiet or not a terminal."""

    def __init__(self, quiet: bool):
        self.enabled = not quiet
        self.bar = None
        self.tasks: dict[str, int] = {}

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description:>9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=err,
            transient=False,
        )
        self.bar.start()
        return self.update

    def update(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage, total=total)
        self.bar.update(self.tasks[stage], completed=done, total=total)

    def __exit__(self, *exc):
        if self.bar:
            self.bar.stop()


@app.command("search")
def search_command(
    query: str = typer.Argument(..., help="What to look for, in plain words."),
    k: int = typer.Option(5, "-k", help="How many passages."),
    index: Optional[Path] = INDEX_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the hits as a JSON list."),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid (keywords + vectors), dense or lexical."),
    rerank: bool = typer.Option(
        False, "--rerank", help="Re-score the candidates with the cross-encoder (slower, better order)."
    ),
    source: list[str] = SOURCE_OPTION,
    since: str = SINCE_OPTION,
    until: str = UNTIL_OPTION,
    now: Optional[str] = NOW_OPTION,
) -> None:
    """Show the passages most relevant to a query.

    Examples:

    \b
      rag search "What did Rutte say about Ukraine?"
      rag search "North Korea" -k 3 --json
      rag search "Ukraine" --source "Khaleej Times" --since 2024-11
    """
    import dataclasses

    from .retrieval import load_index, search
    from .types import Filters

    config = _config(index_dir=index)
    try:
        filters = Filters(sources=tuple(source), since=since, until=until)
        found = search(query, k, index_dir=config.location(), mode=mode, rerank=rerank, filters=filters, now=now)
        hits = found.hits
        size = len(load_index(config.location()))
    except RagError as e:
        _fail(e)
    if k > size:
        err.print(f"note: -k {k} is more than the {size} passages in the index; showing all {size}")
    if not hits and filters:
        err.print("no article matches these filters; nothing to show")
    if as_json:
        out.print_json(json.dumps([dataclasses.asdict(h) for h in hits], ensure_ascii=False))
        return
    if found.window is not None or found.time.latest:
        when = f"published {found.window.describe()}" if found.window else "newest first"
        err.print(f"searched for: {found.time.text!r}, {when} (as of {found.now.isoformat()})", markup=False)
    if found.note:
        err.print(found.note, markup=False)
    print_hits(hits, mode="reranked" if rerank else mode)


SCORES = {
    "hybrid": ("match", "1.00 = ranked first by both keyword (BM25) and meaning (vector) search; 0.50 = first by one"),
    "dense": ("cosine", "similarity of meaning between query and passage, -1 to 1"),
    "lexical": ("BM25", "keyword relevance; higher is better, no fixed scale"),
    "reranked": ("logit", "cross-encoder relevance: above 0 usually relevant, below -5 almost surely not"),
}


def print_hits(hits, *, mode: str) -> None:
    """Rank, a score a reader can use, the article (title, publisher, date) and the passage; aligned."""
    from .store.fusion import rank_score

    name, meaning = SCORES[mode]
    out.print(f"{'':>3}  {name:>6}  ({name}: {meaning})\n", markup=False)
    for rank, h in enumerate(hits, start=1):
        score = h.score / (2 * rank_score(1)) if mode == "hybrid" else h.score
        meta = " · ".join(x for x in (h.source, h.published) if x)
        out.print(
            f"[bold]{rank:>3}. {score:6.2f}  {escape(h.title or h.doc_id)}[/bold]"
            + (f" — {escape(meta)}" if meta else "")
        )
        out.print(f"{'':>13}[dim]{escape(h.chunk_id)}, characters {h.start}–{h.end}[/dim]")
        out.print(textwrap.indent(textwrap.fill(" ".join(h.text.split()), 100), " " * 13) + "\n", markup=False)


@app.command("ask")
def ask_command(
    question: str = typer.Argument(..., help="A question about the articles."),
    k: int = typer.Option(6, "-k", min=1, help="How many passages to read the answer from."),
    index: Optional[Path] = INDEX_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the answer, its citations and refusal flag as JSON."),
    source: list[str] = SOURCE_OPTION,
    since: str = SINCE_OPTION,
    until: str = UNTIL_OPTION,
    mode: Optional[str] = MODE_OPTION,
    llm: Optional[str] = LLM_OPTION,
    now: Optional[str] = NOW_OPTION,
) -> None:
    """Answer a question; every sentence cites [n] an exact quote of an article.

    Examples:

    \b
      rag ask "What did Rutte say about Ukraine?"
      rag ask "Who won the 2024 election?" --json
      rag ask "What did Rutte say about Ukraine?" --mode llm --llm local
    """
    from .answering import answer
    from .types import Filters

    config = _config(index_dir=index, generation=mode, llm_url=llm)
    try:
        with _answering(config) as how:
            a = answer(
                question,
                k=k,
                index_dir=config.location(),
                filters=Filters(sources=tuple(source), since=since, until=until),
                now=now,
                **how,
            )
    except RagError as e:
        _fail(e)
    if as_json:
        out.print_json(json.dumps(a.to_dict(), ensure_ascii=False))
        return
    _print_answer(a)


def _print_answer(a) -> None:
    if a.note and not a.refused:
        out.print(a.note + "\n", markup=False)
    if a.short:
        out.print(f"Answer: {a.short.text} [{a.short.n}]\n", markup=False)
    out.print(a.text, markup=False)
    if a.mode != "extractive":
        err.print(f"({a.mode}: {len(a.removed)} generated sentence(s) removed as unsupported)")
        for r in a.removed:
            err.print(f"  removed: {r['sentence']}  — {r['reason']}", markup=False)
    if a.citations:
        out.print("\nSources:")
        for c in a.citations:
            meta = ", ".join(x for x in (c.source, c.published) if x)
            role = {"corroboration": " (corroborates)", "support": " (supports)"}.get(c.role, "")
            where = f"{c.title or c.doc_id}" + (f" ({meta})" if meta else "")
            out.print(f"[{c.n}] {where}, chars {c.start}-{c.end}{role}", markup=False)
            out.print(f"    > {c.quote}", markup=False)
    elif a.related:
        out.print("\nRelated passages, but not an answer:")
        for h in a.related:
            where = (h.title or h.doc_id) + (f" ({h.source})" if h.source else "")
            out.print(f"- {where}: {' '.join(h.text.split())[:160]}…", markup=False)


@app.command("eval")
def eval_command(
    questions: Path = typer.Option(
        Path("tests/data/starter_dev.jsonl"), "--questions", "-q", help="Question file (JSON Lines)."
    ),
    index: Optional[Path] = INDEX_OPTION,
    k: int = typer.Option(5, "-k", min=1, help="Cut-off for retrieval hit@k."),
    as_json: bool = typer.Option(False, "--json", help="Print metrics and per-question rows as JSON."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="List every question with its result."),
    mode: Optional[str] = MODE_OPTION,
    llm: Optional[str] = LLM_OPTION,
    split: Optional[str] = typer.Option(
        None, "--split", help='Only the questions whose "split" field has this value (e.g. tune, report).'
    ),
    by_type: bool = typer.Option(
        False, "--by-type", help="One column of metrics per expected answer type, and one for all."
    ),
) -> None:
    """Score retrieval and answers on a question file.

    Each line: {"question": ..., "answerable": true/false, "docs": [doc ids],
    "facts": ["key fact|alternative", ...], "history": [earlier questions]};
    optional: "type" (expected answer type), "short" (the short answer, "|" between
    forms), "near_miss", "split".

    Examples:

    \b
      rag eval                                    # the starter-corpus dev set
      rag eval --questions my_questions.jsonl --index ~/news-index --json
      rag eval --mode llm --llm local             # generated answers: adds the share of sentences removed
      rag eval -q benchmarks/news_answers.jsonl --index benchmarks/out/news-index --split report --by-type
    """
    from .answering import answer
    from .evaluation import evaluate, load_questions, metrics_by_type

    config = _config(index_dir=index, generation=mode, llm_url=llm)
    try:
        asked = load_questions(questions, split=split)
        with _answering(config) as how, _progress(False) as bar:
            report = evaluate(
                asked,
                index_dir=config.location(),
                k=k,
                answer_fn=lambda q, **kw: answer(q, **kw, **how),
                progress=lambda done, total: bar("questions", done, total),
            )
    except RagError as e:
        _fail(e)
    if by_type:
        report.metrics = metrics_by_type(report.rows, k)
    if as_json:
        out.print_json(json.dumps({"metrics": report.metrics, "rows": report.rows}, ensure_ascii=False))
        return
    _print_eval(report, questions, split, by_type, verbose)


def _print_eval(report, questions: Path, split: str | None, by_type: bool, verbose: bool) -> None:
    from rich.table import Table

    if verbose:
        for r in report.rows:
            ok = r["refused"] != r["answerable"] and r["facts_found"] == r["facts"] and not r["citation_problems"]
            out.print(
                f"{'ok ' if ok else 'BAD'} rank={r['rank']} facts={r['facts_found']}/{r['facts']} {r['question']}",
                markup=False,
            )
    columns = report.metrics if by_type else {"value": report.metrics}
    table = Table("metric", *columns, title=f"rag eval: {questions}" + (f" ({split} half)" if split else ""))
    for name in next(iter(columns.values())):
        table.add_row(name, *(_figure(m.get(name)) for m in columns.values()))
    out.print(table)


def _figure(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1 else f"{value:.0f}"
    return "" if value is None else str(value)


feeds_app = typer.Typer(
    help="The feeds a corpus follows: its feeds.txt, one URL a line (rag update reads them).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(feeds_app, name="feeds")
CORPUS_OPTION_HELP = "Corpus folder whose feeds.txt this is. [env: RAG_CORPUS_DIR; default: corpus]"
CONTACT_OPTION = typer.Option(
    None, "--contact", help="E-mail or URL for site operators, sent in the User-Agent. [env: RAG_CONTACT]"
)


@feeds_app.command("add")
def feeds_add(url: str, corpus: Optional[Path] = typer.Option(None, "--corpus", "-c", help=CORPUS_OPTION_HELP)):
    """Follow a feed (RSS, Atom, RDF or JSON Feed): add its URL to the corpus's feeds.txt.

    \b
      rag feeds add https://feeds.bbci.co.uk/news/world/rss.xml
    """
    from .feeds import FEEDS_FILE, add_feed

    config = _config(corpus_dir=corpus)
    try:
        added = add_feed(config.corpus_dir, url)
    except RagError as e:
        _fail(e)
    where = config.corpus_dir / FEEDS_FILE
    out.print(f"following {url} ({where}); `rag update` fetches it" if added else f"{url} is already in {where}")


@feeds_app.command("list")
def feeds_list(corpus: Optional[Path] = typer.Option(None, "--corpus", "-c", help=CORPUS_OPTION_HELP)):
    """The feeds the corpus follows, one a line."""
    from .feeds import feed_urls

    for url in feed_urls(_config(corpus_dir=corpus).corpus_dir):
        out.print(url, markup=False)


@feeds_app.command("remove")
def feeds_remove(url: str, corpus: Optional[Path] = typer.Option(None, "--corpus", "-c", help=CORPUS_OPTION_HELP)):
    """Stop following a feed (the articles already saved from it stay in the corpus)."""
    from .feeds import FEEDS_FILE, remove_feed

    config = _config(corpus_dir=corpus)
    if not remove_feed(config.corpus_dir, url):
        err.print(f"[red]error:[/red] {escape(url)} is not in {config.corpus_dir / FEEDS_FILE}; see `rag feeds list`")
        raise typer.Exit(2)
    out.print(f"no longer following {url}", markup=False)


@app.command("update")
def update_command(
    corpus: Optional[Path] = typer.Option(None, "--corpus", "-c", help=CORPUS_HELP),
    index: Optional[Path] = INDEX_OPTION,
    contact: Optional[str] = CONTACT_OPTION,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Fetch the corpus's feeds, save their new articles under feeds/<host>/, and update the index.

    Exit 0 when every feed and page was read; 1 when any failed (each named, with why: they are
    retried next time; the rest is saved and indexed).

    \b
      rag feeds add https://www.theguardian.com/world/rss
      rag update                      # then ask: rag ask "What happened in ...?"
    """
    config = _config(corpus_dir=corpus, index_dir=index, contact=contact)
    from .feeds import feed_urls

    if not feed_urls(config.corpus_dir):
        err.print(f"[red]error:[/red] {config.corpus_dir} follows no feed: add one with `rag feeds add URL`")
        raise typer.Exit(2)
    _finish_update(config, _fetch_feeds(config), quiet)


def _fetch_feeds(config: Config):
    """Fetch the corpus's feeds and save their new articles (the first half of `rag update`)."""
    from .build import kill_at
    from .follow import CRASH_POINTS, update_corpus
    from .web import PoliteClient

    point = config.crash_at if config.crash_at in CRASH_POINTS else None
    t0 = time.perf_counter()
    with PoliteClient(config.web_settings()) as client, err.status("fetching feeds") as status:
        report = update_corpus(
            config.corpus_dir,
            client,
            checkpoint=kill_at(point, CRASH_POINTS),
            progress=lambda url: status.update(f"fetching {url}"),
        )
    err.print(f"fetched {len(client.requests)} URL(s) in {time.perf_counter() - t0:.1f}s")
    return report


@app.command("add")
def add_command(
    url: str,
    corpus: Optional[Path] = typer.Option(None, "--corpus", "-c", help=CORPUS_HELP),
    index: Optional[Path] = INDEX_OPTION,
    contact: Optional[str] = CONTACT_OPTION,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Fetch one article page, save it under feeds/<host>/ (unless saved already), and update the index.

    \b
      rag add https://www.bbc.co.uk/news/world-europe-39280406
    """
    from .feeds import check_url
    from .follow import add_article
    from .web import PoliteClient

    config = _config(corpus_dir=corpus, index_dir=index, contact=contact)
    try:
        check_url(url)
    except RagError as e:
        _fail(e)
    with PoliteClient(config.web_settings()) as client, err.status(f"fetching {url}"):
        report = add_article(config.corpus_dir, url, client)
    _finish_update(config, report, quiet)


def _finish_update(config: Config, report, quiet: bool) -> None:
    """Print what each feed gave and each failure, index what was saved, exit 1 if anything failed."""
    for source in report.sources:
        out.print(source.summary(), markup=False)
    for failure in report.failures():
        err.print(f"failed: {failure}", markup=False)
    for s in report.saved:
        err.print(f"saved {s.path}: {s.title}", markup=False)
    _quiet_libraries()
    index_report, problems = _run_index(config, config.build_options(), max_chars=2_000_000, quiet=quiet)
    _print_report(config, index_report)
    if not report.ok or problems:
        err.print("some sources failed: the rest is saved and indexed; `rag update` retries the failed ones")
        raise typer.Exit(1)


@app.command("serve")
def serve_command(
    host: Optional[str] = typer.Option(None, "--host", help="Address to bind. [env: RAG_HOST; default: 127.0.0.1]"),
    port: Optional[int] = typer.Option(None, "--port", help="Port. [env: RAG_PORT; default: 7860]"),
    corpus: Optional[Path] = typer.Option(
        None, "--corpus", "-c", help="Articles to index on start. [env: RAG_CORPUS_DIR; default: corpus]"
    ),
    index: Optional[Path] = INDEX_OPTION,
    no_refresh: bool = typer.Option(
        False, "--no-refresh", help="Serve the index as it is, without indexing new articles."
    ),
    llm: Optional[str] = typer.Option(
        None,
        "--llm",
        help="Offer generated answers from this model: 'local' (bundled SmolLM2 on llama.cpp, started and stopped with "
        "the app) or an OpenAI-compatible URL ending in /v1. [env: RAG_LLM_URL]",
    ),
    refresh_every: Optional[int] = typer.Option(
        None,
        "--refresh-every",
        min=0,
        help="Every this many minutes, fetch the corpus's feeds and index new articles in the background (see "
        "`rag feeds`); answers keep coming from the current index meanwhile. [env: RAG_REFRESH_EVERY; default: 0, "
        "never]",
    ),
    generation: Optional[str] = typer.Option(
        None,
        "--generation",
        help="Answer style selected when the page opens: extractive or llm. [env: RAG_GENERATION; default: llm "
        "with --llm, else extractive]",
    ),
) -> None:
    """Serve the chat page (``python app.py`` is the same), after indexing new or changed articles.

    Examples:

    \b
      rag serve                                  # corpus/ and index/ in this folder, http://127.0.0.1:7860
      rag serve --index ~/news-index --no-refresh --port 8080
      rag serve --refresh-every 30                # follow the feeds of corpus/feeds.txt
    """
    for name, value in GRADIO_SETTINGS.items():  # before gradio is imported
        os.environ.setdefault(name, value)
    config = _config(
        host=host,
        port=port,
        corpus_dir=corpus,
        index_dir=index,
        llm_url=llm,
        generation=generation,
        refresh_every=refresh_every,
    )
    _quiet_libraries()
    if not no_refresh:
        if _only_feeds(config.corpus_dir):  # a corpus just set up with `rag feeds add`: its first articles
            err.print(f"{config.corpus_dir} follows feeds but holds no article yet: fetching them first")
            for failure in _fetch_feeds(config).failures():
                err.print(f"failed: {failure}", markup=False)
        report, problems = _run_index(config, config.build_options(), max_chars=2_000_000, quiet=False)
        _print_report(config, report, to=err)
    if not config.llm_url:
        err.print("answers: quotes from the articles (for generated answers too, start with --llm local or --llm URL)")
    from .ui.app import serve

    err.print("starting the chat page…")
    try:
        serve(config)
    except RagError as e:
        _fail(e, code=1)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app(argv)
    except KeyboardInterrupt:
        err.print("interrupted; the index was left as it was")
        sys.exit(130)


if __name__ == "__main__":
    main()
