"""A build's vectors as a ``.npy`` file written row batch by row batch, and read back the same way.

An index over many articles has more vectors than a build should hold (200,000 passages
of 384 floats are 300 MB): a build appends each batch as it is embedded (`VectorWriter`)
and reads the file back in batches (`VectorFile`) with plain reads, not a memory map,
so that what it has read does not stay resident. The file is what ``np.save`` writes
for the same array, byte for byte (numpy leaves room in the header for the row count
to grow), so ``np.load`` reads it and nothing else changes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

READ_ROWS = 4_096  # rows a batch read holds (6 MB of 384-dimensional vectors)


def npy_header(shape: tuple[int, ...], dtype="<f4") -> bytes:
    """The header ``np.save`` writes for an array of `shape` and `dtype` (numpy leaves room in it for the first
    axis to grow to 21 digits, so a file's row count can be rewritten in place)."""
    import io

    out = io.BytesIO()
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(out, header)
    return out.getvalue()


class VectorWriter:
    """Appends float32 rows to a ``.npy`` file; `close` writes the final row count into its header."""

    def __init__(self, path: Path):
        self.path, self.rows, self.dim = path, 0, None
        self._file = None

    def append(self, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be 2-D, got shape {vectors.shape}")
        if self._file is None:
            self.dim = vectors.shape[1]
            self._file = open(self.path, "wb")
            self._file.write(npy_header((0, self.dim)))
        elif vectors.shape[1] != self.dim:
            raise ValueError(f"vectors of {vectors.shape[1]} dimensions appended to a file of {self.dim}")
        self._file.write(vectors.tobytes())
        self.rows += len(vectors)

    def close(self, dim: int = 0) -> None:
        """Finish the file; with no row appended, an empty (0, `dim`) array."""
        if self._file is None:
            self.dim = dim
            self._file = open(self.path, "wb")
            self._file.write(npy_header((0, dim)))
        header = npy_header((self.rows, self.dim))
        if len(header) != len(npy_header((0, self.dim))):  # numpy pads the header for 21 digits of rows
            raise RuntimeError(f"{self.path}: the header of {self.rows} rows does not fit in place")
        self._file.seek(0)
        self._file.write(header)
        self._file.close()


class VectorFile:
    """A 2-D float32 ``.npy`` file read by row ranges (`read`, `batches`), without mapping it."""

    def __init__(self, path: Path):
        self.path = path
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read(f)
            self.offset = f.tell()
        if len(shape) != 2 or fortran or dtype != np.float32:
            raise ValueError(f"{path} is not a 2-D float32 array")
        self.rows, self.dim = shape
        self._fd = os.open(path, os.O_RDONLY)

    def __len__(self) -> int:
        return self.rows

    @property
    def shape(self) -> tuple[int, int]:
        return self.rows, self.dim

    def read(self, start: int, stop: int) -> np.ndarray:
        """Rows start..stop-1, a fresh writable array."""
        stop = min(stop, self.rows)
        if stop <= start:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.empty((stop - start, self.dim), dtype=np.float32)
        at = self.offset + start * self.dim * 4
        read_exactly(self._fd, memoryview(out).cast("B"), at, f"row {stop} of {self.path}")
        return out

    def batches(self, rows: int | None = None) -> Iterator[np.ndarray]:
        rows = rows or READ_ROWS
        for start in range(0, self.rows, rows):
            yield self.read(start, start + rows)

    def take_batches(self, rows: np.ndarray) -> Iterator[np.ndarray]:
        """The rows numbered `rows` (sorted), in that order, a read batch's worth at a time."""
        return pick(self.batches(), rows)

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> "VectorFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_exactly(fd: int, view: memoryview, at: int, what: str) -> None:
    """Fill `view` from file `fd` at offset `at` (a read may return less than asked: read on); `what` names the
    place for the error if the file ends first."""
    while view:
        n = os.preadv(fd, [view], at)
        if not n:
            raise OSError(f"the file ends before {what}")
        view, at = view[n:], at + n


def pick(batches: Iterable[np.ndarray], rows: np.ndarray) -> Iterator[np.ndarray]:
    """The rows numbered `rows` (sorted) of the consecutive row batches `batches`, batch by batch (none empty)."""
    start = 0
    for batch in batches:
        lo, hi = np.searchsorted(rows, [start, start + len(batch)])
        if hi > lo:
            yield batch[rows[lo:hi] - start]
        start += len(batch)
