"""Encoder backends side by side, in one run: passages/s, × torch, cosine to torch-fp32, dense hit@5.

    python benchmarks/encoders.py [--articles 150] [--distractors 400]

Speed: the passages of the first `--articles` news articles (as `rag index` embeds
them: headline + passage), embedded by each backend after a warm-up batch.
Quality: the 54 questions of `benchmarks/news_questions.jsonl` searched by dense
vectors alone over their answering articles plus `--distractors` other articles,
embedded by each backend (hit@5: a top-5 passage from an answering article).

Backends: torch-fp32 (sentence-transformers, the naive baseline), onnx-fp32 and
onnx-int8 (rag's own, onnxruntime), and when `openvino` is installed: OpenVINO reading
rag's ONNX fp32 export (openvino-fp32), and, when `nncf` is installed too, OpenVINO
after NNCF post-training INT8 quantization calibrated on 300 passages of other
articles (openvino-int8) and after NNCF INT8 weight compression (openvino-w8).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.news_data import news_csv  # noqa: E402
from rag.chunking import chunk_document, indexed_text  # noqa: E402
from rag.embedding import get_encoder  # noqa: E402
from rag.types import Document  # noqa: E402

QUESTIONS = Path(__file__).resolve().parent / "news_questions.jsonl"


def documents() -> list[Document]:
    csv.field_size_limit(sys.maxsize)
    with open(news_csv(), newline="", encoding="utf-8") as f:
        return [
            Document(r["article_id"], r["text"], title=r["title"])
            for r in csv.DictReader(f)
            if len(r["text"].strip()) > 200
        ]


def passages(docs: list[Document]) -> tuple[list[str], list[str]]:
    texts, owners = [], []
    for d in docs:
        for c in chunk_document(d):
            texts.append(indexed_text(d.title, c.text))
            owners.append(d.doc_id)
    return texts, owners


class OpenVinoEncoder:
    """Mean-pooled, normalized vectors from an OpenVINO model: length-sorted batches of 8, async requests."""

    def __init__(self, model, tokenizer):
        import openvino as ov

        self.compiled = ov.Core().compile_model(model, "CPU", {"PERFORMANCE_HINT": "THROUGHPUT"})
        self.names = {i.get_any_name() for i in self.compiled.inputs}
        self.tokenizer = tokenizer

    def encode_documents(self, texts):
        import openvino as ov

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches = [[texts[i] for i in order[j : j + 8]] for j in range(0, len(texts), 8)]
        queue = ov.AsyncInferQueue(self.compiled, self.compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        out: dict[int, np.ndarray] = {}
        masks: dict[int, np.ndarray] = {}

        def done(request, i):
            tokens, m = request.get_output_tensor(0).data, masks[i][..., None].astype(np.float32)
            pooled = (tokens * m).sum(1) / np.maximum(m.sum(1), 1e-9)
            out[i] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

        queue.set_callback(done)
        for i, b in enumerate(batches):
            feed = self.feed(b)
            masks[i] = feed["attention_mask"]
            queue.start_async(feed, userdata=i)
        queue.wait_all()
        vectors = np.concatenate([out[i] for i in range(len(batches))])
        result = np.zeros_like(vectors)
        result[order] = vectors
        return result.astype(np.float32)

    def feed(self, texts):
        enc = self.tokenizer.encode_batch(list(texts))
        feed = {
            "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
        }
        if "token_type_ids" in self.names:
            feed["token_type_ids"] = np.array([e.type_ids for e in enc], dtype=np.int64)
        return feed


def openvino_backends(calibration: list[str]) -> dict:
    try:
        import openvino as ov
    except ImportError:
        print("openvino not installed: pip install openvino (its backends are skipped)")
        return {}
    from rag.onnx_model import onnx_file

    base = get_encoder("all-MiniLM-L6-v2", "onnx-int8")
    runner = base._runner  # the tokenizer rag uses, same truncation
    fp32 = onnx_file(base.path, "onnx-fp32")
    out = {"openvino-fp32": OpenVinoEncoder(ov.Core().read_model(str(fp32)), runner.tokenizer)}
    try:
        import nncf
    except ImportError:
        print("nncf not installed: pip install nncf (OpenVINO's INT8 variants are skipped)")
        return out
    helper = out["openvino-fp32"]
    data = nncf.Dataset([helper.feed(calibration[i : i + 8]) for i in range(0, len(calibration), 8)])
    t0 = time.perf_counter()
    quantized = nncf.quantize(
        ov.Core().read_model(str(fp32)), data, model_type=nncf.ModelType.TRANSFORMER, subset_size=len(calibration) // 8
    )
    print(f"NNCF post-training quantization: {time.perf_counter() - t0:.0f}s")
    out["openvino-int8"] = OpenVinoEncoder(quantized, runner.tokenizer)
    compressed = nncf.compress_weights(ov.Core().read_model(str(fp32)), mode=nncf.CompressWeightsMode.INT8_ASYM)
    out["openvino-w8"] = OpenVinoEncoder(compressed, runner.tokenizer)
    return out


def hit_at_5(vectors: np.ndarray, owners: list[str], queries: np.ndarray, answers: list[set[str]]) -> float:
    scores = queries @ vectors.T
    hits = 0
    for i, wanted in enumerate(answers):
        top = np.argsort(-scores[i])[:5]
        hits += any(owners[j] in wanted for j in top)
    return hits / len(answers)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=150)
    ap.add_argument("--distractors", type=int, default=400)
    args = ap.parse_args()
    docs = documents()
    speed_texts, _ = passages(docs[: args.articles])
    questions = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    questions = [q for q in questions if q.get("docs")]
    wanted = {d for q in questions for d in q["docs"]}
    pool = [d for d in docs if d.doc_id in wanted] + [d for d in docs[-args.distractors :] if d.doc_id not in wanted]
    pool_texts, owners = passages(pool)
    calibration, _ = passages(docs[1000:1100])
    backends = {b: get_encoder("all-MiniLM-L6-v2", b) for b in ("torch-fp32", "onnx-fp32", "onnx-int8")}
    backends.update(openvino_backends(calibration[:300]))
    query_encoder = backends["torch-fp32"]
    queries = query_encoder.encode_queries([q["question"] for q in questions])
    answers = [set(q["docs"]) for q in questions]
    rows, reference = {}, None
    for name, encoder in backends.items():
        encoder.encode_documents(speed_texts[:16])  # warm-up
        t0 = time.perf_counter()
        vectors = encoder.encode_documents(speed_texts)
        rate = len(speed_texts) / (time.perf_counter() - t0)
        if reference is None:
            reference = vectors
        cosine = np.sum(vectors * reference, axis=1)
        pool_vectors = encoder.encode_documents(pool_texts)
        rows[name] = (rate, float(cosine.mean()), float(cosine.min()), hit_at_5(pool_vectors, owners, queries, answers))
        print(f"  {name}: {rate:.1f} passages/s", flush=True)
    cpu = platform.processor() or platform.machine()
    print(
        f"\n{dt.date.today()}, {os.cpu_count()} cores ({cpu}), {len(speed_texts)} passages of {args.articles} articles"
    )
    print(f"hit@5: {len(questions)} questions over {len(pool)} articles ({len(pool_texts)} passages), dense only")
    print("| backend | passages/s | × torch-fp32 | × onnx-int8 | cosine to torch (mean / min) | dense hit@5 |")
    print("|---|---|---|---|---|---|")
    torch_rate, int8_rate = rows["torch-fp32"][0], rows["onnx-int8"][0]
    for name, (rate, mean, low, hit) in rows.items():
        speed = f"{rate:.1f} | {rate / torch_rate:.2f} | {rate / int8_rate:.2f}"
        print(f"| {name} | {speed} | {mean:.4f} / {low:.4f} | {hit:.3f} |")


if __name__ == "__main__":
    main()
