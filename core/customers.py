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
* ``bought_ptr.npy`` (n + 1,) int64, ``bought.npy`` int32: the bought set, the same way;
* ``bought_weight.npy`` float32, ``bought_count.npy`` int32 (beside ``bought.npy``): each bought
  article's time-decayed purchase weight as the ALS was trained on it, and how many times it
  was bought (what folding a new purchase into the cf vector and "buy again" read);
* ``article_repurchase.npy`` (articles,) float32: per article of the version (``ids.npz``
  order), the share of its buyers who bought it again, smoothed towards the catalogue's share.

The last three are optional (an index built before them folds nothing in).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse

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
#: Written by newer builds; an older table is read without them.
PURCHASE_FILES = ("bought_weight", "bought_count", "article_repurchase")
#: Pseudo-buyers at the catalogue's repurchase share that smooth each article's share.
REPURCHASE_PRIOR = 5.0
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
    #: Per bought article: its decayed purchase weight and purchase count (None: not stored).
    bought_weight: list[float] | None = None
    bought_count: list[int] | None = None


@dataclass(frozen=True)
class Purchases:
    """Sums per (customer, article), rows in the customer order of the build's data set:
    time-decayed weights (the ALS confidences before alpha) and purchase counts."""

    weight: scipy.sparse.csr_matrix
    count: scipy.sparse.csr_matrix

    def repurchase_share(self) -> npt.NDArray[np.float32]:
        """Per article: smoothed share of its buyers who bought it more than once."""
        c = self.count.tocsc()
        buyers = np.diff(c.indptr).astype(np.float64)
        again = np.asarray((c >= 2).sum(axis=0)).ravel().astype(np.float64)
        overall = again.sum() / max(buyers.sum(), 1.0)
        share = (again + REPURCHASE_PRIOR * overall) / (buyers + REPURCHASE_PRIOR)
        out: npt.NDArray[np.float32] = share.astype(np.float32)
        return out


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
    purchases: Purchases | None = None,
) -> Path:
    """Write the table (inputs in any order, one history and cf row per customer id; the rows
    of ``purchases``, when given, in the same order)."""
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
    if purchases is not None:
        arrays.update(_purchase_arrays(purchases, order, bought_ptr, bought))
    folder = models_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name, values in arrays.items():
        np.save(folder / f"{name}.npy", values)
    return folder


def _purchase_arrays(
    purchases: Purchases,
    order: npt.NDArray[np.intp],
    bought_ptr: npt.NDArray[np.int64],
    bought: npt.NDArray[np.int32],
) -> dict[str, npt.NDArray[np.generic]]:
    """The weight and count of each (customer, bought article) pair, looked up all at once in
    the sorted keys ``customer * articles + article`` of the sums."""
    n_articles = purchases.weight.shape[1]
    cust = np.repeat(order.astype(np.int64), np.diff(bought_ptr))
    wanted = cust * n_articles + bought.astype(np.int64)
    out: dict[str, npt.NDArray[np.generic]] = {}
    for name, m, dtype in (
        ("bought_weight", purchases.weight, np.float32),
        ("bought_count", purchases.count, np.int32),
    ):
        coo = m.tocoo()
        keys = coo.row.astype(np.int64) * n_articles + coo.col.astype(np.int64)
        by_key = np.argsort(keys, kind="stable")
        pos = find_sorted(keys[by_key], wanted)
        if (pos < 0).any():
            raise ValueError(f"{name}: a bought article has no purchase in the sums")
        out[name] = coo.data[by_key][pos].astype(dtype)
    out["article_repurchase"] = purchases.repurchase_share()
    return out


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
        present = [n for n in PURCHASE_FILES if (folder / f"{n}.npy").is_file()]
        arrays = {n: np.load(folder / f"{n}.npy", mmap_mode="r") for n in (*FILES, *present)}
        n = len(arrays["ids"])
        if len(arrays["cf"]) != n or len(arrays["recent_ptr"]) != n + 1:
            raise ValueError(f"{folder}: the arrays do not have one row per customer")
        return cls(arrays, article_ids)

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def has_purchases(self) -> bool:
        """Whether the table holds purchase weights and counts (newer builds)."""
        return all(n in self._a for n in PURCHASE_FILES)

    @property
    def article_repurchase(self) -> npt.NDArray[np.float32] | None:
        """Per article (``ids.npz`` order): the smoothed share of buyers who buy it again."""
        found = self._a.get("article_repurchase")
        return None if found is None else np.asarray(found)

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
            bought_weight=(a["bought_weight"][b0:b1].tolist() if "bought_weight" in a else None),
            bought_count=(
                [int(x) for x in a["bought_count"][b0:b1]] if "bought_count" in a else None
            ),
        )
