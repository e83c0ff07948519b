"""`python -m indexer events export`: the logged purchases in `transactions_train.csv` format,
so the H&M tooling and the offline evaluation read them."""

from __future__ import annotations

import csv
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

from core.events import EventLog, open_log
from core.settings import Settings

HEADER = ("t_dat", "customer_id", "article_id", "price", "sales_channel_id")


def export_purchases(
    events: EventLog, out: TextIO, since: date | None, price_multiplier: float
) -> int:
    """Write the purchases logged on or after ``since`` (UTC day) in sequence order; the
    shop price goes back to the data's scale. Returns how many rows were written."""
    since_ts = (
        datetime(since.year, since.month, since.day, tzinfo=UTC).timestamp() if since else None
    )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    n = 0
    for p in events.purchases(since_ts=since_ts):
        day = datetime.fromtimestamp(p.ts, UTC).date().isoformat()
        price = "" if p.price is None else repr(p.price / price_multiplier)
        writer.writerow((day, p.customer_id, p.article_id, price, p.sales_channel_id or 2))
        n += 1
    return n


def export_to(
    settings: Settings, out_path: Path | None, since: date | None, price_multiplier: float
) -> int:
    """`export_purchases` from the settings' event log to a file (or stdout)."""
    events = open_log(settings)
    try:
        if out_path is None:
            return export_purchases(events, sys.stdout, since, price_multiplier)
        tmp = out_path.with_name(out_path.name + ".tmp")
        with tmp.open("w", newline="") as fh:
            n = export_purchases(events, fh, since, price_multiplier)
        tmp.replace(out_path)
        return n
    finally:
        events.close()
