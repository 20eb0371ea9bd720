"""A real Ray cluster of several nodes on 127.0.0.1, and a Milvus Lite server: for tests and benchmarks.

Each Ray node is its own set of processes (GCS, raylet, workers) started by
``ray start``, with a private HOME and temp folder; they are stopped by PID, never
with ``ray stop`` (which would stop every Ray on the machine).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_under(marker: str) -> list[int]:
    """PIDs whose command line or environment mentions `marker` (a cluster's private folder)."""
    pids = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit() or int(p.name) == os.getpid():
            continue
        try:
            if marker.encode() in (p / "cmdline").read_bytes() or marker.encode() in (p / "environ").read_bytes():
                pids.append(int(p.name))
        except OSError:
            pass
    return pids


def _stop(pids_of) -> list[int]:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids_of():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.time() + 10
        while pids_of() and time.time() < deadline:
            time.sleep(0.3)
    return pids_of()


@contextlib.contextmanager
def ray_cluster(nodes: int = 2, cpus_per_node: int = 1):
    """Yield (address, env, node_ids) of a fresh cluster; afterwards every process of it is gone."""
    base = Path(tempfile.mkdtemp(prefix="rag-ray-"))  # short: Ray's socket paths must stay under 108 bytes
    (base / "home").mkdir()
    env = {**os.environ, "HOME": str(base / "home"), "RAY_USAGE_STATS_ENABLED": "0"}
    ray = str(Path(sys.executable).with_name("ray"))
    port = free_port()
    common = ["--node-ip-address=127.0.0.1", f"--num-cpus={cpus_per_node}", "--disable-usage-stats"]
    try:
        subprocess.run(
            [
                ray,
                "start",
                "--head",
                f"--port={port}",
                f"--temp-dir={base}/node0",
                "--include-dashboard=false",
                *common,
            ],
            env=env,
            check=True,
            timeout=180,
            capture_output=True,
        )
        for i in range(1, nodes):
            subprocess.run(
                [ray, "start", f"--address=127.0.0.1:{port}", f"--temp-dir={base}/node{i}", *common],
                env=env,
                check=True,
                timeout=180,
                capture_output=True,
            )
        deadline = time.time() + 60
        while True:
            status = subprocess.run(
                [ray, "status", f"--address=127.0.0.1:{port}"], env=env, capture_output=True, text=True, timeout=60
            )
            ids = [w for w in status.stdout.split() if w.startswith("node_")]
            if len(ids) >= nodes:
                break
            if time.time() > deadline:
                raise RuntimeError(f"only {len(ids)} of {nodes} Ray nodes joined:\n{status.stdout}{status.stderr}")
            time.sleep(1)
        yield f"127.0.0.1:{port}", env, [i.removeprefix("node_") for i in ids]
    finally:
        left = _stop(lambda: processes_under(str(base)))
        shutil.rmtree(base, ignore_errors=True)
        if left:
            raise RuntimeError(f"Ray processes {left} outlived SIGKILL")


@contextlib.contextmanager
def milvus_server(data_dir: Path):
    """`milvus-lite server` on a free loopback port; yields its URI, stops it afterwards."""
    port = free_port()
    exe = Path(sys.executable).with_name("milvus-lite")
    log = open(data_dir / "milvus-server.log", "w")
    proc = subprocess.Popen(
        [str(exe), "server", "--data-dir", str(data_dir / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"milvus-lite server exited: {(data_dir / 'milvus-server.log').read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("milvus-lite server did not start in 60 s") from None
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
