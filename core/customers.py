"""The customers of an index version as memory-mapped arrays, shared by every API process.

Customers are only ever read by id (the feed's cf vector, recent purchases and bought set).
Held in the Edge shard, they were copied into every API process's private copy of the version
(1.3 GB at H&M size, 1.37M customers) and their payloads loaded into each process's memory. As
``.npy`` files beside the article matrices, opened with ``mmap_mode="r"``, their pages are held
once in the page cache for all processes, and a process opens them in milliseconds.

Layout under ``models/<version>/customers/`` (rows sorted by customer point id):

* ``ids.npy`` (n,) int64: `core.catalog.point_id` of each customer, ascending;
* ``cf.npy`` (n, d) float32: the ALS user factors;
* ``n_purchases.npy`` (n,) int32: distinct articles bought;
* ``recent_ptr.npy`` (n + 1,) int64, ``recent.npy`` int32, ``recent_days.npy`` int32: the
  recent distinct purchases, newest first (rows of the version's article order, ``ids.npz``),
  with their days, as compressed sparse rows;
* ``bought_ptr.npy`` (n + 1,) int64, ``bought.npy`` int32: the bought set, the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from core.catalog import find_sorted, point_id

FOLDER = "customers"
FILES = (
    "ids",
    "cf",
    "n_purchases",
    "recent_ptr",
    "recent",
    "recent_days",
    "bought_ptr",
    "bought",
)
#: One customer's history: recent article ids (newest first), their days, bought article ids.
History = tuple[Sequence[str], Sequence[int], Sequence[str]]


@dataclass(frozen=True)
class CustomerRow:
    """What the index knows of one customer."""

    cf: npt.NDArray[np.float32]
    n_purchases: int
    recent: list[str]
    recent_days: list[int]
    bought: list[str]


def _csr(lists: Sequence[Sequence[int]]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(v) for v in lists])
    flat = np.fromiter((x for v in lists for x in v), dtype=np.int32, count=int(ptr[-1]))
    return ptr, flat


def save_customer_table(
    models_dir: Path,
    customer_ids: Sequence[str],
    cf: npt.NDArray[np.float32],
    histories: Sequence[History],
    article_ids: Sequence[str],
) -> Path:
    """Write the table (inputs in any order, one history and cf row per customer id)."""
    n = len(customer_ids)
    if not (len(cf) == len(histories) == n):
        raise ValueError(f"one row per customer: ids {n}, cf {len(cf)}, histories {len(histories)}")
    row_of = {a: i for i, a in enumerate(article_ids)}
    pids = np.array([point_id(c) for c in customer_ids], dtype=np.int64)
    order = np.argsort(pids, kind="stable")
    if len(order) > 1 and (np.diff(pids[order]) == 0).any():
        raise ValueError("two customers share a point id (a duplicate customer_id)")
    hist = [histories[i] for i in order]
    recent_ptr, recent = _csr([[row_of[a] for a in h[0]] for h in hist])
    _, recent_days = _csr([list(h[1]) for h in hist])
    bought_ptr, bought = _csr([[row_of[a] for a in h[2]] for h in hist])
    arrays: dict[str, npt.NDArray[np.generic]] = {
        "ids": pids[order],
        "cf": np.ascontiguousarray(cf[order], dtype=np.float32),
        "n_purchases": np.array([len(h[2]) for h in hist], dtype=np.int32),
        "recent_ptr": recent_ptr,
        "recent": recent,
        "recent_days": recent_days,
        "bought_ptr": bought_ptr,
        "bought": bought,
    }
    folder = models_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name, values in arrays.items():
        np.save(folder / f"{name}.npy", values)
    return folder


class CustomerTable:
    """Read-only look-ups by customer id over the memory-mapped arrays of one version."""

    def __init__(self, arrays: dict[str, npt.NDArray[np.generic]], article_ids: Sequence[str]):
        self._a = arrays
        self._ids = np.asarray(arrays["ids"], dtype=np.int64)  # a view: already int64
        self._article_ids = np.asarray(article_ids, dtype=str)

    @classmethod
    def load(cls, models_dir: Path, article_ids: Sequence[str]) -> CustomerTable | None:
        """The version's table, or None for an index built before it was written."""
        folder = models_dir / FOLDER
        if not all((folder / f"{n}.npy").is_file() for n in FILES):
            return None
        arrays = {n: np.load(folder / f"{n}.npy", mmap_mode="r") for n in FILES}
        n = len(arrays["ids"])
        if len(arrays["cf"]) != n or len(arrays["recent_ptr"]) != n + 1:
            raise ValueError(f"{folder}: the arrays do not have one row per customer")
        return cls(arrays, article_ids)

    def __len__(self) -> int:
        return len(self._ids)

    def _row(self, customer_id: str) -> int | None:
        i = int(find_sorted(self._ids, [point_id(customer_id)])[0])
        return i if i >= 0 else None

    def __contains__(self, customer_id: object) -> bool:
        return isinstance(customer_id, str) and self._row(customer_id) is not None

    def get(self, customer_id: str) -> CustomerRow | None:
        """The customer's row, None for a customer the version does not know."""
        i = self._row(customer_id)
        if i is None:
            return None
        a = self._a
        r0, r1 = int(a["recent_ptr"][i]), int(a["recent_ptr"][i + 1])
        b0, b1 = int(a["bought_ptr"][i]), int(a["bought_ptr"][i + 1])
        return CustomerRow(
            cf=np.array(a["cf"][i], dtype=np.float32),
            n_purchases=int(a["n_purchases"][i]),
            recent=self._article_ids[a["recent"][r0:r1]].tolist(),
            recent_days=[int(d) for d in a["recent_days"][r0:r1]],
            bought=self._article_ids[a["bought"][b0:b1]].tolist(),
        )
