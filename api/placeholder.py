"""A neutral placeholder image for articles without a photo."""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw


@lru_cache(maxsize=1)
def placeholder_jpeg() -> bytes:
    img = Image.new("RGB", (96, 128), (238, 236, 232))
    draw = ImageDraw.Draw(img)
    draw.rectangle((30, 40, 66, 88), outline=(200, 196, 190), width=2)
    draw.line((30, 88, 66, 40), fill=(200, 196, 190), width=2)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()
