"""The catalog's taxonomy: codes a live change may use, and the names that go with them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from core.taxonomy import CODE_NAMES, Taxonomy


@pytest.fixture(scope="module")
def articles(tiny_world: Path) -> pd.DataFrame:
    return pd.read_csv(tiny_world / "articles.csv", dtype=str)


@pytest.fixture(scope="module")
def taxonomy(articles: pd.DataFrame) -> Taxonomy:
    return Taxonomy.of(articles.to_dict("records"))


def test_every_code_of_the_catalog_is_known_with_its_name(
    articles: pd.DataFrame, taxonomy: Taxonomy
) -> None:
    for code, name in CODE_NAMES.items():
        pairs = dict(zip(articles[code], articles[name], strict=True))
        assert taxonomy.names[code] == pairs, code
    row = articles.iloc[0].to_dict()
    assert taxonomy.problems(row) == []
    assert taxonomy.names_of({"colour_group_code": row["colour_group_code"]}) == {
        "colour_group_name": row["colour_group_name"]
    }
    assert taxonomy.names_of({"product_type_no": row["product_type_no"]}) == {
        "product_type_name": row["product_type_name"],
        "product_group_name": row["product_group_name"],
    }


def test_unknown_codes_and_names_that_disagree_are_named(
    articles: pd.DataFrame, taxonomy: Taxonomy
) -> None:
    row = articles.iloc[0].to_dict()
    other = articles[articles.colour_group_code != row["colour_group_code"]].iloc[0]
    assert taxonomy.problems({"colour_group_code": "999"}) == [
        ("colour_group_code", "999 is not a colour group of the catalog")
    ]
    assert taxonomy.problems({"product_type_no": "-1"}) == [
        ("product_type_no", "-1 is not a product type of the catalog")
    ]
    wrong = {**row, "colour_group_name": other.colour_group_name}
    assert [f for f, _ in taxonomy.problems(wrong)] == ["colour_group_name"]
    ptype, group = row["product_type_no"], row["product_group_name"]
    assert taxonomy.problems({"product_type_no": ptype, "product_group_name": "X"}) == [
        ("product_group_name", f"is 'X', but product_type_no {ptype} is in {group!r}")
    ]
    # A name alone (a patch) must come with its code.
    assert [f for f, _ in taxonomy.problems({"colour_group_name": "Black"})] == [
        "colour_group_name"
    ]
