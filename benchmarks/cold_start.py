"""Cold start: fresh processes timing `import rag`, the first `retrieve()`, the first `answer()`,
and `python app.py` until the page is served and until its first answer, per embedding backend.

    python benchmarks/cold_start.py [--backends torch-fp32,onnx-int8]

Each backend gets a starter-corpus index of its own (benchmarks/out/cold-<backend>;
the ONNX export is made, and cached, before timing starts). Prints one table
(seconds, median of 3 runs).
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = {
    "import rag": "import rag",
    "first retrieve()": "import rag; rag.retrieve('What did Rutte say about Ukraine?', index_dir={index!r})",
    "first answer()": "import rag; rag.answer('What did Rutte say about Ukraine?', index_dir={index!r})",
}


def timed(code: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - t


def start_app(*args: str) -> tuple[subprocess.Popen, str]:
    """`python app.py` on a free loopback port, returned once its page is served."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"app.py exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.1)


def app_times(*args: str) -> tuple[float, float]:
    t = time.perf_counter()
    proc, url = start_app(*args)
    try:
        page = time.perf_counter() - t
        from gradio_client import Client

        Client(url, verbose=False).predict("What did Rutte say about Ukraine?", api_name="/ask")
        return page, time.perf_counter() - t
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backends", default="torch-fp32,onnx-int8")
    backends = ap.parse_args().backends.split(",")
    table: dict[str, dict[str, float]] = {}
    for backend in backends:
        index = str(ROOT / "benchmarks" / "out" / f"cold-{backend}")
        subprocess.run(
            [sys.executable, "-m", "rag", "index", "-q", "--index", index, "--backend", backend],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        rows = {
            name: statistics.median(timed(code.format(index=index)) for _ in range(3))
            for name, code in SNIPPETS.items()
        }
        apps = [app_times("--index", index) for _ in range(3)]
        rows["app.py: page served"] = statistics.median(a for a, _ in apps)
        rows["app.py: first answer"] = statistics.median(b for _, b in apps)
        table[backend] = rows
    print("| step (fresh process) | " + " | ".join(backends) + " |\n|---|" + "---|" * len(backends))
    for name in table[backends[0]]:
        print(f"| {name} | " + " | ".join(f"{table[b][name]:.2f}" for b in backends) + " |")


if __name__ == "__main__":
    main()
