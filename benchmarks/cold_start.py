"""Cold start: fresh processes timing `import rag`, the first `retrieve()`, the first `answer()`,
and `python app.py` until the page is served and until its first answer.

    python benchmarks/cold_start.py          # uses ./index (built from ./corpus if missing)

Prints one table (seconds, median of 3 runs).
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
    "first retrieve()": "import rag; rag.retrieve('What did Rutte say about Ukraine?')",
    "first answer()": "import rag; rag.answer('What did Rutte say about Ukraine?')",
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
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port), *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"app.py exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.1)


def app_times() -> tuple[float, float]:
    t = time.perf_counter()
    proc, url = start_app()
    try:
        page = time.perf_counter() - t
        from gradio_client import Client

        Client(url, verbose=False).predict("What did Rutte say about Ukraine?", api_name="/ask")
        return page, time.perf_counter() - t
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    subprocess.run([sys.executable, "-m", "rag", "index", "-q"], cwd=ROOT, check=True, capture_output=True)
    rows = {name: statistics.median(timed(code) for _ in range(3)) for name, code in SNIPPETS.items()}
    apps = [app_times() for _ in range(3)]
    rows["app.py: page served"] = statistics.median(a for a, _ in apps)
    rows["app.py: first answer"] = statistics.median(b for _, b in apps)
    print("| step (fresh process) | seconds |\n|---|---|")
    for name, seconds in rows.items():
        print(f"| {name} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
