"""The feed's candidate sources beside the engine's vector searches: what the customer buys
again, what is bought together with their recent purchases, and other colours of what they
bought. Plain arrays over the rows of a version's article matrices (``ids.npz`` order), so the
build's ranker training (`indexer.build.ranker`) and the API compute them alike.

Co-purchase counts come from baskets: the distinct articles one customer bought on one day.
Per article the build keeps its `PARTNERS` most frequent partners (seen in at least
`MIN_TOGETHER` baskets of the last `COPURCHASE_DAYS` days), as compressed sparse rows under
``models/<version>/copurchase/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse

from core.customers import REPURCHASE_PRIOR

FOLDER = "copurchase"
#: Partners kept per article.
PARTNERS = 20
#: Baskets of the last this many days count.
COPURCHASE_DAYS = 90
#: A pair must share at least this many baskets.
MIN_TOGETHER = 2
#: Baskets larger than this (a shop's own orders, resellers) say little about pairs: left out.
MAX_BASKET = 30
#: Candidates per prefetch are capped at this.
MAX_PREFETCH = 3000
#: Trending candidates the feed takes.
TRENDING_CANDIDATES = 50
#: Recent purchases the tastes read (as many as a build keeps).
RECENT_KEPT = 20
#: A recent purchase's partners count half as much after this many days.
COPURCHASE_HALF_LIFE_DAYS = 14.0
#: Co-purchase candidates the feed takes (best first).
COPURCHASE_CANDIDATES = 50
#: Other colours of bought products the feed takes.
COLOURWAY_CANDIDATES = 50

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def pool_size(candidates: int, limit: int, offset: int) -> int:
    """Candidates per prefetch: enough to fill the requested page after variant collapse."""
    return min(max(candidates, 3 * (offset + limit)), MAX_PREFETCH)


def mean_direction(vectors: npt.ArrayLike, weights: npt.ArrayLike) -> Any:
    """Weighted mean direction of ``vectors`` (rows, each scaled to unit length; a zero row
    adds nothing), or None when there is none: a customer's text or image taste."""
    m = np.asarray(vectors, dtype=np.float64)
    if not len(m):
        return None
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    acc = np.asarray(weights, dtype=np.float64) @ (m / np.where(norms == 0, 1.0, norms))
    norm = float(np.linalg.norm(acc))
    return None if norm == 0 else acc / norm


def rebuy_scores(shares: npt.ArrayLike, overall: float, counts: npt.ArrayLike) -> FloatArray:
    """How likely each bought article is bought again: ``1 − (1 − share)(1 − own)``.

    ``share`` is the article's smoothed share of buyers who bought it more than once;
    ``own`` is how often this customer came back to it, ``(count − 1 + r) / count``, where
    ``r`` is the customer's own share of articles bought again, smoothed towards the
    catalogue's (``overall``) with `REPURCHASE_PRIOR` pseudo-articles.
    """
    s = np.asarray(shares, dtype=np.float64)
    n = np.maximum(np.asarray(counts, dtype=np.float64), 1.0)
    if not len(n):
        return np.zeros(0)
    mine = (float((n >= 2).sum()) + REPURCHASE_PRIOR * overall) / (len(n) + REPURCHASE_PRIOR)
    own = (n - 1 + mine) / n
    out: FloatArray = 1 - (1 - s) * (1 - own)
    return out


def rebuy_reason(count: int, share: float) -> str:
    """Why a bought article is offered again: "You bought it 3 times; 40% of its buyers buy it
    again"."""
    mine = f"You bought it {count} times" if count > 1 else "You bought it"
    return f"{mine}; {share:.0%} of its buyers buy it again" if share > 0 else mine


@dataclass(frozen=True)
class CoPurchase:
    """Per article row: its partners (rows) and how many baskets held both, best first."""

    ptr: IntArray
    partners: npt.NDArray[np.int32]
    together: npt.NDArray[np.int32]

    @classmethod
    def build(
        cls,
        customer_idx: npt.ArrayLike,
        article_idx: npt.ArrayLike,
        day: npt.ArrayLike,
        n_articles: int,
        *,
        since_day: int,
        until_day: int | None = None,
    ) -> CoPurchase:
        """Counts from the baskets of days ``since_day .. until_day`` (inclusive)."""
        c = np.asarray(customer_idx, dtype=np.int64)
        a = np.asarray(article_idx, dtype=np.int64)
        d = np.asarray(day, dtype=np.int64)
        keep = d >= since_day
        if until_day is not None:
            keep &= d <= until_day
        c, a, d = c[keep], a[keep], d[keep]
        if not len(c):
            return cls.empty(n_articles)
        _, basket = np.unique(c * 100_000 + (d - since_day), return_inverse=True)
        b = scipy.sparse.csr_matrix(
            (np.ones(len(a), dtype=np.float32), (basket, a)),
            shape=(int(basket.max()) + 1, n_articles),
        )
        b.sum_duplicates()
        b.data[:] = 1.0
        sizes = np.diff(b.indptr)
        b = b[(sizes >= 2) & (sizes <= MAX_BASKET)]
        pairs = (b.T @ b).tocsr()
        pairs.setdiag(0)
        pairs.data[pairs.data < MIN_TOGETHER] = 0
        pairs.eliminate_zeros()
        return cls._top(pairs, n_articles)

    @classmethod
    def _top(cls, pairs: scipy.sparse.csr_matrix, n_articles: int) -> CoPurchase:
        ptr = np.zeros(n_articles + 1, dtype=np.int64)
        parts: list[npt.NDArray[np.int32]] = []
        counts: list[npt.NDArray[np.int32]] = []
        for i in range(n_articles):
            lo, hi = pairs.indptr[i], pairs.indptr[i + 1]
            cols, vals = pairs.indices[lo:hi], pairs.data[lo:hi]
            order = np.lexsort((cols, -vals))[:PARTNERS]
            parts.append(cols[order].astype(np.int32))
            counts.append(vals[order].astype(np.int32))
            ptr[i + 1] = ptr[i] + len(order)
        flat = np.concatenate(parts) if parts else np.zeros(0, np.int32)
        together = np.concatenate(counts) if counts else np.zeros(0, np.int32)
        return cls(ptr, flat.astype(np.int32), together.astype(np.int32))

    @classmethod
    def empty(cls, n_articles: int) -> CoPurchase:
        return cls(np.zeros(n_articles + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32))

    def save(self, models_dir: Path) -> None:
        folder = models_dir / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("ptr", "partners", "together"):
            np.save(folder / f"{name}.npy", getattr(self, name))

    @classmethod
    def load(cls, models_dir: Path) -> CoPurchase | None:
        """The version's table (memory-mapped), None for a version built before it."""
        folder = models_dir / FOLDER
        if not (folder / "ptr.npy").is_file():
            return None
        names = ("ptr", "partners", "together")
        got = {n: np.load(folder / f"{n}.npy", mmap_mode="r") for n in names}
        return cls(got["ptr"], got["partners"], got["together"])

    def of(self, row: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
        """The partners of one article row and their basket counts, best first."""
        if row < 0 or row + 1 >= len(self.ptr):
            return np.zeros(0, np.int32), np.zeros(0, np.int32)
        lo, hi = int(self.ptr[row]), int(self.ptr[row + 1])
        return np.asarray(self.partners[lo:hi]), np.asarray(self.together[lo:hi])

    def scored(
        self, rows: npt.ArrayLike, weights: npt.ArrayLike, limit: int = COPURCHASE_CANDIDATES
    ) -> tuple[IntArray, FloatArray, IntArray]:
        """Partners of the purchases ``rows`` (article rows, each with a weight: its recency),
        scored ``Σ weight · together / the purchase's best partner's count``, best first:
        (partner rows, scores, the purchase row each partner owes most to)."""
        src = np.asarray(rows, dtype=np.int64)
        w = np.asarray(weights, dtype=np.float64)
        inside = (src >= 0) & (src + 1 < len(self.ptr))
        src, w = src[inside], w[inside]
        lo = np.asarray(self.ptr[src], dtype=np.int64)
        n = np.asarray(self.ptr[src + 1], dtype=np.int64) - lo
        src, w, lo, n = src[n > 0], w[n > 0], lo[n > 0], n[n > 0]
        if not len(src):
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64)
        # Every (purchase, partner) pair at once: positions lo .. lo + n of each purchase.
        at = np.repeat(lo - np.cumsum(n) + n, n) + np.arange(int(n.sum()))
        partners = np.asarray(self.partners[at], dtype=np.int64)
        together = np.asarray(self.together[at], dtype=np.float64)
        best = np.repeat(np.asarray(self.together[lo], dtype=np.float64), n)
        share = np.repeat(w, n) * together / best
        owner = np.repeat(src, n)
        keys, inverse = np.unique(partners, return_inverse=True)
        score = np.bincount(inverse, weights=share, minlength=len(keys))
        # The purchase each partner owes most to (ties: the first purchase given).
        order = np.lexsort((np.arange(len(share)), -share, inverse))
        first = np.searchsorted(inverse[order], np.arange(len(keys)))
        via = owner[order][first]
        top = np.lexsort((keys, -score))[:limit]
        return keys[top].astype(np.int64), score[top].astype(np.float64), via[top]


def same_product(
    codes: npt.ArrayLike, bought_codes: npt.ArrayLike, exclude: npt.ArrayLike, limit: int
) -> IntArray:
    """Rows whose product code is one of ``bought_codes`` (other colours of a bought product),
    the rows in ``exclude`` (the bought articles themselves) left out; the first ``limit``."""
    all_codes = np.asarray(codes)
    wanted = np.unique(np.asarray(bought_codes))
    if not len(wanted):
        return np.zeros(0, np.int64)
    hits = np.flatnonzero(np.isin(all_codes, wanted))
    hits = hits[~np.isin(hits, np.asarray(exclude, dtype=np.int64))]
    return hits[:limit].astype(np.int64)
