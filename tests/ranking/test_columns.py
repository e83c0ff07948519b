"""The columnar copy answers counts, facets, price bounds and slim records as the store does."""

from __future__ import annotations

import random
import sys
import threading
from typing import Any

import numpy as np
import pytest

from core.store import open_store
from core.store.base import AnyOf, Filter, Match, Range
from ranking.columns import Columns
from ranking.index import _article_ids
from ranking.pool import SLIM

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reader_and_columns(tiny_settings: Any, tiny_index: Any) -> Any:
    reader = open_store(tiny_settings).open_reader()
    models = tiny_settings.index_dir / "models" / reader.version
    yield reader, Columns.load(reader, _article_ids(models))
    reader.close()


def _random_filters(reader: Any, n: int, seed: int) -> list[Filter]:
    arts = reader.scroll("articles", limit=10_000)
    values = {
        k: sorted({r.payload[k] for r in arts})
        for k in (
            "product_type_name",
            "product_group_name",
            "colour_group_name",
            "index_group_name",
        )
    }
    ids = [r.id for r in arts]
    prices = sorted(r.payload["price"] for r in arts)
    rng = random.Random(seed)
    out = [Filter()]
    for _ in range(n):
        must: list[Any] = []
        if rng.random() < 0.6:
            cats = tuple(rng.sample(values["product_type_name"], 2))
            groups = tuple(rng.sample(values["product_group_name"], 1))
            must.append(
                AnyOf((Match("product_type_name", cats), Match("product_group_name", groups)))
            )
        if rng.random() < 0.5:
            must.append(
                Match("colour_group_name", tuple(rng.sample(values["colour_group_name"], 2)))
            )
        if rng.random() < 0.5:
            # Bounds just outside two prices: the engine's float index is not exact at a bound
            # equal to a stored value (gte=p can miss p); the API's bounds never are.
            lo, hi = sorted(rng.sample(prices, 2))
            must.append(
                Range("price", gte=lo - 1e-9 if rng.random() < 0.7 else None, lte=hi + 1e-9)
            )
        must_not = (
            (Match("index_group_name", (rng.choice(values["index_group_name"]),)),)
            if rng.random() < 0.3
            else ()
        )
        exclude = tuple(rng.sample(ids, 20)) if rng.random() < 0.3 else ()
        only = tuple(rng.sample(ids, 60)) if rng.random() < 0.3 else None
        out.append(Filter(tuple(must), exclude, must_not, only))
    return out


def test_counts_facets_and_bounds_agree_with_the_store(reader_and_columns: Any) -> None:
    reader, columns = reader_and_columns
    assert len(columns) == reader.count("articles")
    for flt in _random_filters(reader, 60, seed=4):
        assert columns.count(flt) == reader.count("articles", flt), flt
        for key in ("product_type_name", "colour_group_name", "index_group_name"):
            assert columns.facet(key, flt, limit=200) == reader.facet("articles", key, flt, 200)
        lo = reader.scroll("articles", flt, order_by=("price", "asc"), limit=1)
        hi = reader.scroll("articles", flt, order_by=("price", "desc"), limit=1)
        expected = (lo[0].payload["price"], hi[0].payload["price"]) if lo else None
        assert columns.bounds("price", flt) == expected


def test_slim_records_equal_the_stores_slim_payloads(reader_and_columns: Any) -> None:
    reader, columns = reader_and_columns
    ids = [r.id for r in reader.scroll("articles", limit=50)]
    ids = [ids[5], ids[0], 10**15, ids[5], *ids[10:20]]  # an unknown id and a duplicate
    from_store = reader.retrieve("articles", ids, payload_fields=SLIM)
    from_columns = columns.records(ids)
    assert [r.id for r in from_columns] == [r.id for r in from_store]
    for a, b in zip(from_columns, from_store, strict=True):
        assert {k: a.payload.get(k) for k in SLIM} == {k: b.payload.get(k) for k in SLIM}


def test_top_by_a_number_equals_the_stores_ordered_scroll(reader_and_columns: Any) -> None:
    reader, columns = reader_and_columns
    for flt in _random_filters(reader, 30, seed=8):
        for key in ("trend_score", "sales_7d", "sales_30d"):
            for n in (1, 12, 50):
                expected = reader.scroll("articles", flt, order_by=(key, "desc"), limit=n)
                got = columns.top(key, flt, n)
                assert [r.id for r in got] == [r.id for r in expected], (key, flt)


def test_changed_columns_answer_as_a_fresh_load_of_the_changed_catalog(
    reader_and_columns: Any,
) -> None:
    """The live catalog's copy: rows replaced, added (with a keyword value the catalog did not
    have) and removed give the answers of columns built from scratch over the result."""
    import numpy as np
    import pandas as pd

    from core.store.base import Record
    from ranking.columns import KEYWORDS, NUMBERS

    reader, columns = reader_and_columns
    fields = [*KEYWORDS, *NUMBERS]
    slim = {int(pid): dict(columns.payload(i)) for i, pid in enumerate(columns.ids)}
    ids = sorted(slim)
    cheaper = {**slim[ids[3]], "price": 0.0001}
    recoloured = {**slim[ids[7]], "colour_group_name": "Ultraviolet"}
    new_id = max(ids) + 17
    new = {**slim[ids[9]], "article_id": "0999999999", "product_code": "0999999"}
    upserts = [Record(ids[3], cheaper), Record(ids[7], recoloured), Record(new_id, new)]
    removed = [ids[0], ids[11], 10**15]  # an unknown id changes nothing
    changed = columns.changed(upserts, removed)

    after = {**slim, ids[3]: cheaper, ids[7]: recoloured, new_id: new}
    for pid in removed:
        after.pop(pid, None)
    frame = pd.DataFrame([after[p] for p in after], columns=fields)
    fresh = Columns(np.array(list(after), dtype=np.int64), frame)

    assert len(changed) == len(fresh) == len(columns) + 1 - 2
    assert len(columns) == len(slim)  # the original is left as it was
    assert list(changed.ids) == list(fresh.ids)
    filters = [
        *_random_filters(reader, 40, seed=12),
        Filter((Match("colour_group_name", ("Ultraviolet",)),)),
        Filter((Range("price", lte=0.001),)),
        Filter(exclude_ids=(new_id,)),
        Filter(only_ids=(new_id, ids[0], ids[3])),
    ]
    for flt in filters:
        assert changed.count(flt) == fresh.count(flt), flt
        for key in ("product_type_name", "colour_group_name", "index_group_name"):
            assert changed.facet(key, flt, limit=200) == fresh.facet(key, flt, limit=200)
        assert changed.bounds("price", flt) == fresh.bounds("price", flt)
        assert changed.distinct("product_code", flt) == fresh.distinct("product_code", flt)
        for key in ("trend_score", "sales_7d"):
            assert [r.id for r in changed.top(key, flt, 12)] == [
                r.id for r in fresh.top(key, flt, 12)
            ]
    assert changed.count(Filter((Match("colour_group_name", ("Ultraviolet",)),))) == 1
    assert changed.count(Filter((Range("price", lte=0.001),))) == 1
    probe = [new_id, ids[3], ids[0], ids[7]]
    assert [(r.id, r.payload) for r in changed.records(probe)] == [
        (r.id, r.payload) for r in fresh.records(probe)
    ]


def test_patching_while_requests_fill_the_caches_never_fails(reader_and_columns: Any) -> None:
    """A catalog change copies the columns while request threads add to their caches (the soak
    at H&M size hit 'dictionary changed size during iteration' on a catalog PATCH)."""
    reader, cols = reader_and_columns
    values = sorted({r.payload["product_type_name"] for r in reader.scroll("articles", limit=500)})
    pid = int(cols.ids[0])
    stop = threading.Event()
    errors: list[BaseException] = []

    def ask() -> None:
        rng = random.Random(1)
        while not stop.is_set():
            cols.count_match(Match("product_type_name", tuple(rng.sample(values, 2))))

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the interpreter over between almost every bytecode
    thread = threading.Thread(target=ask)
    thread.start()
    try:
        for i in range(3000):
            try:
                cols.patched({pid: {"price": float(i)}})
            except RuntimeError as exc:
                errors.append(exc)
                break
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(switch)
    assert errors == []


def test_rows_with_a_code_are_the_rows_a_match_finds(reader_and_columns: Any) -> None:
    """Other colours of a product: `rows_with` answers what a keyword match over every row
    does, also on a patched copy whose product codes changed."""
    _, columns = reader_and_columns
    codes = columns.codes("product_code", np.arange(len(columns), dtype=np.int64))
    some = np.unique(codes)[[0, 3, 7]]
    expected = np.flatnonzero(np.isin(codes, some))
    assert columns.rows_with("product_code", some).tolist() == expected.tolist()
    assert columns.rows_with("product_code", [-1]).tolist() == []
    moved = int(columns.ids[expected[0]])
    other = columns.payload(int(np.flatnonzero(codes == np.unique(codes)[5])[0]))["product_code"]
    patched = columns.patched({moved: {"product_code": other}})
    got = patched.rows_with("product_code", some).tolist()
    assert got == expected[1:].tolist()
