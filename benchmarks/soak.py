"""Load and soak against the running chat app on loopback.

    python benchmarks/soak.py [--clients 50] [--seconds 60] [--questions 1000] [--cold]

1. `--clients` simultaneous API clients ask the starter dev set's 38 questions over and over
   for `--seconds` (with `--cold`: the news index, each of its 328 dev questions asked once,
   until they or the seconds run out, so that nothing is answered from a cache):
   answers, errors, median and p95 latency, and the CPU seconds the app and the load
   generator used (both share these cores).
2. One client then asks `--questions` questions in a row; the app's resident memory
   after the first 100 is compared with after the last.
Serves the starter index (with `--cold`, the news index) as it is (`app.py --no-refresh`). Prints one table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from cold_start import ROOT, start_app  # noqa: E402


def questions(*files: str) -> list[str]:
    return [json.loads(line)["question"] for f in files for line in (ROOT / f).read_text().splitlines()]


QUESTIONS = questions("tests/data/starter_dev.jsonl")
NEWS = questions(*(f"benchmarks/news_{name}.jsonl" for name in ("answers", "questions", "time")))
NEWS_INDEX = ROOT / "benchmarks/out/news-index"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def ask(client, question: str) -> dict:
    """One answer through Gradio's REST API: POST the call, then read its event stream to the end."""
    r = await client.post("gradio_api/call/ask", json={"data": [question, 6, [], "", "", [], "", ""]})
    r.raise_for_status()
    r = await client.get(f"gradio_api/call/ask/{r.json()['event_id']}")
    event, _, data = r.text.strip().split("\n\n")[-1].partition("\ndata: ")  # after any heartbeats
    if event != "event: complete":
        raise RuntimeError(r.text[:200])
    return json.loads(data)[0]


async def load(client, clients: int, seconds: float, pid: int, cold: bool = False) -> dict:
    """`clients` concurrent askers in one event loop over plain HTTP (a light client: on these 2 cores, 50
    gradio_client sessions in threads took more CPU than the app they measured)."""
    latencies, errors = [], []
    stop_at = time.monotonic() + seconds
    fresh = iter(dict.fromkeys(NEWS))  # each once

    async def worker(i: int) -> None:
        n = i
        while time.monotonic() < stop_at:
            q = next(fresh, None) if cold else QUESTIONS[n % len(QUESTIONS)]
            if q is None:
                return
            n += clients
            t = time.perf_counter()
            try:
                r = await ask(client, q)
                ok = "error" not in r and (r["refused"] or r["citations"])
            except Exception as e:  # counted, never raised: this is what we measure
                ok, r = False, repr(e)
            (latencies if ok else errors).append(time.perf_counter() - t if ok else (q, r))

    app_cpu, own_cpu, began = cpu_s(pid), cpu_s(os.getpid()), time.monotonic()
    await asyncio.gather(*(worker(i) for i in range(clients)))
    took = time.monotonic() - began
    latencies.sort()
    return {
        "answers": len(latencies),
        "seconds": took,
        "answers_per_s": len(latencies) / took,
        "errors": len(errors),
        "median_s": statistics.median(latencies) if latencies else float("nan"),
        "p95_s": latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan"),
        "app_cpu_s": cpu_s(pid) - app_cpu,
        "load_generator_cpu_s": cpu_s(os.getpid()) - own_cpu,
        "error_samples": errors[:3],
    }


async def soak(client, pid: int, questions: int) -> dict:
    marks = {}
    for n in range(1, questions + 1):
        await ask(client, QUESTIONS[n % len(QUESTIONS)])
        if n in (100, questions):
            marks[n] = rss_mb(pid)
    return {
        "rss_after_100_mb": marks[100],
        f"rss_after_{questions}_mb": marks[questions],
        "growth": marks[questions] / marks[100] - 1,
    }


async def run(url: str, pid: int, args) -> dict:
    """Warm up, the load, then the soak, over one HTTP client with a connection per load client."""
    import httpx

    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as client:
        await ask(client, "warm up")
        loaded = await load(client, args.clients, args.seconds, pid, args.cold)
        return {**loaded, **await soak(client, pid, args.questions)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--questions", type=int, default=1000)
    ap.add_argument("--cold", action="store_true", help="the news index, each news dev question asked once")
    args = ap.parse_args()
    proc, url = start_app("--no-refresh", *(["--index", str(NEWS_INDEX)] if args.cold else []))
    try:
        result = asyncio.run(run(url, proc.pid, args))
    finally:
        proc.terminate()
        proc.wait()
    print("| measure | value |\n|---|---|")
    for k, v in result.items():
        print(f"| {k} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {v} |")


if __name__ == "__main__":
    main()
