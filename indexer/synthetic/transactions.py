"""Synthetic purchases: baskets of customers on days, filled by taste, season and life cycle.

Each basket belongs to one customer, one day inside the customer's shopping span and one
sales channel. Each item picks a line (one of the customer's four favourites, or anything
when exploring), draws candidates from that line in proportion to popularity × life cycle ×
season of that week, and keeps the candidate the customer likes best (colour, pattern,
price) with Gumbel noise. Then some items become repeats or colour swaps of the customer's
earlier purchases, and a few rows are duplicated (one row per unit, as in the real file).
Everything is vectorised numpy; items are processed in chunks to bound memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexer.synthetic.articles import LINES, Catalog
from indexer.synthetic.calendar import (
    N_WEEKS,
    SEASON,
    daily_volume,
    in_lockdown,
    prices,
)
from indexer.synthetic.customers import N_FAV_LINES, Customers

K_CANDIDATES = 12
CHUNK = 1_000_000
_FAV_SLOT_P = np.array([0.5, 0.3, 0.15, 0.05])


@dataclass
class Purchases:
    """Rows of transactions_train.csv in file order (by day), as codes."""

    day: np.ndarray  # int16, days since START
    customer: np.ndarray  # int32, position in Customers.ids
    article: np.ndarray  # int32, position in the catalog
    price: np.ndarray  # int16, position in calendar.price_strings()
    channel: np.ndarray  # int8, 1 store or 2 online

    def __len__(self) -> int:
        return len(self.day)


def _baskets(
    rng: np.random.Generator, customers: Customers, n_items: int
) -> tuple[np.ndarray, ...]:
    """Basket customer, day, channel and size, in file order (by day, shuffled within)."""
    sizes = np.minimum(rng.geometric(0.36, size=n_items // 2 + 16), 20)
    cut = int(np.searchsorted(np.cumsum(sizes), n_items))
    sizes = sizes[: cut + 1].copy()
    sizes[-1] -= int(sizes.sum()) - n_items
    cdf = np.concatenate([[0.0], np.cumsum(daily_volume())])
    cdf /= cdf[-1]
    # Nearly every customer buys at least once (as in the real set); the other baskets go
    # by activity over the customer's shopping span.
    sure = np.flatnonzero(rng.random(len(customers.activity)) < 0.993)
    sure = np.sort(rng.choice(sure, len(sizes), replace=False)) if len(sure) > len(sizes) else sure
    w = customers.activity * (cdf[customers.end] - cdf[customers.start])
    rest = rng.choice(len(w), size=len(sizes) - len(sure), p=w / w.sum())
    cust = np.concatenate([sure, rest]).astype(np.int32)
    lo, hi = cdf[customers.start[cust]], cdf[customers.end[cust]]
    day = np.searchsorted(cdf, lo + rng.random(len(cust)) * (hi - lo), side="right") - 1
    day = np.clip(day, customers.start[cust], customers.end[cust] - 1).astype(np.int16)
    p_online = np.where(in_lockdown(day), 0.97, customers.p_online[cust])
    channel = np.where(rng.random(len(cust)) < p_online, 2, 1).astype(np.int8)
    order = np.lexsort((rng.random(len(cust)), day))
    return cust[order], day[order], channel[order], sizes[order]


def _week_weights(catalog: Catalog) -> np.ndarray:
    """(N_WEEKS, n_articles) sales weight: popularity × life cycle × season."""
    mid = np.arange(N_WEEKS, dtype=np.float64) * 7.0 + 2.0
    age = mid[:, None] - catalog.launch[None, :]
    x = np.maximum(age, 0.0) / catalog.tau[None, :]
    floor = np.where(catalog.basic, 0.25, 0.03)[None, :]
    life = np.where(age >= 0, np.maximum(x * np.exp(1.0 - x), floor), 0.0)
    weights: np.ndarray = catalog.pop[None, :] * life * SEASON[catalog.line].T
    return weights


class _Sampler:
    """Draws articles of a line in proportion to their weight in a given week.

    One cumulative sum over the (week, article-by-line) table serves every (week, line)
    range, so a draw is one ``searchsorted``.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.n = len(catalog.line)
        self.by_line = np.argsort(catalog.line, kind="stable").astype(np.int32)
        bounds = np.searchsorted(catalog.line[self.by_line], np.arange(len(LINES) + 1))
        self.first, self.last = bounds[:-1], bounds[1:]
        weights = _week_weights(catalog)[:, self.by_line]
        self.cum = np.concatenate([[0.0], np.cumsum(weights.ravel())])

    def draw(self, rng: np.random.Generator, week: np.ndarray, line: np.ndarray) -> np.ndarray:
        """(m, K_CANDIDATES) articles; ``line < 0`` (or a line unsold that week) means any."""
        base = week.astype(np.int64) * self.n
        safe = np.maximum(line, 0)
        first = np.where(line < 0, 0, self.first[safe])
        last = np.where(line < 0, self.n, self.last[safe])
        lo, hi = self.cum[base + first], self.cum[base + last]
        g_lo, g_hi = self.cum[base], self.cum[base + self.n]
        empty = (hi - lo) <= 1e-12 * (g_hi - g_lo)
        first, last = np.where(empty, 0, first), np.where(empty, self.n, last)
        lo, hi = np.where(empty, g_lo, lo), np.where(empty, g_hi, hi)
        u = lo[:, None] + rng.random((len(week), K_CANDIDATES)) * (hi - lo)[:, None]
        col = np.searchsorted(self.cum, u, side="right") - 1 - base[:, None]
        col = np.clip(col, first[:, None], last[:, None] - 1)
        articles: np.ndarray = self.by_line[col]
        return articles


def _choose(
    rng: np.random.Generator,
    sampler: _Sampler,
    catalog: Catalog,
    customers: Customers,
    cust: np.ndarray,
    day: np.ndarray,
) -> np.ndarray:
    """One article per item: candidates from a line, the customer's favourite among them."""
    m = len(cust)
    week = (day.astype(np.int64) + 1) // 7
    # Season moves demand between lines (shorts in summer), not only within one line.
    fav = customers.fav_lines[cust]
    cum = np.cumsum(_FAV_SLOT_P[None, :] * SEASON[fav, week[:, None]], axis=1)
    slot = np.minimum((rng.random(m)[:, None] * cum[:, -1:] > cum).sum(axis=1), N_FAV_LINES - 1)
    explore = rng.random(m) < customers.p_explore[cust]
    line = np.where(explore, -1, fav[np.arange(m), slot])
    cand = sampler.draw(rng, week, line)
    colours = customers.fav_colours[cust]
    colour = catalog.colour[cand]
    liked = (colour == colours[:, :1]) | (colour == colours[:, 1:])
    score = 3.0 * liked + 1.0 * (catalog.appearance[cand] == customers.fav_appearance[cust, None])
    score -= 2.0 * (catalog.price_rel[cand] - customers.price_pref[cust, None]) ** 2
    score += rng.gumbel(size=cand.shape)
    best: np.ndarray = cand[np.arange(m), np.argmax(score, axis=1)].astype(np.int32)
    return best


def _seen_before(cust: np.ndarray, article: np.ndarray, n_articles: int) -> np.ndarray:
    """Positions of items whose customer already bought that article earlier (items are in
    time order, and a stable sort keeps it within equal keys)."""
    key = cust.astype(np.int64) * n_articles + article
    order = np.argsort(key, kind="stable")
    key = key[order]
    return np.sort(order[1:][key[1:] == key[:-1]])


def _choose_all(
    rng: np.random.Generator,
    sampler: _Sampler,
    catalog: Catalog,
    customers: Customers,
    cust: np.ndarray,
    day: np.ndarray,
    show: bool,
) -> np.ndarray:
    """`_choose` over all items in chunks, then redraws of accidental re-buys: popular
    articles of a favourite line would otherwise be bought again and again, while real
    repeat purchases are added on purpose by `_repeats`."""
    from tqdm.auto import tqdm

    article = np.empty(len(cust), dtype=np.int32)
    with tqdm(total=len(cust), unit="item", desc="purchases", disable=not show) as bar:
        for lo in range(0, len(cust), CHUNK):
            hi = min(lo + CHUNK, len(cust))
            article[lo:hi] = _choose(rng, sampler, catalog, customers, cust[lo:hi], day[lo:hi])
            bar.update(hi - lo)
    for _ in range(2):
        again = _seen_before(cust, article, len(catalog.line))
        for lo in range(0, len(again), CHUNK):
            idx = again[lo : lo + CHUNK]
            article[idx] = _choose(rng, sampler, catalog, customers, cust[idx], day[idx])
    return article


def _repeats(
    rng: np.random.Generator,
    catalog: Catalog,
    customers: Customers,
    cust: np.ndarray,
    article: np.ndarray,
) -> None:
    """Turn some items into repeats of a recent earlier purchase, or into another colourway
    of it, in place. Items are in time order, so a stable sort by customer keeps it."""
    order = np.argsort(cust, kind="stable")
    cs = cust[order]
    pos = np.arange(len(cs), dtype=np.int64)
    new_run = np.concatenate([[True], cs[1:] != cs[:-1]])
    earlier = pos - np.maximum.accumulate(np.where(new_run, pos, 0))
    del new_run
    idx = np.flatnonzero((rng.random(len(cs)) < customers.p_repeat[cs]) & (earlier > 0))
    del cs, pos
    src = article[order[idx - np.minimum(earlier[idx], rng.geometric(0.3, len(idx)))]]
    prod = catalog.product[src]
    nv = catalog.n_variants[prod]
    swap = (rng.random(len(idx)) < 0.35) & (nv > 1)
    offset = src - catalog.first_article[prod]
    other = (offset + 1 + (rng.random(len(idx)) * (nv - 1)).astype(np.int64)) % np.maximum(nv, 1)
    article[order[idx]] = np.where(swap, catalog.first_article[prod] + other, src)


def simulate(
    rng: np.random.Generator, catalog: Catalog, customers: Customers, n_transactions: int
) -> Purchases:
    """``n_transactions`` rows in file order (see the module docstring for the model)."""
    n_dup = round(0.035 * n_transactions)  # several units of one article in a basket
    n_items = n_transactions - n_dup
    b_cust, b_day, b_channel, sizes = _baskets(rng, customers, n_items)
    cust, day = np.repeat(b_cust, sizes), np.repeat(b_day, sizes)
    channel = np.repeat(b_channel, sizes)
    del b_cust, b_day, b_channel
    sampler = _Sampler(catalog)
    article = _choose_all(rng, sampler, catalog, customers, cust, day, n_items >= CHUNK)
    del sampler
    _repeats(rng, catalog, customers, cust, article)
    price = prices(rng, catalog, day, article)
    counts = 1 + np.bincount(rng.integers(0, n_items, n_dup), minlength=n_items)
    return Purchases(
        day=np.repeat(day, counts),
        customer=np.repeat(cust, counts),
        article=np.repeat(article, counts),
        price=np.repeat(price, counts),
        channel=np.repeat(channel, counts),
    )
