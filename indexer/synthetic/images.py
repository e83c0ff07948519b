"""Product images for the synthetic world: a silhouette per product type, filled with the
article's colour and pattern on a light background, so pixel similarity means something.

The geometry of an image (silhouette jitter, stripe period, print placement) is seeded by
the product code and the colour jitter by the article id, so colourways of one product are
the same picture in another colour, and a given seed always gives the same bytes.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from indexer.synthetic.shapes import SHAPES, Part

RGB = tuple[int, int, int]
WIDTH, HEIGHT = 96, 128
BACKGROUND = (243, 242, 239)
_WHITE, _INK = (250, 250, 250), (28, 30, 40)


@dataclass(frozen=True)
class ImageSpec:
    """Everything one image depends on."""

    article_id: str
    product_code: str
    shape: str
    pattern: str  # graphical_appearance_name
    rgb: RGB
    accent: RGB  # the product's print colour


def _jitter(rgb: RGB, rnd: random.Random, amount: int) -> RGB:
    r, g, b = (min(255, max(0, c + rnd.randint(-amount, amount))) for c in rgb)
    return (r, g, b)


def _shade(rgb: RGB, f: float) -> RGB:
    """Darker for ``f < 1`` (towards black), lighter for ``f > 1`` (towards white)."""
    r, g, b = (int(c * f if f <= 1 else c + (255 - c) * min(1.0, f - 1)) for c in rgb)
    return (r, g, b)


def _contrast(base: RGB, accent: RGB) -> RGB:
    """The accent, or black/white where the accent would not show on the base."""
    if sum(abs(a - b) for a, b in zip(base, accent, strict=True)) >= 120:
        return accent
    return _INK if sum(base) > 380 else _WHITE


def _to_px(part: Part, geo: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    sx, sy, dx, dy = geo
    return [
        (WIDTH / 2 + (x - 0.5) * WIDTH * sx + dx, HEIGHT / 2 + (y - 0.5) * HEIGHT * sy + dy)
        for x, y in part[1]
    ]


def _silhouette(
    shape: str, geo: tuple[float, float, float, float]
) -> tuple[Image.Image, list[tuple[list[tuple[float, float]], int]]]:
    """The garment mask and the seam lines to draw over the fill."""
    mask = Image.new("L", (WIDTH, HEIGHT), 0)
    draw = ImageDraw.Draw(mask)
    seams: list[tuple[list[tuple[float, float]], int]] = []
    for part in SHAPES[shape]:
        pts = _to_px(part, geo)
        if part[0] == "poly":
            draw.polygon(pts, fill=255)
        elif part[0] == "ellipse":
            draw.ellipse([pts[0], pts[1]], fill=255)
        elif part[0] == "chord":
            draw.chord([pts[0], pts[1]], 180, 360, fill=255)
        else:
            width = max(1, round(float(part[2]) * WIDTH * geo[0]))  # type: ignore[misc]
            draw.line(pts, fill=255, width=width, joint="curve")
            seams.append((pts, width))
    return mask, seams


def _lines(draw: ImageDraw.ImageDraw, kind: str, base: RGB, ink: RGB, rnd: random.Random) -> None:
    """Stripes, checks, jacquard grids and fine ribs (other structure)."""
    ribs = kind == "Other structure"
    period = rnd.randint(3, 5) if ribs else rnd.randint(6, 13)
    band = 1 if ribs else rnd.randint(2, max(2, period // 2))
    col = _shade(base, 0.8) if ribs else ink
    for y in range(rnd.randint(0, period), HEIGHT, period):
        draw.rectangle([0, y, WIDTH, y + band - 1], fill=col)
    if kind in {"Check", "Jacquard"}:
        for x in range(rnd.randint(0, period), WIDTH, period):
            draw.rectangle([x, 0, x + band - 1, HEIGHT], fill=col)


def _spots(draw: ImageDraw.ImageDraw, kind: str, ink: RGB, rnd: random.Random) -> None:
    """Dots in rows, lace holes, or a scattered all-over print."""
    if kind == "All over pattern":
        for _ in range(60):
            fx, fy, fr = rnd.uniform(0, WIDTH), rnd.uniform(0, HEIGHT), rnd.uniform(1.5, 4.0)
            draw.ellipse([fx - fr, fy - fr * 0.7, fx + fr, fy + fr * 0.7], fill=ink)
        return
    step, r = rnd.randint(7, 11), rnd.uniform(1.4, 2.8)
    col = BACKGROUND if kind == "Lace" else ink
    for j, y in enumerate(range(step // 2, HEIGHT, step)):
        for x in range(step // 2 + (j % 2) * step // 2, WIDTH, step):
            draw.ellipse([x - r, y - r, x + r, y + r], fill=col)


def _print(draw: ImageDraw.ImageDraw, kind: str, ink: RGB, rnd: random.Random) -> None:
    """A motif on the chest (front print) or a small one off-centre (placement print)."""
    front = kind == "Front print"
    cx = WIDTH / 2 if front else WIDTH * rnd.uniform(0.36, 0.44)
    cy, r = HEIGHT * rnd.uniform(0.36, 0.46), rnd.uniform(7, 13) * (1.0 if front else 0.5)
    if rnd.random() < 0.5:
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=ink)
    else:
        draw.rectangle([cx - r, cy - r * 0.7, cx + r, cy + r * 0.7], fill=ink)


def _pattern(spec: ImageSpec, base: RGB, rnd: random.Random) -> Image.Image:
    """The fabric: base colour with the pattern drawn over the whole canvas."""
    layer = Image.new("RGB", (WIDTH, HEIGHT), base)
    draw = ImageDraw.Draw(layer)
    ink, kind = _contrast(base, spec.accent), spec.pattern
    if kind in {"Stripe", "Check", "Other structure", "Jacquard"}:
        _lines(draw, kind, base, ink, rnd)
    elif kind in {"Dot", "Lace", "All over pattern"}:
        _spots(draw, kind, ink, rnd)
    elif kind in {"Front print", "Placement print"}:
        _print(draw, kind, ink, rnd)
    elif kind == "Colour blocking":
        draw.rectangle([0, HEIGHT * rnd.uniform(0.45, 0.6), WIDTH, HEIGHT], fill=ink)
    elif kind == "Metallic":
        for x in range(0, WIDTH, 2):
            draw.line([(x, 0), (x + HEIGHT // 2, HEIGHT)], fill=_shade(base, 1.25 + (x % 6) / 20))
    elif kind in {"Melange", "Denim"}:
        return _textured(layer, kind, rnd)
    return layer


def _textured(layer: Image.Image, kind: str, rnd: random.Random) -> Image.Image:
    """Yarn noise (melange) or twill diagonals (denim), from a seeded numpy generator."""
    px = np.asarray(layer, dtype=np.int16).copy()
    noise = np.random.default_rng(rnd.getrandbits(32)).integers(-18, 19, (HEIGHT, WIDTH, 1))
    if kind == "Denim":
        yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
        noise = noise // 2 + np.where((xx + yy) % 3 == 0, 22, 0)[..., None]
    return Image.fromarray(np.clip(px + noise, 0, 255).astype(np.uint8), "RGB")


def render(spec: ImageSpec, seed: int) -> Image.Image:
    """The article's picture (RGB, WIDTH × HEIGHT)."""
    shape_rnd = random.Random(f"{seed}/{spec.product_code}")
    colour_rnd = random.Random(f"{seed}/{spec.article_id}")
    geo = (
        shape_rnd.uniform(0.9, 1.05),
        shape_rnd.uniform(0.92, 1.04),
        shape_rnd.uniform(-3, 3),
        shape_rnd.uniform(-3, 3),
    )
    base = _jitter(spec.rgb, colour_rnd, 6)
    mask, seams = _silhouette(spec.shape, geo)
    img = Image.new("RGB", (WIDTH, HEIGHT), _jitter(BACKGROUND, colour_rnd, 3))
    img.paste(_pattern(spec, base, shape_rnd), (0, 0), mask)
    edge_colour = _shade(base, 0.6)  # lets a white garment stand out from the background
    img.paste(edge_colour, (0, 0), mask.filter(ImageFilter.FIND_EDGES))
    draw = ImageDraw.Draw(img)
    for pts, width in seams:  # seams, handles and straps read as darker lines
        draw.line(pts, fill=edge_colour, width=max(1, width // 2), joint="curve")
    return img


def write_images(specs: Iterable[ImageSpec], root: Path, seed: int) -> int:
    """Render and save each spec under ``root/<first 3 digits>/<article_id>.jpg``."""
    n = 0
    made: set[str] = set()
    for spec in specs:
        folder = root / spec.article_id[:3]
        if spec.article_id[:3] not in made:
            folder.mkdir(parents=True, exist_ok=True)
            made.add(spec.article_id[:3])
        render(spec, seed).save(folder / f"{spec.article_id}.jpg", "JPEG", quality=85)
        n += 1
    return n


def write_chunk(job: tuple[list[ImageSpec], str, int]) -> int:
    """Pool entry point: (specs, root folder, seed) → images written."""
    specs, root, seed = job
    return write_images(specs, Path(root), seed)
