"""Issue 20's figures in one command: encoder backends, answers under load, build memory.

    python benchmarks/limits.py [--quick]

Runs, one after another on this machine: `encoders.py` (backends side by side),
`soak.py --clients 50 --seconds 60 --questions 100` (the app under load, on the starter questions
and, when the news index is built, `--cold` on the news dev questions), and
`build_memory.py` (peak RSS of a build, a no-change run and 100 new articles at 20,000 and 200,000
articles; `--quick`: 2,000 and 20,000). Prints the date and machine first; each
part prints its own table.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    machine = f"{platform.machine()} · {os.cpu_count()} cores · Python {platform.python_version()}"
    print(f"{time.strftime('%Y-%m-%d %H:%M')} · {machine}")
    sizes = ["2000", "20000"] if quick else ["20000", "200000"]
    parts = [
        ["encoders.py", "--articles", "100", "--distractors", "150"],
        ["soak.py", "--clients", "50", "--seconds", "60", "--questions", "100"],
        ["build_memory.py", "--sizes", *sizes],
    ]
    if (HERE / "out/news-index/CURRENT").exists():
        parts.insert(2, [*parts[1], "--cold"])
    for part in parts:
        print(f"\n## {' '.join(part)}", flush=True)
        subprocess.run([sys.executable, str(HERE / part[0]), *part[1:]], check=True)


if __name__ == "__main__":
    main()
