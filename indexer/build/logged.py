"""The build's view of the event log: the data set's transactions plus the logged purchases, and
the per-pair sums the customers table stores (DESIGN §9: a build applies the log on top of the
CSVs, so nothing acknowledged is lost or counted twice)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd
import scipy.sparse

from core.catalog import EPOCH
from core.customers import Purchases
from core.events import EventLog
from indexer.build.collab import confidence_matrix
from indexer.dataset.read import Dataset
from indexer.dataset.transactions import Transactions

log = logging.getLogger(__name__)
#: The channel of a logged purchase that names none: the storefront is the online shop.
ONLINE = 2


@dataclass(frozen=True)
class Folded:
    """What a build took from the log."""

    events_seq: int  # the log's high-water mark when the build read it
    purchases: int  # logged purchases added to the transactions
    new_customers: int  # customers known only from the log
    skipped: int  # purchases of articles the data set no longer has


def with_logged_purchases(
    ds: Dataset,
    events: EventLog,
    upto_seq: int,
    price_multiplier: float,
    until: date | None = None,
) -> tuple[Dataset, Folded]:
    """``ds`` with the log's purchases (``seq <= upto_seq``, before ``until``) appended to its
    transactions; customers known only from the log are added with their id alone."""
    rows = list(events.purchases(0, upto_seq))
    if until is not None:
        cut = (until - EPOCH).days
        rows = [r for r in rows if int(r.ts // 86400) < cut]
    if not rows:
        return ds, Folded(upto_seq, 0, 0, 0)
    article_row = pd.Index(ds.articles["article_id"].astype(str))
    customers = ds.customers
    customer_row = pd.Index(customers["customer_id"].astype(str))
    a_idx = article_row.get_indexer([r.article_id for r in rows])
    known = a_idx >= 0
    skipped = int((~known).sum())
    if skipped:
        log.warning("%d logged purchases name articles the data set no longer has", skipped)
    rows = [r for r, k in zip(rows, known, strict=True) if k]
    a_idx = a_idx[known]
    ids = [r.customer_id for r in rows]
    c_idx = customer_row.get_indexer(ids)
    new = list(dict.fromkeys(c for c, i in zip(ids, c_idx, strict=True) if i < 0))
    if new:
        # Known by id alone: empty text fields, unknown numbers (as an empty CSV cell reads).
        added = pd.DataFrame(
            {
                c: new
                if c == "customer_id"
                else ([np.nan] if customers[c].dtype.kind == "f" else [""]) * len(new)
                for c in customers.columns
            }
        )
        customers = pd.concat([customers, added], ignore_index=True)
        c_idx = pd.Index(customers["customer_id"].astype(str)).get_indexer(ids)
    price = np.array(
        [np.nan if r.price is None else r.price / price_multiplier for r in rows], dtype=np.float32
    )
    if np.isnan(price).any():
        # A purchase logged without a price costs what the article's sales say it costs.
        median = pd.Series(ds.transactions.price).groupby(ds.transactions.article_idx).median()
        fill = median.reindex(a_idx).to_numpy(dtype=np.float32)
        price = np.where(np.isnan(price), np.nan_to_num(fill), price).astype(np.float32)
    tx = ds.transactions
    day = np.concatenate([tx.day, [int(r.ts // 86400) for r in rows]]).astype(np.int32)
    order = np.argsort(day, kind="stable")  # the transactions stay sorted by day
    merged = Transactions(
        day=day[order],
        customer_idx=np.concatenate([tx.customer_idx, c_idx]).astype(np.int32)[order],
        article_idx=np.concatenate([tx.article_idx, a_idx]).astype(np.int32)[order],
        price=np.concatenate([tx.price, price]).astype(np.float32)[order],
        channel=np.concatenate([tx.channel, [r.sales_channel_id or ONLINE for r in rows]]).astype(
            np.int8
        )[order],
    )
    log.info(
        "the log adds %d purchases (%d new customers) up to event %d",
        len(rows),
        len(new),
        upto_seq,
    )
    return replace(ds, customers=customers, transactions=merged), Folded(
        upto_seq, len(rows), len(new), skipped
    )


def purchase_sums(ds: Dataset, as_of_day: int, half_life_days: float) -> Purchases:
    """Per (customer, article): the decayed weight the ALS was trained on, and the count."""
    tx = ds.transactions
    shape = (len(ds.customers), len(ds.articles))
    weight = confidence_matrix(
        tx.customer_idx, tx.article_idx, tx.day, *shape, as_of_day, half_life_days
    )
    past = tx.day <= as_of_day
    count = scipy.sparse.coo_matrix(
        (
            np.ones(int(past.sum()), dtype=np.int32),
            (tx.customer_idx[past].astype(np.int32), tx.article_idx[past].astype(np.int32)),
        ),
        shape=shape,
    ).tocsr()
    return Purchases(weight=weight, count=count)
