"""The `ImageEncoder` interface and the image decoding its implementations share.

`image_cnn.CatalogCNN` and `image_clip.OpenClipEncoder` implement it; `encoders.image` builds
and loads them. This module imports neither, so the implementations and the factory depend on
it and not on each other.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from tqdm.auto import tqdm

from core.errors import BuildError

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
