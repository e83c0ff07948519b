"""The derived signals of one build: statistics, text and image vectors, ALS factors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from core.catalog import EPOCH
from core.settings import Settings
from core.vectors import save_article_vectors
from encoders.image import make_image_encoder
from encoders.text import (
    article_text,
    encode_unique,
    load_text_encoder,
    resolve_precision,
)
from indexer.build.cache import ImageCache, TextVectorCache, image_fingerprint
from indexer.build.collab import AlsModel, confidence_matrix, train_als
from indexer.build.stats import article_stats, colourways
from indexer.dataset.read import Dataset

log = logging.getLogger(__name__)

Stage = Callable[[str], AbstractContextManager[None]]

#: Labels the catalog CNN learns to predict from an image.
CNN_LABELS = ("product_type_no", "colour_group_code", "graphical_appearance_no")


@dataclass
class Signals:
    as_of_day: int
    stats: pd.DataFrame
    colourways: npt.NDArray[np.int64]
    text: npt.NDArray[np.float32]
    image: npt.NDArray[np.float32]
    has_image: npt.NDArray[np.bool_]
    image_encoder_name: str
    text_precision: str
    item_factors: npt.NDArray[np.float32]
    user_factors: npt.NDArray[np.float32]


def as_of_day(ds: Dataset, until: date | None) -> int:
    """The day statistics are computed for: the day before ``until``, else the last sale day."""
    if until is not None:
        return (until - EPOCH).days - 1
    days = ds.transactions.day
    return int(days.max()) if len(days) else (date.today() - EPOCH).days


def compute_signals(
    ds: Dataset,
    data_dir: Path,
    settings: Settings,
    models_dir: Path,
    stage: Stage,
    hook: Callable[[str], None],
    *,
    until: date | None,
) -> Signals:
    """Every derived signal, with a timed stage each; models are saved under ``models_dir``."""
    tx = ds.transactions
    day0 = as_of_day(ds, until)
    with stage("stats"):
        stats = article_stats(
            tx.article_idx, tx.day, tx.price, len(ds.articles), day0, customer_idx=tx.customer_idx
        )
        ways = colourways(ds.articles["product_code"].tolist())
    hook("stats")
    with stage("text"):
        text, precision = _text_vectors(ds, settings)
    hook("text")
    with stage("image"):
        image, has_image, name = _image_vectors(ds, data_dir, settings, models_dir)
    hook("image")
    with stage("als"):
        model = _als(ds, settings, day0)
        model.save_npz(models_dir / "als.npz")
        np.savez(
            models_dir / "ids.npz",
            article_id=ds.articles["article_id"].to_numpy(dtype=str),
            customer_id=ds.customers["customer_id"].to_numpy(dtype=str),
        )
        save_article_vectors(
            models_dir,
            text=text,
            image=image,
            has_image=has_image,
            cf=model.item_factors,
        )
    hook("als")
    return Signals(
        as_of_day=day0,
        stats=stats,
        colourways=np.asarray(ways, dtype=np.int64),
        text=text,
        image=image,
        has_image=has_image,
        image_encoder_name=name,
        text_precision=precision,
        item_factors=model.item_factors,
        user_factors=model.user_factors,
    )


def _text_vectors(ds: Dataset, settings: Settings) -> tuple[npt.NDArray[np.float32], str]:
    """Each article's text vector, embedding each distinct text once and only if not cached."""
    model = settings.models.text_model
    precision = resolve_precision(settings.models.text_precision)
    texts = [article_text(row) for row in ds.articles.to_dict("records")]

    def embed(missing: list[str]) -> npt.NDArray[np.float32]:
        encoder = load_text_encoder(model, precision)
        return encoder.encode(missing, batch_size=64, progress=True)

    cache = TextVectorCache(settings.vector_cache_dir, model, precision)
    unique_vectors, inverse = encode_unique(lambda distinct: cache.encode(distinct, embed), texts)
    log.info(
        "text: %d articles, %d distinct texts (%s)", len(texts), len(unique_vectors), precision
    )
    return np.ascontiguousarray(unique_vectors[inverse], dtype=np.float32), precision


def _image_vectors(
    ds: Dataset, data_dir: Path, settings: Settings, models_dir: Path
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_], str]:
    """Vectors for articles with a readable image; rows of the others stay zero and masked."""
    rel = ds.articles["image_path"]
    has_image = rel.notna().to_numpy()
    paths = [data_dir / p for p in rel[has_image]]
    if not paths and settings.models.image_encoder == "catalog-cnn":
        log.warning("image: no readable image in %s: no image vectors", data_dir)
        return np.zeros((len(ds.articles), 1), dtype=np.float32), has_image, "none"
    labels = {k: ds.articles.loc[has_image, k].to_numpy() for k in CNN_LABELS}
    m = settings.models
    parts = [m.image_encoder, m.clip_model, m.clip_pretrained, str(m.cnn_epochs)]
    parts += [str(m.cnn_image_size), str(m.batch_size), str(settings.seed)]
    cache = ImageCache(settings.vector_cache_dir, image_fingerprint(parts, paths, labels))
    cached = cache.load(models_dir, len(paths)) if paths else None
    if cached is not None:
        found, name = cached
    else:
        encoder = make_image_encoder(settings, paths=paths, labels=labels, progress=True)
        encoder.save(models_dir / "image")
        name = encoder.name
        found = np.zeros((0, encoder.dim), dtype=np.float32)
        if paths:
            found = encoder.encode_paths(paths, progress=True)
            cache.store(models_dir / "image", found, name)
    vectors = np.zeros((len(ds.articles), found.shape[1]), dtype=np.float32)
    vectors[has_image] = found
    return vectors, has_image, name


def _als(ds: Dataset, settings: Settings, day0: int) -> AlsModel:
    tx = ds.transactions
    m = settings.models
    matrix = confidence_matrix(
        tx.customer_idx,
        tx.article_idx,
        tx.day,
        len(ds.customers),
        len(ds.articles),
        day0,
        m.decay_half_life_days,
    )
    return train_als(
        matrix,
        factors=m.als_factors,
        iterations=m.als_iterations,
        regularization=m.als_regularization,
        seed=settings.seed,
        progress=True,
    )
