"""A fresh, indexed copy of an Edge version with the live catalog's changes in it, made in a
process of its own (`python -m core.store.edge_reindex FOLDER CHANGES`).

An Edge update moves the point it touches out of its indexed (immutable) segment into an
unindexed one, which every search then scans in full: measured at H&M size, an uncached feed
took 9.9 ms longer with 20,000 articles changed. Edge's own optimizer would index them again,
but it runs while holding the interpreter (the whole shard: 12 minutes, every request of the
process stalled). So the API process makes a new copy of the version, and this process applies
the changes to it and indexes only the segment that holds them (no merge, no vacuum); the API
then opens the copy, applies what arrived meanwhile, and serves from it.
"""

from __future__ import annotations

import ctypes
import json
import os
import pickle
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import qdrant_edge as qe

from core.store.base import Change
from core.store.edge_reader import operation

#: prctl's option for the signal a process gets when its parent ends.
PR_SET_PDEATHSIG = 1


def _config(folder: Path) -> qe.EdgeConfig:
    """The shard's own configuration (as the build wrote it) with an optimizer that indexes the
    changed points' segment and leaves the built segments alone."""
    stored = json.loads((folder / "edge_config.json").read_text())
    vectors = {
        name: qe.EdgeVectorParams(size=v["size"], distance=getattr(qe.Distance, v["distance"]))
        for name, v in stored["vectors"].items()
    }
    h = stored["hnsw_config"]
    hnsw = qe.HnswIndexConfig(
        m=int(h["m"]),
        ef_construct=int(h["ef_construct"]),
        full_scan_threshold=int(h["full_scan_threshold"]),
    )
    scalar = (stored.get("quantization_config") or {}).get("scalar")
    quant = (
        qe.ScalarQuantizationConfig(
            type=qe.ScalarType.Int8, quantile=scalar.get("quantile"), memory=qe.Memory.Pinned
        )
        if scalar
        else None
    )
    optimizers = qe.EdgeOptimizersConfig(
        default_segment_number=64,  # never merge the built segments
        deleted_threshold=0.95,  # never rewrite them for the points that moved out
        vacuum_min_vector_number=10**9,
        indexing_threshold=1,  # index the segment of the changed points, however small
    )
    memory = qe.Memory.Cached if stored.get("payload_memory") == "cached" else None
    return qe.EdgeConfig(
        vectors=vectors,
        hnsw_config=hnsw,
        quantization_config=quant,
        payload_memory=memory,
        optimizers=optimizers,
    )


def reindex(folder: Path, changes: Sequence[Change]) -> float:
    """Apply ``changes`` to the shard at ``folder`` and index them; seconds taken."""
    start = time.perf_counter()
    shard = qe.EdgeShard.load(str(folder), _config(folder))
    try:
        for change in changes:
            shard.update(operation(change))
        shard.optimize()
        shard.flush()
    finally:
        shard.close()
    return time.perf_counter() - start


def _die_with_parent() -> None:
    """Ask Linux to end this process when the API process that started it ends (a stopped or
    killed API must not leave a core busy indexing a copy nobody will open)."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it ended before the request took hold
        os._exit(1)


def main(argv: list[str]) -> int:
    _die_with_parent()
    folder, pickled = Path(argv[0]), Path(argv[1])
    with pickled.open("rb") as fh:
        changes = pickle.load(fh)  # written by this project's own API process
    seconds = reindex(folder, changes)
    print(f"reindexed {folder} with {len(changes)} changes in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
