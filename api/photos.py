"""Uploaded photos (photo search, an article's picture): read within the size limit, checked
before any pixel is decoded, decoded at the size that is needed."""

from __future__ import annotations

import io

from fastapi import UploadFile
from PIL import Image, UnidentifiedImageError

from api.errors import PayloadTooLarge
from core.errors import InvalidInput

MAX_UPLOAD = 5 * 1024 * 1024
#: A phone photo is 12 M pixels; 16.8 M (4096²) decodes in about 50 MB. A small file that
#: declares more (a decompression bomb) is refused before any pixel is decoded.
MAX_PIXELS = 4096 * 4096


async def read_upload(file: UploadFile) -> bytes:
    """The upload's bytes; PayloadTooLarge past `MAX_UPLOAD` (the rest is never read)."""
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise PayloadTooLarge(f"file: the upload exceeds {MAX_UPLOAD // (1024 * 1024)} MB")
    return data


def open_photo(data: bytes, size: tuple[int, int] | None = None) -> Image.Image:
    """The photo decoded (with ``size``: at most that, a JPEG decoding at 1/2, 1/4 or 1/8
    scale for free), its ``format`` kept; InvalidInput naming ``file`` for anything but a
    readable JPEG or PNG of at most `MAX_PIXELS`."""
    if not data:
        raise InvalidInput("file", "the upload is empty")
    try:
        img = Image.open(io.BytesIO(data))
        if img.format not in ("JPEG", "PNG"):
            raise InvalidInput("file", f"must be a JPEG or PNG image, got {img.format}")
        if img.width * img.height > MAX_PIXELS:
            raise InvalidInput(
                "file", f"image too large: {img.width}x{img.height} pixels (at most {MAX_PIXELS})"
            )
        if size is not None:
            img.draft("RGB", size)
        img.load()
        if size is not None:
            img.thumbnail(size)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise InvalidInput("file", "not a readable JPEG or PNG image") from exc
    return img
