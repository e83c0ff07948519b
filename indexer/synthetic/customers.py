"""Synthetic customers: the public `customers.csv` columns and each customer's latent taste.

Taste is what makes purchases predictable: a main index group (which depends on age), four
favourite lines (index × product type), two favourite colours, a favourite pattern, a price
level, how often the customer strays from all that, buys again, or buys online, and the span
of days during which the customer shops at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from indexer.synthetic.articles import LINES, N_DAYS, Catalog
from indexer.synthetic.taxonomy import APPEARANCES, COLOURS, INDEXES

GROUPS: tuple[str, ...] = tuple(dict.fromkeys(ix.group_name for ix in INDEXES))
_GROUP_BASE = {"Ladieswear": 0.40, "Divided": 0.14, "Menswear": 0.14, "Baby/Children": 0.22}
_HEX = np.array([f"{i:02x}" for i in range(256)], dtype="S2")
N_FAV_LINES = 4


@dataclass
class Customers:
    """Customers in `customer_id` order (as the real file is sorted)."""

    ids: np.ndarray  # (n,) S64, sorted
    table: pa.Table  # the customers.csv columns, as strings
    fav_lines: np.ndarray  # (n, N_FAV_LINES) positions in LINES
    fav_colours: np.ndarray  # (n, 2) positions in COLOURS
    fav_appearance: np.ndarray  # (n,) position in APPEARANCES
    price_pref: np.ndarray  # (n,) preferred log price ratio
    p_explore: np.ndarray  # (n,) share of purchases outside the favourite lines
    p_online: np.ndarray  # (n,)
    p_repeat: np.ndarray  # (n,) share of purchases that repeat or re-colour an earlier one
    activity: np.ndarray  # (n,) relative purchase rate
    start: np.ndarray  # (n,) first day the customer shops
    end: np.ndarray  # (n,) day after the last one


def hex64(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random 64-character lowercase hex strings (like SHA-256 digests), as S64."""
    raw = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    return np.ascontiguousarray(_HEX[raw]).view("S64").reshape(n)


def fixed_strings(values: np.ndarray) -> pa.StringArray:
    """A pyarrow string array over a fixed-width bytes array without per-item Python work."""
    width = values.dtype.itemsize
    offsets = np.arange(0, width * (len(values) + 1), width, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(
        len(values), pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(values).tobytes())
    )


def _ages(rng: np.random.Generator, n: int) -> np.ndarray:
    """Two age modes like the real set (early twenties and around fifty); NaN for unknown."""
    young = rng.random(n) < 0.6
    age = np.where(young, rng.normal(25.0, 4.5, n), rng.normal(50.0, 10.0, n))
    age = np.clip(np.round(age), 16, 99)
    return np.where(rng.random(n) < 0.012, np.nan, age)


def _main_group(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    """Main index group per customer; young people lean to Divided, parents to children."""
    a = np.nan_to_num(age, nan=35.0)
    logw = np.log([_GROUP_BASE.get(g, 0.10) for g in GROUPS])[None, :].repeat(len(a), axis=0)
    logw[:, GROUPS.index("Divided")] += np.where(a < 28, 1.0, 0.0) - np.where(a > 40, 1.0, 0.0)
    children = GROUPS.index("Baby/Children")
    logw[:, children] += np.where((a >= 28) & (a <= 45), 0.9, 0.0) - np.where(a < 23, 1.5, 0.0)
    group: np.ndarray = np.argmax(logw + rng.gumbel(size=logw.shape), axis=1)
    return group


def _fav_lines(rng: np.random.Generator, group: np.ndarray, catalog: Catalog) -> np.ndarray:
    """Four favourite lines from the customer's main group, as the catalog stocks them."""
    stock = np.bincount(catalog.line, minlength=len(LINES)).astype(np.float64)
    line_group = np.array([GROUPS.index(INDEXES[ln.index].group_name) for ln in LINES])
    out = np.empty((len(group), N_FAV_LINES), dtype=np.int32)
    for g in range(len(GROUPS)):
        rows = np.flatnonzero(group == g)
        w = np.where(line_group == g, stock, 0.0)
        w = w if w.sum() > 0 else stock  # a tiny catalog may lack a whole group
        out[rows] = rng.choice(len(LINES), size=(len(rows), N_FAV_LINES), p=w / w.sum())
    return out


def _tastes(rng: np.random.Generator, n: int, catalog: Catalog) -> dict[str, np.ndarray]:
    # Tempered catalog frequencies: rarer colours and patterns are someone's favourite too.
    col = np.bincount(catalog.colour, minlength=len(COLOURS)) ** 0.7 + 1e-9
    app = np.bincount(catalog.appearance, minlength=len(APPEARANCES)) ** 0.7 + 1e-9
    start = np.where(rng.random(n) < 0.55, 0, rng.integers(0, N_DAYS - 14, n))
    churn = rng.random(n) < 0.15
    end = np.where(churn, start + 14 + (rng.random(n) * (N_DAYS - start - 14)).astype(int), N_DAYS)
    return {
        "fav_colours": rng.choice(len(COLOURS), size=(n, 2), p=col / col.sum()),
        "fav_appearance": rng.choice(len(APPEARANCES), size=n, p=app / app.sum()),
        "price_pref": rng.normal(0.0, 0.3, n),
        "p_explore": rng.beta(1.0, 8.0, n),
        "p_online": rng.beta(2.5, 1.1, n),
        "p_repeat": rng.beta(1.0, 12.0, n),
        "activity": rng.lognormal(0.0, 1.0, n),
        "start": start,
        "end": end,
    }


def _pick(rng: np.random.Generator, values: list[str], p: list[float], n: int) -> pa.Array:
    idx = rng.choice(len(values), size=n, p=np.asarray(p) / sum(p))
    return pa.DictionaryArray.from_arrays(pa.array(idx.astype(np.int32)), pa.array(values))


def _table(rng: np.random.Generator, ids: np.ndarray, age: np.ndarray) -> pa.Table:
    n = len(ids)
    fn = rng.random(n) < 0.35
    active = np.where(fn, rng.random(n) < 0.95, rng.random(n) < 0.01)
    news_fn = _pick(rng, ["Regularly", "Monthly", "NONE"], [0.97, 0.02, 0.01], n)
    news_no = _pick(rng, ["NONE", "", "Monthly", "None"], [0.98, 0.018, 0.0019, 0.0001], n)
    news = np.where(fn, news_fn.to_numpy(zero_copy_only=False), news_no.to_numpy(False))
    pool = hex64(rng, max(1, n // 3))
    # One code shared by many (the real set has a default postal code), then a long tail.
    post = np.where(rng.random(n) < 0.07, 0, (len(pool) * rng.random(n) ** 2).astype(np.int64))
    ages = [str(a) for a in range(100)]  # integers, as core.catalog declares the column
    age_idx = np.where(np.isnan(age), 100, np.nan_to_num(age, nan=0)).astype(np.int32)
    club = ["ACTIVE", "PRE-CREATE", "LEFT CLUB", ""]
    return pa.table(
        {
            "customer_id": fixed_strings(ids),
            "FN": pa.array(np.where(fn, "1.0", "")),
            "Active": pa.array(np.where(active, "1.0", "")),
            "club_member_status": _pick(rng, club, [0.927, 0.068, 0.0004, 0.0046], n),
            "fashion_news_frequency": pa.array(news),
            "age": pa.DictionaryArray.from_arrays(pa.array(age_idx), pa.array([*ages, ""])),
            "postal_code": fixed_strings(pool[post]),
        }
    )


def build_customers(rng: np.random.Generator, n: int, catalog: Catalog) -> Customers:
    """``n`` customers with sorted unique ids, public columns and latent tastes."""
    ids = np.unique(hex64(rng, n))
    while len(ids) < n:  # 256-bit random ids do not collide in practice; be exact anyway
        ids = np.unique(np.concatenate([ids, hex64(rng, n - len(ids))]))
    age = _ages(rng, n)
    group = _main_group(rng, age)
    tastes = _tastes(rng, n, catalog)
    return Customers(
        ids=ids,
        table=_table(rng, ids, age),
        fav_lines=_fav_lines(rng, group, catalog),
        **tastes,
    )
