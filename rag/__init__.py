"""Question answering over news articles with cited, checkable evidence.

>>> import rag
>>> hits = rag.retrieve("What did Rutte say about Ukraine?", k=3)  # doctest: +SKIP

Heavy libraries (torch, faiss, gradio) load only when first needed, so
``import rag`` stays fast.
"""

__version__ = "0.1.0"

__all__ = [
    "answer",
    "Answer",
    "Citation",
    "retrieve",
    "load_corpus",
    "chunk_document",
    "update_index",
    "BuildOptions",
    "open_store",
    "Hit",
    "Chunk",
    "Document",
    "RagError",
]

_LAZY = {
    "answer": "rag.answering",
    "Answer": "rag.types",
    "Citation": "rag.types",
    "retrieve": "rag.retrieval",
    "load_corpus": "rag.corpus",
    "chunk_document": "rag.chunking",
    "update_index": "rag.build",
    "BuildOptions": "rag.build",
    "open_store": "rag.store",
    "Hit": "rag.types",
    "Chunk": "rag.types",
    "Document": "rag.types",
    "RagError": "rag.errors",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
