"""Shared fixtures: one tiny synthetic world, one index built from it, one API client.

Built once per test session (the text model and the build are the slow parts), in a temporary
folder; tests must not modify them (tests that write build their own copies).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

TINY_SEED = 11
RATE_FIELDS = ("search", "photo_search", "session", "write", "service")
#: A customer added to the tiny world who bought only black trousers (known-answer tests).
TROUSERS_FAN = "bd" * 32
FAN_BOUGHT = 3


def copy_index(src: Path, dst: Path) -> Path:
    """Copy an index folder keeping its files sparse. Edge preallocates 32 MB files (WAL
    segments, vector chunks) that hold a few KB each; `shutil.copytree` writes out every hole:
    the durability test's copy of the tiny index, once it held two versions, took 956 MB
    (16 MB copied this way)."""
    subprocess.run(["cp", "-a", "--sparse=always", str(src), str(dst)], check=True)
    return dst


def scratch_settings(tiny_settings: Any, root: Path, **update: Any) -> Any:
    """The tiny world's settings on a copy of its index and a database of their own, both under
    ``root``, with ``update`` on top."""
    return tiny_settings.model_copy(
        update={
            "index_dir": copy_index(tiny_settings.index_dir, root / "index"),
            "db_path": root / "lookbook.db",
            **update,
        }
    )


def add_trousers_fan(data: Path) -> list[str]:
    """Append a customer who bought `FAN_BOUGHT` black trousers (twice each) in the last weeks;
    returns the black trousers of the world, bought ones first."""
    import pandas as pd

    arts = pd.read_csv(data / "articles.csv", dtype=str)
    black = arts[(arts.product_type_name == "Trousers") & (arts.colour_group_name == "Black")]
    ids = sorted(black.article_id)
    with open(data / "customers.csv", "a") as fh:
        fh.write(f"{TROUSERS_FAN},1.0,1.0,ACTIVE,Regularly,31,{'ab' * 32}\n")
    days = ["2020-09-01", "2020-09-08", "2020-09-15"]
    with open(data / "transactions_train.csv", "a") as fh:
        for day, art in zip(days, ids[:FAN_BOUGHT], strict=True):
            for _ in range(2):
                fh.write(f"{day},{TROUSERS_FAN},{art},0.033881355932203,2\n")
    return ids


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from indexer.synthetic.world import SCALES, generate

    out = tmp_path_factory.mktemp("tiny") / "data"
    n_a, n_c, n_t = SCALES["tiny"]
    generate(out, n_articles=n_a, n_customers=n_c, n_transactions=n_t, seed=TINY_SEED)
    add_trousers_fan(out)
    return out


@pytest.fixture(scope="session")
def tiny_settings(tiny_world: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from core.settings import AuthSettings, ModelSettings, RateLimitSettings, Settings

    root = tmp_path_factory.mktemp("tiny-index")
    return Settings(
        data_dir=tiny_world,
        index_dir=root / "index",
        db_path=root / "lookbook.db",
        models=ModelSettings(als_factors=32, cnn_epochs=3),
        auth=AuthSettings(mode="demo"),
        # The shared client sends hundreds of searches: limits are tested on apps of their own.
        rate_limit=RateLimitSettings(**dict.fromkeys(RATE_FIELDS, "100000/minute")),
    )


@pytest.fixture(scope="session")
def tiny_index(tiny_settings, tiny_world: Path):  # type: ignore[no-untyped-def]
    from indexer.build.pipeline import build

    return build(tiny_settings, data_dir=tiny_world)


@pytest.fixture(scope="session")
def client(tiny_settings, tiny_index) -> Iterator[object]:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from api.main import create_app

    with TestClient(create_app(tiny_settings)) as c:
        yield c


@pytest.fixture(scope="session")
def service(tiny_settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Headers with a service key (acts for any customer) in the shared client's database."""
    from core.keys import KeyStore

    keys = KeyStore(tiny_settings.db_path)
    _, key = keys.create("service", "tests-service")
    keys.close()
    return {"X-API-Key": key}


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    """One throwaway PostgreSQL server for the session (`tests.pg`); each test that needs it
    takes a fresh database of its own (`Cluster.new_database`)."""
    from tests.pg import Cluster

    cluster = Cluster()
    try:
        yield cluster
    finally:
        cluster.remove()


def pg_database(cluster: Any) -> str:
    """A fresh PostgreSQL database at this code's schema (as `python -m api db upgrade`)."""
    from core.db import PARTS, Database
    from core.state import upgrade

    url: str = cluster.new_database()
    db = Database.open(url)
    try:
        upgrade(db, PARTS)
    finally:
        db.close()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a store-level test keeps its state, once per backend: the SQLite database path
    (its parts' files beside it) or a fresh PostgreSQL database's URL."""
    if request.param == "sqlite":
        return tmp_path / "lookbook.db"
    return pg_database(request.getfixturevalue("pg_cluster"))
