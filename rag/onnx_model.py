"""ONNX versions of the embedding model, exported here from the local weights.

`onnx_file(path, "onnx-fp32")` exports the sentence-transformers model folder at
`path` to ONNX once (torch.onnx, the TorchScript exporter: nothing is downloaded);
`"onnx-int8"` also quantizes its weights to 8-bit integers (onnxruntime's dynamic
quantization). Files are cached under ``$RAG_CACHE_DIR`` (default ``~/.cache/rag``)
by model folder and weight file, written to a temporary name and renamed, so a
crash never leaves half a model, and concurrent processes wait for one export.

`OnnxRunner` runs a file with onnxruntime: word pieces from the model's own
``tokenizer.json``, mean pooling over the tokens, L2 normalization — the same
steps as the model's sentence-transformers pipeline (checked against it in the
tests).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import ModelError

LOG = logging.getLogger(__name__)

OPSET = 17
FORMAT = 2  # bump to re-export cached files when the export or quantization changes
_export_lock = threading.Lock()


def cache_dir() -> Path:
    """Where exports are kept: ``$RAG_CACHE_DIR``, else ``~/.cache/rag`` (read here, as tiktoken reads its cache's)."""
    return Path(os.environ.get("RAG_CACHE_DIR") or Path.home() / ".cache" / "rag")


def cache_env() -> dict[str, str]:
    """The cache setting, when set, as environment variables for worker processes (Ray actors)."""
    value = os.environ.get("RAG_CACHE_DIR")
    return {"RAG_CACHE_DIR": value} if value else {}


def _weights(path: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (path / name).is_file():
            return path / name
    raise ModelError(
        f"no model.safetensors or pytorch_model.bin in {path}: the onnx backends export from those weights"
    )


def _check_pooling(path: Path) -> None:
    """The ONNX path implements mean pooling + normalization only; say so for other models."""
    modules = path / "modules.json"
    if not modules.is_file():
        return
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in json.loads(modules.read_text())]
    pooling = path / "1_Pooling" / "config.json"
    mean = not pooling.is_file() or json.loads(pooling.read_text()).get("pooling_mode_mean_tokens", False)
    if kinds[:1] != ["Transformer"] or not mean or any(k not in ("Transformer", "Pooling", "Normalize") for k in kinds):
        raise ModelError(
            f"the model in {path} is not a mean-pooling sentence-transformers model ({', '.join(kinds)}); "
            "the onnx backends support only those: use --backend torch-fp32"
        )


def onnx_file(path: Path, backend: str) -> Path:
    """The ONNX file for the model folder `path` and `backend` ("onnx-fp32" or "onnx-int8"), exported if missing."""
    _check_pooling(path)
    weights = _weights(path)
    st = weights.stat()
    key = hashlib.sha256(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{OPSET}|{FORMAT}".encode()).hexdigest()[:16]
    folder = cache_dir() / "onnx" / f"{path.name or 'model'}-{key}"
    fp32 = folder / "model-fp32.onnx"
    target = fp32 if backend == "onnx-fp32" else folder / "model-int8.onnx"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    # One exporter at a time, across threads and processes (e.g. the embedding actors of a Ray
    # node starting together): quantization writes a fixed-name scratch file beside its input.
    with _export_lock, open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.is_file():
            return target
        if not fp32.is_file():
            LOG.info("preparing the embedding model for this machine (once): exporting it to ONNX in %s", folder)
            _atomic(fp32, lambda tmp: _export(path, tmp))
        if backend == "onnx-int8":
            LOG.info("quantizing the model's weights to 8 bits (once)")
            _atomic(target, lambda tmp: _quantize(fp32, tmp))
    return target


def _atomic(target: Path, write) -> None:
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _export(path: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()

    class ByKeyword(torch.nn.Module):  # the exporter passes positional inputs; BERT wants names
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    ids = torch.ones((2, 8), dtype=torch.long)
    dynamic = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about Python control flow in BERT: harmless here
        torch.onnx.export(
            ByKeyword(model),
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(out),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["token_embeddings"],
            dynamic_axes={
                "input_ids": dynamic,
                "attention_mask": dynamic,
                "token_type_ids": dynamic,
                "token_embeddings": dynamic,
            },
            opset_version=OPSET,
            dynamo=False,
        )


def _quantize(fp32: Path, out: Path) -> None:
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as e:  # it needs the onnx package
        raise ModelError(f"INT8 quantization needs the onnx package ({e}): pip install onnx") from e
    # Per-channel scales keep the vectors at cosine ~0.99 to fp32 (per-tensor: ~0.96). The quantizer logs advice
    # on the root logger ("consider pre-processing") that is noise to a user: silenced for the call.
    logging.disable(logging.WARNING)
    try:
        quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        logging.disable(logging.NOTSET)


class OnnxRunner:
    """Mean-pooled, normalized sentence vectors from an ONNX transformer file.

    Profiled on 2 AVX2 cores: one session per core, each single-threaded, on batches
    of 8 length-sorted passages embeds ~1.3x faster than one session using both
    cores on batches of 64 (less padding, no thread hand-offs inside small matrix
    products). A query goes to a session that uses every core.
    """

    BATCH = 8

    def __init__(self, file: Path, tokenizer_file: Path, max_tokens: int):
        from tokenizers import Tokenizer

        self.file = file
        self.cores = os.cpu_count() or 1
        self.session = self._session(self.cores)
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.enable_padding()
        self._workers: list = []
        self._lock = threading.Lock()

    def _session(self, threads: int):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return ort.InferenceSession(str(self.file), opts, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], session=None) -> np.ndarray:
        enc = self.tokenizer.encode_batch(list(texts))
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feed = {"input_ids": np.array([e.ids for e in enc], dtype=np.int64), "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feed["token_type_ids"] = np.array([e.type_ids for e in enc], dtype=np.int64)
        tokens = (session or self.session).run(None, feed)[0]
        m = mask[..., None].astype(np.float32)
        pooled = (tokens * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32)

    def encode_parallel(self, texts: Sequence[str]) -> np.ndarray:
        """Like `encode`, for many texts: small batches spread over one session per core."""
        from concurrent.futures import ThreadPoolExecutor

        with self._lock:
            if not self._workers:
                self._workers = [self._session(1) for _ in range(self.cores)]
        batches = [texts[i : i + self.BATCH] for i in range(0, len(texts), self.BATCH)]
        with ThreadPoolExecutor(len(self._workers)) as pool:
            parts = list(
                pool.map(lambda ib: self.encode(ib[1], self._workers[ib[0] % len(self._workers)]), enumerate(batches))
            )
        return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)
