"""faiss index files written as a stream: the bytes ``faiss.write_index`` writes, without the index in memory.

A flat or IVF-SQ8 index over a build's vectors is as large as the vectors (or a quarter of
them); holding it to write it would make a build's memory grow with the corpus. faiss's
format is a header (what an empty index of the same kind serializes to, with its vector
count) followed by the vectors: for a flat index, every vector in row order; for an IVF
index, its inverted lists (``ArrayInvertedLists``: the lists' sizes, then each non-empty
list's codes and ids). Both are written here batch by batch, the IVF lists in two passes
(count each cell's vectors, then put each code in its place), so memory holds one batch,
the cells and one number per cell. The tests compare the files with faiss's own, byte for byte.
"""

from __future__ import annotations

import os
import struct
import tempfile
from pathlib import Path

import numpy as np

EMPTY_LISTS = struct.calcsize("<4sQQ4sQ")  # "ilar", nlist, code size, "sprs", no sizes: an empty index's tail
ASSIGN_ROWS = 1024  # vectors assigned to cells at a time (faiss scores them against 1,024 cells at once)


def assign(quantizer, x: np.ndarray) -> np.ndarray:
    """Each row's nearest cell (int64), as ``quantizer.assign(x, 1)`` gives, `ASSIGN_ROWS` rows at a time: faiss
    holds a block of rows × 1,024 scores, 16 MB for a whole read batch."""
    return (
        np.concatenate([quantizer.assign(x[i : i + ASSIGN_ROWS], 1)[:, 0] for i in range(0, len(x), ASSIGN_ROWS)])
        if len(x)
        else np.zeros(0, dtype=np.int64)
    )


def _header(index, n: int) -> bytes:
    """What faiss serializes `index` (empty) to, its vector count (bytes 8–16 of every index header) set to `n`."""
    import faiss

    if index.ntotal:
        raise ValueError("the index to write as a stream must be empty (its vectors come from the stream)")
    data = bytearray(faiss.serialize_index(index).tobytes())
    data[8:16] = struct.pack("<q", n)
    return bytes(data)


def write_flat(index, vectors, path: Path) -> None:
    """Write `index` (an empty ``IndexFlat``) holding every vector of `vectors` (row batches) to `path`."""
    n, d = vectors.shape
    head = _header(index, n)
    with open(path, "wb") as f:
        f.write(head[:-8])  # the empty code vector's length ...
        f.write(struct.pack("<Q", n * d))  # ... now n·d floats,
        for batch in vectors.batches():  # then the floats, row by row
            f.write(np.ascontiguousarray(batch, dtype=np.float32).tobytes())


def write_ivf_sq8(index, vectors, path: Path) -> None:
    """Write `index` (a trained, empty IVF-SQ8 index) holding every vector of `vectors` (row batches, ids = row
    numbers) to `path`, as ``index.add`` then ``faiss.write_index`` would."""
    import faiss

    ivf = faiss.extract_index_ivf(index)
    quantizer, sq = ivf.quantizer, faiss.downcast_index(index).sq
    centroids, nlist, code_size = quantizer.reconstruct_n(0, ivf.nlist), ivf.nlist, ivf.code_size
    n = vectors.shape[0]
    head = _header(index, n)
    if head[-EMPTY_LISTS:][:4] != b"ilar":
        raise RuntimeError("this faiss writes IVF indexes in a format rag does not know")
    with tempfile.TemporaryFile(dir=Path(path).parent) as cells_file:  # beside the index, on its disk
        counts = np.zeros(nlist, dtype=np.int64)
        for batch in vectors.batches():  # pass 1: each vector's cell (kept on disk) and each cell's size
            cell = assign(quantizer, batch).astype(np.int32)
            cells_file.write(cell.tobytes())
            counts += np.bincount(cell, minlength=nlist)
        used = np.flatnonzero(counts)
        if len(used) > nlist // 2:  # faiss's rule: every size ("full"), or (list, size) of the used ones ("sprs")
            kind, sizes = b"full", counts
        else:
            kind, sizes = b"sprs", np.stack([used, counts[used]], axis=1).ravel()
        tail = b"ilar" + struct.pack("<QQ", nlist, code_size) + kind + struct.pack("<Q", len(sizes))
        tail += sizes.astype("<u8").tobytes()
        start = len(head) - EMPTY_LISTS + len(tail)
        begins = start + np.concatenate([[0], np.cumsum(counts * (code_size + 8))[:-1]])  # a list's codes, ids
        filled = np.zeros(nlist, dtype=np.int64)
        with open(path, "wb") as f:
            f.write(head[:-EMPTY_LISTS] + tail)
            f.truncate(start + int(counts.sum()) * (code_size + 8))
            cells_file.seek(0)
            row = 0
            for batch in vectors.batches():  # pass 2: each code and id written at its place in its list
                cell = np.frombuffer(cells_file.read(4 * len(batch)), dtype=np.int32)
                codes = sq.compute_codes(np.ascontiguousarray(batch - centroids[cell], dtype=np.float32))
                order = np.argsort(cell, kind="stable")  # the batch's vectors cell by cell, in row order
                bounds = np.flatnonzero(np.diff(cell[order])) + 1
                for group in np.split(order, bounds):
                    c = int(cell[group[0]])
                    at, k = int(begins[c]), int(filled[c])
                    os.pwrite(f.fileno(), codes[group].tobytes(), at + k * code_size)
                    ids = (row + group).astype("<i8")
                    os.pwrite(f.fileno(), ids.tobytes(), at + int(counts[c]) * code_size + 8 * k)
                    filled[c] += len(group)
                row += len(batch)
