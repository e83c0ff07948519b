"""The synthetic world: exact H&M format, determinism, and the signal it must carry."""

from __future__ import annotations

import hashlib
import re
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from core.catalog import AGE_RANGE, ARTICLES, CUSTOMERS, TRANSACTIONS, FileSchema, Kind
from core.catalog import image_relpath as catalog_image_relpath
from core.errors import InvalidInput
from indexer.synthetic.articles import build_catalog
from indexer.synthetic.taxonomy import INDEXES, PRODUCT_TYPES
from indexer.synthetic.world import SCALES, GenerateSummary, generate

SEED = 7
_PATTERNS = {
    Kind.ID10: re.compile(r"^0\d{9}$"),
    Kind.ID7: re.compile(r"^0\d{6}$"),
    Kind.HEX64: re.compile(r"^[0-9a-f]{64}$"),
    Kind.INT: re.compile(r"^-?\d+$"),
    Kind.FLOAT: re.compile(r"^-?\d+(\.\d+)?(e-?\d+)?$"),
    Kind.DATE: re.compile(r"^\d{4}-\d{2}-\d{2}$"),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerateSummary]:
    out = tmp_path_factory.mktemp("tiny")
    n_a, n_c, n_t = SCALES["tiny"]
    summary = generate(out, n_articles=n_a, n_customers=n_c, n_transactions=n_t, seed=SEED)
    return out, summary


def _read(out: Path, schema: FileSchema) -> pd.DataFrame:
    return pd.read_csv(out / schema.file_name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def tables(world: tuple[Path, GenerateSummary]) -> dict[str, pd.DataFrame]:
    out, _ = world
    tx = _read(out, TRANSACTIONS)
    arts = _read(out, ARTICLES)
    return {
        "articles": arts,
        "customers": _read(out, CUSTOMERS),
        "transactions": tx.merge(arts, on="article_id", how="left", validate="many_to_one"),
    }


def test_scales_follow_the_contract() -> None:
    assert SCALES["tiny"] == (400, 1_500, 40_000)
    assert SCALES["demo"] == (10_000, 30_000, 1_000_000)
    assert SCALES["hm"] == (105_542, 1_371_980, 31_788_324)


@pytest.mark.parametrize("schema", [ARTICLES, CUSTOMERS, TRANSACTIONS], ids=lambda s: s.file_name)
def test_every_value_matches_the_catalog_schema(
    world: tuple[Path, GenerateSummary], schema: FileSchema
) -> None:
    out, summary = world
    with (out / schema.file_name).open() as f:
        assert f.readline().rstrip("\n") == ",".join(schema.names)  # exact header, no quotes
    frame = _read(out, schema)
    expected = {
        "articles.csv": summary.n_articles,
        "customers.csv": summary.n_customers,
        "transactions_train.csv": summary.n_transactions,
    }
    assert len(frame) == expected[schema.file_name]
    assert list(frame.columns) == schema.names
    for col in schema.columns:
        values = frame[col.name]
        present = values[values != ""]
        assert col.nullable or len(present) == len(values), f"{col.name} has empty values"
        if col.kind is Kind.ENUM:
            assert set(present) <= col.allowed, f"{col.name}: {set(present) - col.allowed}"
        elif col.kind in _PATTERNS:
            bad = present[~present.str.match(_PATTERNS[col.kind])]
            assert bad.empty, f"{col.name}: {bad.head(3).tolist()}"
    if schema.unique_key:
        assert frame[schema.unique_key].is_unique
    assert not list(out.glob(".*.tmp")), "temporary files left behind"


def test_articles_look_like_hm(tables: dict[str, pd.DataFrame]) -> None:
    arts = tables["articles"]
    assert list(arts["article_id"]) == sorted(arts["article_id"])
    assert (arts["article_id"].str[:7] == arts["product_code"]).all()
    assert set(arts["index_code"]) <= {ix.code for ix in INDEXES}
    assert set(arts["product_type_name"]) <= {t.name for t in PRODUCT_TYPES}
    assert arts["colour_group_name"].nunique() >= 15
    assert arts["graphical_appearance_name"].nunique() >= 8
    per_product = arts.groupby("product_code").size()
    assert 1.8 < per_product.mean() < 2.8 and per_product.max() > 1  # several colourways
    assert (arts["detail_desc"] == "").mean() < 0.02


def test_customers_look_like_hm(tables: dict[str, pd.DataFrame]) -> None:
    cust = tables["customers"]
    assert list(cust["customer_id"]) == sorted(cust["customer_id"])
    ages = cust.loc[cust["age"] != "", "age"].astype(float)
    assert ages.between(*AGE_RANGE).all() and (ages == ages.round()).all()
    assert set(cust["FN"]) == {"1.0", ""} and set(cust["Active"]) == {"1.0", ""}
    assert cust["postal_code"].value_counts().iloc[0] > 20  # a postal code shared by many


def test_transactions_look_like_hm(tables: dict[str, pd.DataFrame]) -> None:
    tx = tables["transactions"]
    assert tx["prod_name"].notna().all(), "every article_id is in articles.csv"
    assert tx["t_dat"].min() >= "2018-09-20" and tx["t_dat"].max() == "2020-09-22"
    assert tx["t_dat"].is_monotonic_increasing
    assert set(tx["customer_id"]) <= set(tables["customers"]["customer_id"])
    price = tx["price"].astype(float)
    assert price.between(0.001, 0.6).all()
    assert tx["price"].str.len().median() >= 15  # long decimals like the real file
    online = (tx["sales_channel_id"] == "2").mean()
    assert 0.5 < online < 0.9
    assert tx.duplicated(list(TRANSACTIONS.names)).sum() > 0  # one row per unit sold


def test_images_exist_for_nearly_every_article(
    world: tuple[Path, GenerateSummary], tables: dict[str, pd.DataFrame]
) -> None:
    out, summary = world
    ids = set(tables["articles"]["article_id"])
    files = sorted((out / "images").rglob("*.jpg"))
    assert len(files) == summary.n_images
    assert 0.98 * len(ids) <= len(files) <= len(ids)
    for f in files:
        assert f.relative_to(out) == catalog_image_relpath(f.stem) and f.stem in ids
    with Image.open(files[0]) as img:
        assert img.format == "JPEG" and img.size == (96, 128)
    assert np.mean([f.stat().st_size for f in files]) < 8_000


def test_gaps_are_as_rare_as_in_the_real_set() -> None:
    catalog = build_catalog(np.random.default_rng(1), 50_000)
    no_image = 1.0 - catalog.has_image.mean()
    no_desc = (catalog.frame["detail_desc"] == "").mean()
    print(f"no image {no_image:.2%}, no description {no_desc:.2%}")
    assert 0.002 < no_image < 0.007 and 0.002 < no_desc < 0.007  # real set: 0.42%, 0.39%


def test_same_seed_same_bytes(world: tuple[Path, GenerateSummary], tmp_path: Path) -> None:
    out, _ = world
    n_a, n_c, n_t = SCALES["tiny"]
    generate(tmp_path / "a", n_articles=n_a, n_customers=n_c, n_transactions=n_t, seed=SEED)
    generate(tmp_path / "b", n_articles=n_a, n_customers=n_c, n_transactions=n_t, seed=SEED + 1)

    def digest(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()

    for name in (ARTICLES.file_name, CUSTOMERS.file_name, TRANSACTIONS.file_name):
        assert digest(out / name) == digest(tmp_path / "a" / name)
        assert digest(out / name) != digest(tmp_path / "b" / name)
    images = sorted((out / "images").rglob("*.jpg"))[::50]
    assert len(images) >= 5
    for f in images:
        assert digest(f) == digest(tmp_path / "a" / f.relative_to(out))


def test_bad_counts_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        generate(tmp_path, n_articles=0, n_customers=10, n_transactions=10, seed=1)
    with pytest.raises(InvalidInput):
        generate(tmp_path, n_articles=10, n_customers=10, n_transactions=-1, seed=1)


def _history_share(earlier: pd.DataFrame, items: pd.DataFrame) -> float:
    """Mean over ``items`` of the share of the customer's earlier purchases with the same
    product type or the same colour."""
    keys = ["customer_id", "product_type_name", "colour_group_name"]
    n = earlier.groupby("customer_id").size().rename("n")
    by_type = earlier.groupby(keys[:2]).size().rename("t")
    by_colour = earlier.groupby(keys[::2]).size().rename("c")
    by_both = earlier.groupby(keys).size().rename("b")
    q = items[keys].join(n, on="customer_id", how="inner")
    q = q.join(by_type, on=keys[:2]).join(by_colour, on=keys[::2]).join(by_both, on=keys)
    q = q.fillna(0.0)
    return float(((q["t"] + q["c"] - q["b"]) / q["n"]).mean())


def test_last_week_follows_earlier_tastes(tables: dict[str, pd.DataFrame]) -> None:
    tx, arts = tables["transactions"], tables["articles"]
    cut = sorted(tx["t_dat"].unique())[-7]
    earlier, last = tx[tx["t_dat"] < cut], tx[tx["t_dat"] >= cut]
    last = last[last["customer_id"].isin(earlier["customer_id"])]
    random_items = arts.sample(len(last), replace=True, random_state=0).assign(
        customer_id=last["customer_id"].to_numpy()
    )
    actual, chance = _history_share(earlier, last), _history_share(earlier, random_items)
    print(f"last week ({len(last)} rows): {actual:.3f} vs random {chance:.3f}, "
          f"lift {actual / chance:.2f}")  # fmt: skip
    assert actual / chance > 2.0


def test_top_articles_take_a_large_share(tables: dict[str, pd.DataFrame]) -> None:
    counts = tables["transactions"]["article_id"].value_counts()
    n = len(tables["articles"])
    top1 = counts.iloc[: n // 100].sum() / counts.sum()
    top10 = counts.iloc[: n // 10].sum() / counts.sum()
    print(f"top 1% of articles: {top1:.1%} of sales, top 10%: {top10:.1%}")
    assert top1 > 0.05 and top10 > 0.3  # uniform sales would give 1% and 10%


def test_season_moves_sales(tables: dict[str, pd.DataFrame]) -> None:
    tx = tables["transactions"]
    month = tx["t_dat"].str[5:7]
    summer, winter = month.isin(["05", "06", "07"]), month.isin(["11", "12", "01"])
    for type_name, high, low in (("Shorts", summer, winter), ("Sweater", winter, summer)):
        is_type = tx["product_type_name"] == type_name
        ratio = is_type[high].mean() / is_type[low].mean()
        print(f"{type_name}: in season {ratio:.1f}x the off-season share")
        assert ratio > 1.5


def test_colourways_differ_only_in_colour(tables: dict[str, pd.DataFrame]) -> None:
    arts = tables["articles"]
    colour_cols = [c for c in ARTICLES.names if c.startswith(("colour", "perceived"))]
    same_cols = [c for c in ARTICLES.names if c not in {*colour_cols, "article_id", "detail_desc"}]
    pairs = 0
    for _, group in arts.groupby("product_code"):
        for (_, a), (_, b) in combinations(group.iterrows(), 2):
            assert a["colour_group_name"] != b["colour_group_name"]
            assert (a[same_cols] == b[same_cols]).all()
            strip_a = a["detail_desc"].replace(a["colour_group_name"].lower(), "")
            strip_b = b["detail_desc"].replace(b["colour_group_name"].lower(), "")
            assert strip_a == strip_b and a["detail_desc"] != b["detail_desc"]
            pairs += 1
    assert pairs > 50


def test_texts_separate_product_types(tables: dict[str, pd.DataFrame]) -> None:
    """The nearest other product by description words is mostly of the same type."""
    arts = tables["articles"].drop_duplicates("product_code")
    arts = arts[arts["detail_desc"] != ""]
    words = [set(f"{n} {d}".lower().replace(".", "").split()) for n, d in
             zip(arts["prod_name"], arts["detail_desc"], strict=True)]  # fmt: skip
    types = arts["product_type_name"].to_numpy()
    hits = 0
    for i, w in enumerate(words):
        sims = [len(w & v) / len(w | v) if j != i else -1.0 for j, v in enumerate(words)]
        hits += types[int(np.argmax(sims))] == types[i]
    print(f"nearest description has the same product type: {hits / len(words):.1%}")
    assert hits / len(words) > 0.8


def _thumb(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("L").resize((24, 32)), dtype=np.float32)


def test_images_of_one_type_look_alike(
    world: tuple[Path, GenerateSummary], tables: dict[str, pd.DataFrame]
) -> None:
    """Mean absolute grayscale difference: within a product type (other products) vs across."""
    out, _ = world
    arts = tables["articles"].drop_duplicates("product_code")
    arts = arts[[(out / catalog_image_relpath(a)).exists() for a in arts["article_id"]]]
    thumbs = np.stack([_thumb(out / catalog_image_relpath(a)) for a in arts["article_id"]])
    types = arts["product_type_name"].to_numpy()
    diff = np.abs(thumbs[:, None] - thumbs[None, :]).mean(axis=(2, 3))
    off_diag = ~np.eye(len(types), dtype=bool)
    same = (types[:, None] == types[None, :]) & off_diag
    within, across = diff[same].mean(), diff[~same & off_diag].mean()
    print(f"pixel difference within a type {within:.1f}, across types {across:.1f}")
    assert within < 0.85 * across
