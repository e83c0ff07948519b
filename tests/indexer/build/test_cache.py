"""The vector caches: a rebuild embeds only what changed and gets the same vectors back."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from indexer.build.cache import ImageCache, TextVectorCache, image_fingerprint


class CountingEncoder:
    """A deterministic text → vector function that records what it was asked to embed."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.array([[len(t), sum(map(ord, t)) % 97, 1.0] for t in texts], dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_text_cache_embeds_only_texts_it_has_not_seen(tmp_path: Path) -> None:
    enc = CountingEncoder()
    cache = TextVectorCache(tmp_path, "model-a", "float32")
    first = cache.encode(["black dress", "red top", "blue jeans"], enc)
    second = cache.encode(["red top", "white shirt", "black dress"], enc)
    assert enc.calls == [["black dress", "red top", "blue jeans"], ["white shirt"]]
    np.testing.assert_array_equal(second[0], first[1])
    np.testing.assert_array_equal(second[2], first[0])
    np.testing.assert_array_equal(second[1], enc(["white shirt"])[0])
    # Everything is cached now: no call at all.
    cache.encode(["white shirt", "blue jeans"], enc)
    assert len(enc.calls) == 3  # the two above and the direct call in the assertion


def test_text_cache_is_per_model_and_precision(tmp_path: Path) -> None:
    enc = CountingEncoder()
    TextVectorCache(tmp_path, "model-a", "float32").encode(["x"], enc)
    TextVectorCache(tmp_path, "model-a", "bfloat16").encode(["x"], enc)
    TextVectorCache(tmp_path, "model-b", "float32").encode(["x"], enc)
    assert enc.calls == [["x"], ["x"], ["x"]]


def test_a_damaged_text_cache_is_ignored_and_rewritten(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    enc = CountingEncoder()
    cache = TextVectorCache(tmp_path, "m", "float32")
    expected = cache.encode(["a", "b"], enc)
    (cache.folder / "vectors.npy").write_bytes(b"not a numpy file")
    with caplog.at_level(logging.WARNING, logger="indexer.build.cache"):
        again = cache.encode(["a", "b"], enc)
    assert "unreadable" in caplog.text
    np.testing.assert_array_equal(again, expected)
    cache.encode(["a", "b"], enc)
    assert enc.calls == [["a", "b"], ["a", "b"]]


def test_image_fingerprint_follows_files_labels_and_settings(tmp_path: Path) -> None:
    img = tmp_path / "a.jpg"
    img.write_bytes(b"one")
    labels = {"product_type_no": np.array([1])}
    base = image_fingerprint(["catalog-cnn", "4"], [img], labels)
    assert image_fingerprint(["catalog-cnn", "4"], [img], labels) == base
    assert image_fingerprint(["catalog-cnn", "5"], [img], labels) != base
    assert (
        image_fingerprint(["catalog-cnn", "4"], [img], {"product_type_no": np.array([2])}) != base
    )
    img.write_bytes(b"a longer image")
    assert image_fingerprint(["catalog-cnn", "4"], [img], labels) != base


def test_image_cache_round_trip(tmp_path: Path) -> None:
    encoder_dir = tmp_path / "enc"
    encoder_dir.mkdir()
    (encoder_dir / "weights.bin").write_bytes(b"w")
    vectors = np.arange(6, dtype=np.float32).reshape(3, 2)
    cache = ImageCache(tmp_path / "cache", "f" * 32)
    assert cache.load(tmp_path / "models", 3) is None
    cache.store(encoder_dir, vectors, "catalog-cnn")
    assert cache.load(tmp_path / "models", 4) is None  # another catalog size: not a hit
    loaded = cache.load(tmp_path / "models", 3)
    assert loaded is not None
    np.testing.assert_array_equal(loaded[0], vectors)
    assert loaded[1] == "catalog-cnn"
    assert (tmp_path / "models" / "image" / "weights.bin").read_bytes() == b"w"


@contextlib.contextmanager
def _stage(_name: str) -> Iterator[None]:
    yield


@pytest.mark.slow
def test_a_rebuild_reuses_text_and_image_vectors(
    tiny_world: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from core.settings import ModelSettings, Settings
    from indexer.build.signals import compute_signals
    from indexer.dataset.read import load

    settings = Settings(index_dir=tmp_path / "index", models=ModelSettings(cnn_epochs=1))
    ds = load(tiny_world, tmp_path / "rejects.csv")
    runs = []
    for n in range(2):
        caplog.clear()
        with caplog.at_level(logging.INFO):
            models = tmp_path / f"models{n}"
            models.mkdir()
            runs.append(
                compute_signals(
                    ds, tiny_world, settings, models, _stage, lambda _: None, until=None
                )
            )
        logs = caplog.text
    n_texts = len(set(ds.articles["prod_name"]))  # at least this many distinct texts
    assert "image cache: reusing catalog-cnn" in logs
    assert "encoded" not in logs  # the text model was not run the second time
    cached = [r.getMessage() for r in caplog.records if r.getMessage().startswith("text cache")]
    done, total = (int(x) for x in cached[0].split()[2:5:2])
    assert done == total >= n_texts
    np.testing.assert_array_equal(runs[0].text, runs[1].text)
    np.testing.assert_array_equal(runs[0].image, runs[1].image)
    assert (tmp_path / "models1" / "image").is_dir()
