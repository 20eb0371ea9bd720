"""Embedding on a Ray cluster (``rag index --ray ADDRESS``), for corpora one machine is slow on.

`ClusterEncoder` is an encoder whose build calls (`encode_documents`) run on the cluster:
one actor per CPU there, each with the model loaded once, is handed a few model calls of
the build plan at a time (`Encoder.plan`, exactly as a local build lays them out, so every
passage is embedded in the same company of passages and gets the same vector bit for bit:
INT8 scales activations per model call). The build's spool hands it one step of passages
at a time and writes the vectors it returns to the build's vector file, as a local build
does: the driver (the ``rag index`` process) holds one step's passages and vectors, never
a build's. Reading and chunking stay in the driver (tokenizing is a small part of a
build: the model is the rest). The index written afterwards is the local build's: same
chunks, same vectors, same manifest. Ray is only where the work ran, so a Ray build and a
local build update each other incrementally.

Every node needs the same Python environment with rag installed (``pip install
'rag[scale]'``); the package ``ray`` is imported only here.
"""

from __future__ import annotations

import collections
import logging
from typing import Callable, Sequence

import numpy as np

from .errors import SettingsError
from .onnx_model import cache_env

LOG = logging.getLogger(__name__)

GROUPS_PER_CALL = 8  # model calls (groups of the build plan) handed to an actor at once: 64 passages for ONNX
IN_FLIGHT = 2  # calls queued on each actor, so that none waits for the driver between two
CALLS_PER_STEP = 8  # calls per actor in a step of the spool's (512 passages an actor, ~1.3 MB held for each)


def _ray():
    try:
        import ray
    except ImportError as e:
        raise SettingsError(f"--ray needs Ray ({e}): pip install 'rag[scale]'") from e
    return ray


def connect(address: str):
    """Join the cluster at `address` ("auto": the one started on this machine; "local": a private one)."""
    ray = _ray()
    # What the workers must see of the driver's: where ONNX exports are kept; no hub downloads.
    env = {**cache_env(), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    try:
        ray.init(
            address=None if address == "local" else address,
            runtime_env={"env_vars": env},
            log_to_driver=False,
            logging_level=logging.WARNING,
            ignore_reinit_error=True,
        )
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise SettingsError(
            f"cannot reach a Ray cluster at {address!r} ({str(e).splitlines()[0]}): start one with "
            "`ray start --head`, or pass its address (host:6379), or --ray local for a private one"
        ) from e
    return ray


class _Encoder:
    """An embedding actor: the model, loaded once, and the id of the node it runs on."""

    def __init__(self, model: str, backend: str):
        import ray

        from .embedding import get_encoder

        self.embedder = get_encoder(model, backend)
        self.node = ray.get_runtime_context().get_node_id()

    def embed(self, texts: list[str]) -> tuple[np.ndarray, str]:
        """Vectors of consecutive groups of the build plan, and this node."""
        return self.embedder.encode_groups(texts).astype(np.float32, copy=False), self.node


class ClusterEncoder:
    """`encoder`'s build embedding, run on the Ray cluster at `address` (joined when first needed, left on
    `close`). `per_node` counts the passages each node embedded."""

    def __init__(self, encoder, address: str):
        self.encoder, self.address = encoder, address
        self.model, self.backend, self.group_size = encoder.model, encoder.backend, encoder.group_size
        self.per_node: dict[str, int] = collections.Counter()
        self._ray, self._actors = None, []

    def _start(self) -> list:
        if not self._actors:
            self._ray = ray = connect(self.address)
            cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
            actor = ray.remote(num_cpus=1)(_Encoder)  # one per CPU: the cluster's CPUs are filled
            self._actors = [actor.remote(self.model, self.backend) for _ in range(cpus)]
            LOG.info("embedding on %d Ray actor(s)", cpus)
        return self._actors

    @property
    def step_passages(self) -> int:
        """Passages the spool hands over at once (what the driver holds): `CALLS_PER_STEP` calls for each actor."""
        return CALLS_PER_STEP * GROUPS_PER_CALL * self.group_size * len(self._start())

    def plan(self, texts: Sequence[str]) -> list[list[int]]:
        return self.encoder.plan(texts)

    def encode_documents(self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors for passages, as the local encoder's `encode_documents` gives them; `progress(n)` as calls return."""
        if not texts:
            return np.zeros((0, self.encoder.dimension), dtype=np.float32)
        ray, actors = self._ray, self._start()
        groups = self.plan(texts)
        calls = iter(
            [i for g in groups[lo : lo + GROUPS_PER_CALL] for i in g] for lo in range(0, len(groups), GROUPS_PER_CALL)
        )
        pending: dict = {}

        def submit(actor) -> None:
            rows = next(calls, None)
            if rows is not None:
                pending[actor.embed.remote([texts[i] for i in rows])] = (actor, rows)

        for actor in actors * IN_FLIGHT:
            submit(actor)
        vectors = None
        while pending:
            [ref], _ = ray.wait(list(pending), num_returns=1)
            actor, rows = pending.pop(ref)
            out, node = ray.get(ref)
            if vectors is None:
                vectors = np.empty((len(texts), out.shape[1]), dtype=np.float32)
            vectors[rows] = out
            self.per_node[node] += len(rows)
            if progress:
                progress(len(rows))
            submit(actor)
        return vectors

    def close(self) -> None:
        if self._ray is not None:
            LOG.info(
                "embedded %d passages on %d Ray node(s): %s",
                sum(self.per_node.values()),
                len(self.per_node),
                dict(self.per_node),
            )
            self._ray.shutdown()
            self._ray, self._actors = None, []

    def __enter__(self) -> "ClusterEncoder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
