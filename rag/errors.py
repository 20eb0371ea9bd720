"""The few exceptions `rag` raises. Each message says what went wrong and what to do.

They are caught only at the edges (the CLI and the app); library callers see them as-is.
"""


class RagError(Exception):
    """Base class: anything `rag` reports to a user."""


class CorpusError(RagError):
    """The corpus cannot be read at all (missing folder, no articles)."""


class IndexNotFound(RagError):
    """There is no index where one was expected."""


class IndexCorrupt(RagError):
    """The index on disk is unreadable, inconsistent or from an incompatible build."""


class IndexBusy(RagError):
    """Another process is writing the same index."""


class QueryError(RagError):
    """A query or its parameters cannot be served (empty query, bad k)."""


class ModelError(RagError):
    """The embedding model cannot be found or loaded."""


class SettingsError(RagError):
    """A setting (option or ``RAG_*`` variable) has a value rag does not know."""


class StoreError(RagError):
    """The index's store (Milvus) failed or refused a request."""
