"""Image vectors: the `ImageEncoder` interface, shared image decoding and the factories.

Two implementations live in their own modules so that torch and open_clip are imported only
when an encoder is built: `image_cnn.CatalogCNN` (the offline default, trained at index time on
the catalog's own images) and `image_clip.OpenClipEncoder` (any open_clip model, which also
embeds text into the image space). Both write a ``config.json`` naming their ``kind`` into the
folder they are saved to, which is how `load_image_encoder` knows what to rebuild.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps
from tqdm.auto import tqdm

from core.errors import BuildError

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
#: Product photos sit on white; padding with white keeps the garment's outline meaningful.
PAD_COLOUR = (255, 255, 255)
_DECODE_THREADS = 2  # Pillow releases the GIL while decoding JPEGs


class ImageEncoder(ABC):
    """Maps images to L2-normalised float32 vectors of a fixed size."""

    #: Whether `encode_text` maps text into the same space as the images (CLIP does).
    supports_text: bool = False

    @property
    @abstractmethod
    def name(self) -> str:
        """A short label for manifests and logs (``catalog-cnn``, ``open_clip:ViT-B-32``)."""

    @property
    @abstractmethod
    def dim(self) -> int:
        """Length of every vector."""

    @abstractmethod
    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Vectors of decoded images: float32 ``(len(images), dim)``, unit rows."""

    def encode_paths(
        self, paths: Sequence[Path], progress: bool = False, batch_size: int = 256
    ) -> np.ndarray:
        """Vectors of image files (every path must exist): float32 ``(len(paths), dim)``."""
        out = np.zeros((len(paths), self.dim), dtype=np.float32)
        bar = tqdm(total=len(paths), desc="image vectors", unit="img", disable=not progress)
        with bar:
            for start in range(0, len(paths), batch_size):
                chunk = paths[start : start + batch_size]
                images = [_open_rgb(p) for p in chunk]
                out[start : start + len(chunk)] = self.encode_images(images)
                bar.update(len(chunk))
        return out

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        """Text vectors in the image space; only where `supports_text` is true."""
        raise NotImplementedError(f"image encoder {self.name} has no text tower")

    @abstractmethod
    def save(self, folder: Path) -> None:
        """Write what `load` needs into ``folder`` (created)."""

    @classmethod
    @abstractmethod
    def load(cls, folder: Path) -> ImageEncoder:
        """Rebuild the encoder saved in ``folder``; it gives the same vectors as before."""


def _open_rgb(path: Path) -> Image.Image:
    try:
        with Image.open(path) as img:
            return img.convert("RGB")
    except OSError as exc:
        raise BuildError(f"{path}: unreadable image ({exc})") from exc


def to_square_array(image: Image.Image, size: int) -> np.ndarray:
    """``image`` fitted into a white ``size``×``size`` square: uint8 ``(size, size, 3)``."""
    rgb = image.convert("RGB")
    square = ImageOps.pad(rgb, (size, size), method=Image.Resampling.BILINEAR, color=PAD_COLOUR)
    return np.asarray(square, dtype=np.uint8)


def _decode_one(path: Path, size: int) -> np.ndarray:
    try:
        with Image.open(path) as img:
            # JPEG can decode at 1/2, 1/4 or 1/8 scale for free; keep at least 2x the target so
            # the final resize still antialiases. Catalog photos are ~1750 px tall.
            img.draft("RGB", (2 * size, 2 * size))
            return to_square_array(img, size)
    except OSError as exc:
        raise BuildError(f"{path}: unreadable image ({exc})") from exc


def decode_images(paths: Sequence[Path], size: int, progress: bool = False) -> np.ndarray:
    """Decode image files into one uint8 array ``(len(paths), size, size, 3)``.

    This is the cache the catalog CNN trains and embeds from: at 105k images and 64 px it is
    about 1.3 GB, and decoding once instead of once per epoch is most of the time saved.
    """
    out = np.empty((len(paths), size, size, 3), dtype=np.uint8)
    bar = tqdm(total=len(paths), desc="decode images", unit="img", disable=not progress)
    with ThreadPoolExecutor(_DECODE_THREADS) as pool, bar:
        for i, arr in enumerate(pool.map(lambda p: _decode_one(p, size), paths, chunksize=64)):
            out[i] = arr
            bar.update(1)
    return out


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
    from indexer.encoders import image_cnn

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
        from indexer.encoders.image_clip import OpenClipEncoder

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
        from indexer.encoders.image_cnn import CatalogCNN

        return CatalogCNN.load(folder)
    if kind == "open_clip":
        from indexer.encoders.image_clip import OpenClipEncoder

        return OpenClipEncoder.load(folder)
    raise BuildError(f"{config_path}: unknown image encoder kind {kind!r}")
