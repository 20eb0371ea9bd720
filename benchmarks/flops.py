"""The cores' measured fp32 peak and an encoder pass's FLOPs: how far from the hardware's limit embedding is.

    python benchmarks/flops.py

A large fp32 matrix product (numpy/OpenBLAS, all cores) gives the measured peak; the
FLOPs of one MiniLM-L6 pass over the encoder benchmark's passages come from their mean
length in word pieces (6 layers of 4·384² attention projections, 2·384·1536
feed-forward, and the attention products).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.encoders import documents, passages  # noqa: E402
from rag.embedding import get_encoder  # noqa: E402

WIDTH, FEED_FORWARD, LAYERS = 384, 1536, 6


def main() -> None:
    a = np.random.rand(2048, 2048).astype(np.float32)
    b = np.random.rand(2048, 2048).astype(np.float32)
    a @ b
    t, n = time.perf_counter(), 10
    for _ in range(n):
        a @ b
    peak = 2 * 2048**3 * n / (time.perf_counter() - t) / 1e9
    print(f"fp32 matrix product, 2048², all cores: {peak:.0f} GFLOP/s")
    texts, _ = passages(documents()[:100])
    tokenizer = get_encoder("all-MiniLM-L6-v2", "onnx-int8")._runner.tokenizer
    length = float(np.mean([len(e.ids) for e in tokenizer.encode_batch(texts)]))
    d, ff = WIDTH, FEED_FORWARD
    flops = LAYERS * (2 * length * (4 * d * d + 2 * d * ff) + 4 * length * length * d)
    print(f"{len(texts)} passages, {length:.0f} word pieces on average: {flops / 1e9:.2f} GFLOP per passage")
    for rate in (21.1, 34.0, 63.3):  # torch-fp32 and onnx-int8 in benchmarks/encoders.py's run, and 3x torch
        done = rate * flops / 1e9
        print(f"  {rate:5.1f} passages/s = {done:4.0f} GFLOP/s = {done / peak:.0%} of the peak")


if __name__ == "__main__":
    main()
