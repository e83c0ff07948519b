"""From id text in a transaction to the row of the article or customer it names.

At the real size 31.8M customer ids of 64 hex characters must be looked up among 1.37M. Arrow's
``index_in`` rebuilds its hash table on every call (0.4 s per batch, measured), Python strings
would cost gigabytes; so the 64 bytes are viewed in place as eight uint64 words, mixed into a
64-bit key looked up in one pandas hash index built once, and every hit is confirmed by
comparing all 64 bytes. Keys that collide between two customers (about one chance in 10^7 at
the real size) are resolved exactly through a small dict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from indexer.dataset.checks import as_numpy

_HEX_LEN = 64
# Odd multipliers (each a bijection of uint64), one per 8-byte word of the id, so that ids
# differing anywhere (sequential synthetic ids differ only at the end) get different keys.
_MIX = np.array(
    [
        0x9E3779B97F4A7C15,
        0xBF58476D1CE4E5B9,
        0x94D049BB133111EB,
        0xD6E8FEB86659FD93,
        0xA0761D6478BD642F,
        0xE7037ED1A0B428DB,
        0x8EBC6AF09C88C6E3,
        0x589965CC75374CC3,
    ],
    dtype=np.uint64,
)
_NOT_AN_ID = b"z" * _HEX_LEN  # right length, never a valid id: stands in for malformed values


def _words(column: pa.Array) -> np.ndarray:
    """A (n, 8) uint64 view of a binary array whose values are all 64 bytes long."""
    offsets = np.frombuffer(column.buffers()[1], np.int32, len(column) + 1, column.offset * 4)
    lengths = np.diff(offsets)
    if len(lengths) and not (lengths == _HEX_LEN).all():
        fixed = pc.if_else(
            pc.equal(pc.binary_length(column), _HEX_LEN), column, pa.scalar(_NOT_AN_ID)
        )
        return _words(fixed)
    data = np.frombuffer(column.buffers()[2] or b"", np.uint8)
    start = int(offsets[0]) if len(offsets) else 0
    return data[start : start + _HEX_LEN * len(column)].view(np.uint64).reshape(-1, 8)


def _keys(words: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        mixed = words * _MIX  # wrapping multiply: a hash, not arithmetic
    return np.asarray(np.bitwise_xor.reduce(mixed, axis=1))


class CustomerLookup:
    """Row of each 64-hex customer id among `ids` (binary or string, all valid and unique)."""

    def __init__(self, ids: pa.Array) -> None:
        self._words = _words(ids.cast(pa.binary())).copy()
        keys = _keys(self._words)
        colliding = pd.Series(keys).duplicated(keep=False).to_numpy()
        self._rows = np.flatnonzero(~colliding)
        self._index = pd.Index(keys[~colliding])
        self._colliding_keys = np.unique(keys[colliding])
        self._exact = {self._words[i].tobytes(): int(i) for i in np.flatnonzero(colliding)}

    def __len__(self) -> int:
        return len(self._words)

    def find(self, column: pa.Array) -> np.ndarray:
        """int32 row per value of a binary array; -1 where the id is not one of `ids`."""
        words = _words(column)
        keys = _keys(words)
        found = self._index.get_indexer(keys)
        hit = found >= 0
        rows = np.full(len(keys), -1, np.int64)
        rows[hit] = self._rows[found[hit]]
        same = (self._words[rows[hit]] == words[hit]).all(axis=1)
        rows[np.flatnonzero(hit)[~same]] = -1
        if len(self._colliding_keys):
            for i in np.flatnonzero(np.isin(keys, self._colliding_keys)).tolist():
                rows[i] = self._exact.get(words[i].tobytes(), -1)
        return rows.astype(np.int32)


class ArticleLookup:
    """Row of each 10-digit article id among `ids` (string, all valid and unique)."""

    def __init__(self, ids: pa.Array) -> None:
        # Every id has exactly ten digits, so its integer value identifies it.
        self._index = pd.Index(as_numpy(pc.cast(ids, pa.int64())))

    def __len__(self) -> int:
        return len(self._index)

    def find(self, column: pa.Array) -> np.ndarray:
        """int32 row per value of a (dictionary of) binary array; -1 where unknown or malformed."""
        if pa.types.is_dictionary(column.type):
            spread: np.ndarray = self.find(column.dictionary)[as_numpy(column.indices)]
            return spread
        well_formed = pc.match_substring_regex(column, r"^[0-9]{10}$")
        text = pc.if_else(well_formed, column, pa.scalar(b"-1"))
        keys = as_numpy(pc.cast(pc.cast(text, pa.string()), pa.int64()))
        return np.asarray(self._index.get_indexer(keys), np.int32)
