"""Image encoders: build the one the settings ask for, or load a saved one.

Two implementations live in their own modules so that torch and open_clip are imported only
when an encoder is built: `image_cnn.CatalogCNN` (the offline default, trained at index time on
the catalog's own images) and `image_clip.OpenClipEncoder` (any open_clip model, which also
embeds text into the image space). Both write a ``config.json`` naming their ``kind`` into the
folder they are saved to, which is how `load_image_encoder` knows what to rebuild. The
interface they share is in `image_base`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.errors import BuildError
from encoders.image_base import CONFIG_FILE, ImageEncoder, decode_images

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = ["ImageEncoder", "decode_images", "load_image_encoder", "make_image_encoder"]


def train_catalog_cnn(
    paths: Sequence[Path],
    labels: Mapping[str, np.ndarray],
    *,
    epochs: int = 4,
    image_size: int = 64,
    batch_size: int = 256,
    seed: int = 42,
    progress: bool = True,
    images: np.ndarray | None = None,
    max_epoch_images: int = 50_000,
) -> ImageEncoder:
    """Train the catalog CNN (see `image_cnn.train_catalog_cnn`); imports torch on first use."""
    from encoders import image_cnn

    return image_cnn.train_catalog_cnn(
        paths,
        labels,
        epochs=epochs,
        image_size=image_size,
        batch_size=batch_size,
        seed=seed,
        progress=progress,
        images=images,
        max_epoch_images=max_epoch_images,
    )


def make_image_encoder(
    settings: Settings,
    *,
    paths: Sequence[Path] = (),
    labels: Mapping[str, np.ndarray] | None = None,
    images: np.ndarray | None = None,
    progress: bool = True,
) -> ImageEncoder:
    """The image encoder the settings ask for.

    ``open_clip`` loads ``models.clip_model`` with ``models.clip_pretrained``. ``catalog-cnn``
    is trained here on ``paths`` (and ``labels``, see `train_catalog_cnn`), reusing ``images``
    when the caller already decoded them with `decode_images`.
    """
    m = settings.models
    if m.image_encoder == "open_clip":
        from encoders.image_clip import OpenClipEncoder

        return OpenClipEncoder(m.clip_model, m.clip_pretrained)
    if labels is None or len(paths) == 0:
        raise ValueError("catalog-cnn is trained at index time: pass the image paths and labels")
    return train_catalog_cnn(
        paths,
        labels,
        epochs=m.cnn_epochs,
        image_size=m.cnn_image_size,
        batch_size=m.batch_size,
        seed=settings.seed,
        progress=progress,
        images=images,
    )


def load_image_encoder(folder: Path) -> ImageEncoder:
    """Rebuild whichever image encoder was saved in ``folder``."""
    config_path = Path(folder) / CONFIG_FILE
    try:
        kind = json.loads(config_path.read_text())["kind"]
    except (OSError, ValueError, KeyError) as exc:
        raise BuildError(f"{config_path}: not a saved image encoder ({exc})") from exc
    if kind == "catalog-cnn":
        from encoders.image_cnn import CatalogCNN

        return CatalogCNN.load(folder)
    if kind == "open_clip":
        from encoders.image_clip import OpenClipEncoder

        return OpenClipEncoder.load(folder)
    raise BuildError(f"{config_path}: unknown image encoder kind {kind!r}")
