"""Load and soak against the running chat app on loopback.

    python benchmarks/soak.py [--clients 50] [--seconds 60] [--questions 1000]

1. `--clients` simultaneous API clients ask dev-set questions for `--seconds`:
   answers, errors, median and p95 latency.
2. One client then asks `--questions` questions in a row; the app's resident memory
   after the first 100 is compared with after the last.
Serves the starter index as it is (`app.py --no-refresh`). Prints one table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from cold_start import ROOT, start_app  # noqa: E402

QUESTIONS = [json.loads(line)["question"] for line in (ROOT / "tests/data/starter_dev.jsonl").read_text().splitlines()]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def load(url: str, clients: int, seconds: float) -> dict:
    from gradio_client import Client

    sessions = [Client(url, verbose=False) for _ in range(clients)]
    latencies, errors, lock = [], [], threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker(i: int) -> None:
        n = i
        while time.monotonic() < stop_at:
            q = QUESTIONS[n % len(QUESTIONS)]
            n += clients
            t = time.perf_counter()
            try:
                r = sessions[i].predict(q, api_name="/ask")
                ok = "error" not in r and (r["refused"] or r["citations"])
            except Exception as e:  # counted, never raised: this is what we measure
                ok, r = False, repr(e)
            with lock:
                (latencies if ok else errors).append(time.perf_counter() - t if ok else (q, r))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    return {
        "answers": len(latencies),
        "errors": len(errors),
        "median_s": statistics.median(latencies) if latencies else float("nan"),
        "p95_s": latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan"),
        "error_samples": errors[:3],
    }


def soak(url: str, pid: int, questions: int) -> dict:
    from gradio_client import Client

    client = Client(url, verbose=False)
    marks = {}
    for n in range(1, questions + 1):
        client.predict(QUESTIONS[n % len(QUESTIONS)], api_name="/ask")
        if n in (100, questions):
            marks[n] = rss_mb(pid)
    return {
        "rss_after_100_mb": marks[100],
        f"rss_after_{questions}_mb": marks[questions],
        "growth": marks[questions] / marks[100] - 1,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--questions", type=int, default=1000)
    args = ap.parse_args()
    proc, url = start_app("--no-refresh")
    try:
        from gradio_client import Client

        Client(url, verbose=False).predict("warm up", api_name="/ask")
        result = {**load(url, args.clients, args.seconds), **soak(url, proc.pid, args.questions)}
    finally:
        proc.terminate()
        proc.wait()
    print("| measure | value |\n|---|---|")
    for k, v in result.items():
        print(f"| {k} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {v} |")


if __name__ == "__main__":
    main()
