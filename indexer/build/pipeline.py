"""`python -m indexer build`: data folder → a new, verified, published index version.

Stages: load + validate → statistics → text vectors → image vectors → ALS → write the store
(verified: the counts are checked before the version is marked finished) → publish. Models
(CNN weights, ALS factors, id maps, manifest) go to ``index_dir/models/<version>/`` before the
version is published, so a published version always has its models. A build killed at any
moment leaves the current version serving: the new version is only made current by the
atomic pointer switch at the very end.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from tqdm import tqdm

from core.catalog import INDEX_FORMAT
from core.changes import open_changes, uploads_dir
from core.customers import save_customer_table
from core.errors import BuildError
from core.events import open_log
from core.settings import Settings
from core.store import open_store
from core.taxonomy import Taxonomy
from indexer.build.catalog import CatalogFolded, with_catalog_changes
from indexer.build.collab import DEFAULT_ALPHA
from indexer.build.logged import Folded, purchase_sums, with_logged_purchases
from indexer.build.payload import (
    article_points,
    article_spec,
    customer_histories,
    customer_points,
    customer_spec,
    served_mask,
)
from indexer.build.ranker import copurchase_table, train_ranker
from indexer.build.signals import Signals, compute_signals
from indexer.catalog import data_lock
from indexer.dataset.read import Dataset, load

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class BuildSummary:
    version: str
    published: bool
    articles: int
    customers: int
    transactions: int
    rejected: int
    with_image: int
    stage_seconds: dict[str, float] = field(default_factory=dict)
    models_dir: str = ""

    def describe(self) -> str:
        stages = "\n".join(f"  {k:<12} {v:8.1f} s" for k, v in self.stage_seconds.items())
        state = "published (current)" if self.published else "built, not published"
        return (
            f"version {self.version}: {state}\n"
            f"  articles {self.articles:,} ({self.with_image:,} with image), "
            f"customers {self.customers:,}, transactions used {self.transactions:,}, "
            f"rejected rows {self.rejected:,}\n"
            f"  models: {self.models_dir}\n{stages}\n"
            f"  total        {sum(self.stage_seconds.values()):8.1f} s"
        )


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        log.info("stage %s ...", name)
        start = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - start
        log.info("stage %s done in %.1f s", name, self.seconds[name])


def new_version_name() -> str:
    return datetime.now(UTC).strftime("v%Y%m%dT%H%M%S%fZ")


def build(
    settings: Settings,
    *,
    data_dir: Path,
    until: date | None = None,
    version: str | None = None,
    publish: bool = True,
    after_stage: Callable[[str], None] | None = None,
) -> BuildSummary:
    """Build a new version from ``data_dir``; publish it when complete and verified."""
    version = version or new_version_name()
    store = open_store(settings)
    store.check_new_version(version)
    models_dir = settings.index_dir / "models" / version
    models_dir.mkdir(parents=True, exist_ok=True)
    timer = _Timer()
    hook = after_stage or (lambda _name: None)

    # The data folder stays locked (shared) until the version is published: `indexer compact`
    # then sees every version that will apply the log after its sequence numbers.
    with data_lock(data_dir, exclusive=False):
        ds, folded, catalog = _load(settings, data_dir, models_dir, until, timer)
        _check_not_empty(ds, data_dir)
        hook("load")
        signals = compute_signals(
            ds, data_dir, settings, models_dir, timer.stage, hook, until=until
        )
        with timer.stage("ranker"):
            copurchase_table(ds, signals.as_of_day).save(models_dir)
            ranker = train_ranker(ds, settings, models_dir, signals.as_of_day, signals.item_factors)
        hook("ranker")
        with timer.stage("write"):
            _write(store, version, ds, signals, settings, models_dir)
        hook("write")
        _write_taxonomy(models_dir, ds)
        _write_manifest(
            models_dir, version, ds, signals, settings, data_dir, until, folded, catalog, ranker
        )
        if publish:
            store.publish(version)
            log.info("published version %s", version)
    return BuildSummary(
        version=version,
        published=publish,
        articles=int(served_mask(ds).sum()),
        customers=len(ds.customers),
        transactions=len(ds.transactions.day),
        rejected=_rejected(ds),
        with_image=int(signals.has_image.sum()),
        stage_seconds=timer.seconds,
        models_dir=str(models_dir),
    )


def _load(
    settings: Settings, data_dir: Path, models_dir: Path, until: date | None, timer: _Timer
) -> tuple[Dataset, Folded, CatalogFolded]:
    """The data folder with the logs applied: what the log holds now is this version's; later
    events and catalog changes are applied on top of it by the API (by sequence number), so
    none is missed or counted twice."""
    events = open_log(settings)
    changes = open_changes(settings)
    try:
        upto = events.high_water()
        catalog_upto = changes.high_water()
        with timer.stage("load"):
            ds = load(data_dir, models_dir / "rejects.csv", until=until)
            ds, catalog = with_catalog_changes(
                ds, changes, catalog_upto, uploads_dir(settings.db_path), data_dir
            )
            ds, folded = with_logged_purchases(
                ds, events, upto, settings.shop.price_multiplier, until
            )
    finally:
        events.close()
        changes.close()
    return ds, folded, catalog


def _check_not_empty(ds: Dataset, data_dir: Path) -> None:
    if len(ds.articles) == 0:
        raise BuildError(f"{data_dir}: no valid article to index")


def _rejected(ds: Dataset) -> int:
    files = ds.report.to_json()["files"]
    return int(sum(f["rejected"] for f in files.values()))


def _write(
    store: Any, version: str, ds: Dataset, signals: Signals, settings: Settings, models_dir: Path
) -> None:
    histories = customer_histories(ds)
    sums = purchase_sums(ds, signals.as_of_day, settings.models.decay_half_life_days)
    # The API reads customers from this shared table; the store keeps them too (tools, the
    # server adapter's users).
    save_customer_table(
        models_dir,
        ds.customers["customer_id"].astype(str).tolist(),
        signals.user_factors,
        histories,
        ds.articles["article_id"].astype(str).tolist(),
        sums,
    )
    writer = store.new_writer(version)
    writer.create("articles", article_spec(signals))
    writer.create("customers", customer_spec(signals))
    for name, total, batches in (
        ("articles", len(ds.articles), article_points(ds, signals, settings)),
        ("customers", len(ds.customers), customer_points(ds, signals, histories)),
    ):
        with tqdm(total=total, desc=f"write {name}", unit="pt", mininterval=1.0) as bar:
            for batch in batches:
                writer.upsert(name, batch)
                bar.update(len(batch))
    # A count that does not verify stops here: the version is never marked finished.
    expected = {"articles": int(served_mask(ds).sum()), "customers": len(ds.customers)}
    writer.finish(expected)


def sample_customers(ds: Dataset, seed: int, n: int = 5) -> list[dict[str, Any]]:
    """Customers a demo can sign in as: ``n`` regular shoppers (5 to 200 purchases, drawn with
    the seed, most purchases first) and the first customer who bought nothing, if any."""
    counts = np.bincount(ds.transactions.customer_idx, minlength=len(ds.customers))
    regular = np.flatnonzero((counts >= 5) & (counts <= 200))
    rng = np.random.default_rng(seed)
    drawn = rng.choice(regular, min(n, len(regular)), replace=False).tolist()
    picked: list[int] = sorted(drawn, key=lambda i: (-counts[i], i))
    cold = np.flatnonzero(counts == 0)
    if len(cold):
        picked.append(int(cold[0]))
    frame = ds.customers
    out = []
    for i in picked:
        age = frame["age"].iat[i] if "age" in frame else None
        club = frame["club_member_status"].iat[i] if "club_member_status" in frame else None
        out.append(
            {
                "customer_id": str(frame["customer_id"].iat[i]),
                "age": None if age is None or pd.isna(age) else int(age),
                "club_member_status": None if club is None or pd.isna(club) else str(club),
                "purchases": int(counts[i]),
            }
        )
    return out


def _write_taxonomy(models_dir: Path, ds: Dataset) -> None:
    """The codes and names of the served articles: what a live change may use."""
    Taxonomy.of(ds.articles[served_mask(ds)].to_dict("records")).save(models_dir)


def _write_manifest(
    models_dir: Path,
    version: str,
    ds: Dataset,
    signals: Signals,
    settings: Settings,
    data_dir: Path,
    until: date | None,
    folded: Folded,
    catalog: CatalogFolded,
    ranker: dict[str, Any] | None = None,
) -> None:
    manifest = {
        "version": version,
        "format": INDEX_FORMAT,
        "data_dir": str(data_dir),
        "until": until.isoformat() if until else None,
        "as_of_day": int(signals.as_of_day),
        "text_model": settings.models.text_model,
        "text_precision": signals.text_precision,
        "text_dim": int(signals.text.shape[1]),
        "image_encoder": signals.image_encoder_name,
        "image_dim": int(signals.image.shape[1]),
        "cf_dim": int(signals.item_factors.shape[1]),
        "articles": int(served_mask(ds).sum()),
        "customers": len(ds.customers),
        "transactions": len(ds.transactions.day),
        # The event log's purchases up to this sequence number are in this version.
        "events_seq": folded.events_seq,
        "logged_purchases": folded.purchases,
        # The catalog's changes up to this sequence number are in this version.
        "catalog_seq": catalog.catalog_seq,
        # The uploaded photos its payload names (`indexer compact` keeps them while it exists).
        "uploads": sorted(
            {str(u) for u in ds.articles.get("image_upload", ()) if isinstance(u, str)}
        ),
        "catalog_changes": {
            "articles": catalog.changed,
            "added": catalog.added,
            "deleted": catalog.deleted,
        },
        "als": {
            "alpha": DEFAULT_ALPHA,
            "regularization": settings.models.als_regularization,
            "half_life_days": settings.models.decay_half_life_days,
        },
        "with_image": int(np.count_nonzero(signals.has_image)),
        # The learned ranker's objective, training figures and feature importances (None:
        # not trained); the model is `ranker/model.txt`.
        "ranker": ranker,
        "samples": sample_customers(ds, settings.seed),
        "built_at": datetime.now(UTC).isoformat(),
    }
    tmp = models_dir / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2))
    tmp.replace(models_dir / "manifest.json")
