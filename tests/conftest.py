"""Shared fixtures: one tiny synthetic world, one index built from it, one API client.

Built once per test session (the text model and the build are the slow parts), in a temporary
folder; tests must not modify them (tests that write build their own copies).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

TINY_SEED = 11


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from indexer.synthetic import SCALES, generate

    out = tmp_path_factory.mktemp("tiny") / "data"
    n_a, n_c, n_t = SCALES["tiny"]
    generate(out, n_articles=n_a, n_customers=n_c, n_transactions=n_t, seed=TINY_SEED)
    return out


@pytest.fixture(scope="session")
def tiny_settings(tiny_world: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from core.settings import ModelSettings, Settings

    root = tmp_path_factory.mktemp("tiny-index")
    return Settings(
        data_dir=tiny_world,
        index_dir=root / "index",
        db_path=root / "lookbook.db",
        models=ModelSettings(als_factors=32, cnn_epochs=3),
    )


@pytest.fixture(scope="session")
def tiny_index(tiny_settings, tiny_world: Path):  # type: ignore[no-untyped-def]
    from indexer.build import build

    return build(tiny_settings, data_dir=tiny_world)


@pytest.fixture(scope="session")
def client(tiny_settings, tiny_index) -> Iterator[object]:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from api.main import create_app

    with TestClient(create_app(tiny_settings)) as c:
        yield c
