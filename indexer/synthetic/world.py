"""`python -m indexer generate`: a synthetic world in the exact H&M Kaggle format (DESIGN §2).

The world carries real signal: a catalog with H&M's taxonomies and colourways, descriptions
composed from the attributes, images drawn per article, and purchases driven by customer
tastes, life cycles, seasons and a heavy-tailed popularity (see `transactions`).
The same seed gives the same bytes. Files appear whole: each CSV is written under a temporary
name and renamed, and `articles.csv` comes last, so its presence means the world is complete.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from core.catalog import (
    ARTICLES,
    CUSTOMERS,
    HM_ARTICLES,
    HM_CUSTOMERS,
    HM_TRANSACTIONS,
    TRANSACTIONS,
)
from core.errors import InvalidInput
from indexer.synthetic.articles import LINES, Catalog, build_catalog
from indexer.synthetic.calendar import day_strings, price_strings
from indexer.synthetic.customers import Customers, build_customers, fixed_strings
from indexer.synthetic.images import ImageSpec, write_chunk, write_images
from indexer.synthetic.taxonomy import APPEARANCES, COLOURS, INDEXES, TYPE_BY_NAME
from indexer.synthetic.transactions import Purchases, simulate

log = logging.getLogger(__name__)
T = TypeVar("T")

#: (articles, customers, transactions) per named scale.
SCALES: dict[str, tuple[int, int, int]] = {
    "tiny": (400, 1_500, 40_000),
    "demo": (10_000, 30_000, 1_000_000),
    "hm": (HM_ARTICLES, HM_CUSTOMERS, HM_TRANSACTIONS),
}
_WRITE_ROWS = 2_000_000
_IMAGES_PER_JOB = 1_000
_POOL_FROM = 2_000  # below this many images a worker pool costs more than it saves


@dataclass
class GenerateSummary:
    """What `generate` wrote and how long each step took."""

    out: Path
    seed: int
    n_articles: int
    n_products: int
    n_customers: int
    n_transactions: int
    n_images: int
    seconds: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        steps = ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items())
        return (
            f"wrote {self.out} (seed {self.seed}): {self.n_articles:,} articles in "
            f"{self.n_products:,} products, {self.n_customers:,} customers, "
            f"{self.n_transactions:,} transactions, {self.n_images:,} images\n"
            f"time {sum(self.seconds.values()):.1f}s: {steps}"
        )


@contextmanager
def _step(summary: GenerateSummary, name: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    summary.seconds[name] = time.perf_counter() - start
    log.info("%s: %.1f s", name, summary.seconds[name])


def _atomic(path: Path, write: Callable[[Path], T]) -> T:
    tmp = path.with_name(f".{path.name}.tmp")
    result = write(tmp)
    os.replace(tmp, path)
    return result


def _header(names: list[str]) -> bytes:
    return (",".join(names) + "\n").encode()


def _write_customers(path: Path, customers: Customers) -> None:
    with path.open("wb") as f:
        f.write(_header(CUSTOMERS.names))
        opts = pacsv.WriteOptions(include_header=False, quoting_style="none")
        pacsv.write_csv(customers.table, f, opts)


#: The customers' hidden tastes, for simulated shoppers (`evaluation.simulate`): ground truth
#: beside the data that the indexer never reads.
TRUTH = Path("truth") / "tastes.csv"


def _write_tastes(path: Path, customers: Customers) -> None:
    """Each customer's favourite lines ("index|product type"), colours and pattern, price
    level and how often they stray from them."""
    import pandas as pd

    lines = [f"{INDEXES[ln.index].name}|{ln.type_name}" for ln in LINES]
    frame = pd.DataFrame(
        {
            "customer_id": customers.ids.astype(str),
            "fav_lines": [";".join(lines[i] for i in row) for row in customers.fav_lines],
            "fav_colours": [
                ";".join(COLOURS[i].name for i in row) for row in customers.fav_colours
            ],
            "fav_appearance": [APPEARANCES[i].name for i in customers.fav_appearance],
            "price_pref": customers.price_pref.round(4),
            "p_explore": customers.p_explore.round(4),
        }
    )
    frame.to_csv(path, index=False)


def _dictionary(codes: np.ndarray, values: pa.Array) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), values)


def _write_transactions(
    path: Path, p: Purchases, customer_ids: pa.Array, article_ids: pa.Array
) -> None:
    """Chunks of rows as dictionary-coded columns: no per-row Python work, bounded memory."""
    from tqdm.auto import tqdm

    days, prices = pa.array(day_strings()), pa.array(price_strings())
    opts = pacsv.WriteOptions(include_header=False, quoting_style="none")
    with (
        path.open("wb") as f,
        tqdm(
            total=len(p), unit="row", desc="transactions_train.csv", disable=len(p) < _WRITE_ROWS
        ) as bar,
    ):
        f.write(_header(TRANSACTIONS.names))
        for lo in range(0, len(p), _WRITE_ROWS):
            sl = slice(lo, lo + _WRITE_ROWS)
            table = pa.table(
                {
                    "t_dat": _dictionary(p.day[sl], days),
                    "customer_id": _dictionary(p.customer[sl], customer_ids),
                    "article_id": _dictionary(p.article[sl], article_ids),
                    "price": _dictionary(p.price[sl], prices),
                    "sales_channel_id": pa.array(p.channel[sl]),
                }
            )
            pacsv.write_csv(table, f, opts)
            bar.update(len(table))


def _image_specs(catalog: Catalog, rng: np.random.Generator) -> list[ImageSpec]:
    frame = catalog.frame
    accent = rng.integers(0, len(COLOURS), len(catalog.n_variants))[catalog.product]
    shapes = [TYPE_BY_NAME[LINES[line].type_name].shape for line in catalog.line.tolist()]
    return [
        ImageSpec(aid, code, shape, APPEARANCES[app].name, COLOURS[col].rgb, COLOURS[acc].rgb)
        for aid, code, shape, app, col, acc, keep in zip(
            frame["article_id"], frame["product_code"], shapes, catalog.appearance.tolist(),
            catalog.colour.tolist(), accent.tolist(), catalog.has_image.tolist(), strict=True,
        )
        if keep
    ]  # fmt: skip


def _draw_images(specs: list[ImageSpec], root: Path, seed: int) -> int:
    """Draw every image; a pool of 2 for many (each file depends on its spec alone, so the
    bytes do not depend on which worker draws it)."""
    from tqdm.auto import tqdm

    if root.exists():
        shutil.rmtree(root)  # no stale images from an earlier, larger world
    root.mkdir(parents=True)
    if len(specs) < _POOL_FROM:
        return write_images(specs, root, seed)
    jobs = [
        (specs[i : i + _IMAGES_PER_JOB], str(root), seed)
        for i in range(0, len(specs), _IMAGES_PER_JOB)
    ]
    done = 0
    with (
        multiprocessing.get_context("spawn").Pool(2) as pool,
        tqdm(total=len(specs), unit="img", desc="images") as bar,
    ):
        for n in pool.imap_unordered(write_chunk, jobs):
            done += n
            bar.update(n)
    return done


def _check_counts(n_articles: int, n_customers: int, n_transactions: int) -> None:
    for name, value in (("n_articles", n_articles), ("n_customers", n_customers)):
        if value < 1:
            raise InvalidInput(name, f"must be at least 1, got {value}")
    if n_transactions < 0:
        raise InvalidInput("n_transactions", f"must not be negative, got {n_transactions}")


def generate(
    out: Path,
    *,
    n_articles: int,
    n_customers: int,
    n_transactions: int,
    seed: int,
    images: bool = True,
) -> GenerateSummary:
    """Write articles.csv, customers.csv, transactions_train.csv and images/ into ``out``."""
    _check_counts(n_articles, n_customers, n_transactions)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # An old articles.csv would make a half-rewritten folder look complete (Makefile too).
    (out / ARTICLES.file_name).unlink(missing_ok=True)
    rng_a, rng_c, rng_t, rng_i = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)
    )
    summary = GenerateSummary(out, seed, n_articles, 0, n_customers, n_transactions, 0)
    with _step(summary, "articles"):
        catalog = build_catalog(rng_a, n_articles)
        summary.n_products = len(catalog.n_variants)
    if images:  # before the big arrays exist, so the image workers start small
        with _step(summary, "images"):
            specs = _image_specs(catalog, rng_i)
            summary.n_images = _draw_images(specs, out / "images", seed)
    with _step(summary, "customers"):
        customers = build_customers(rng_c, n_customers, catalog)
    with _step(summary, "transactions"):
        purchases = simulate(rng_t, catalog, customers, n_transactions)
    with _step(summary, "write csv"):
        _atomic(out / CUSTOMERS.file_name, lambda p: _write_customers(p, customers))
        article_ids = pa.array(catalog.frame["article_id"].to_numpy(dtype=str))
        customer_ids = fixed_strings(customers.ids)
        _atomic(
            out / TRANSACTIONS.file_name,
            lambda p: _write_transactions(p, purchases, customer_ids, article_ids),
        )
        _atomic(out / ARTICLES.file_name, lambda p: catalog.frame.to_csv(p, index=False))
        (out / TRUTH).parent.mkdir(exist_ok=True)
        _atomic(out / TRUTH, lambda p: _write_tastes(p, customers))
    log.info("%s", summary.describe())
    return summary
