"""The vectors a live catalog change gives an article (`ranking.catalog`): encoded now from its
new text and uploaded photo, or read back from the engine when another replica of a shared
server collection wrote them already."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core.store.base import Point, Upsert
from encoders.text import article_text

log = logging.getLogger(__name__)

#: The vectors a change may give an article (cf comes from a build only).
OVERLAID = ("text", "image")
#: An article's vectors by name (None: it has none of that kind).
Vectors = dict[str, Sequence[float] | None]
#: (point id, the payload to write, the engine's payload before: None for a new article).
Item = tuple[int, dict[str, Any], dict[str, Any] | None]


def _photos(items: list[Item], uploads: Path) -> tuple[dict[int, Image.Image], dict[str, str]]:
    """The new uploads of ``items``, read; and the articles whose upload cannot be (why)."""
    photos: dict[int, Image.Image] = {}
    failed: dict[str, str] = {}
    for pid, payload, before in items:
        upload = payload.get("image_upload")
        if not upload or (before is not None and before.get("image_upload") == upload):
            continue
        try:
            with Image.open(uploads / upload) as img:
                photos[pid] = img.convert("RGB")
        except Exception as exc:  # gone, unreadable, not an image, too large: set aside
            why = getattr(exc, "strerror", None) or type(exc).__name__
            failed[str(payload["article_id"])] = f"its photo {upload} cannot be read: {why}"
            log.warning("catalog: the photo of %s cannot be read: %s", payload["article_id"], exc)
    return photos, failed


def encode(
    snap: Any, items: list[Item], uploads: Path
) -> tuple[Upsert | None, dict[int, Vectors], dict[str, str]]:
    """Upserts with vectors: text encoded from the new fields, image from the upload (else the
    built one), cf as built; their text and image vectors; and the articles left out because
    their photo cannot be read (article id → why)."""
    photos, failed = _photos(items, uploads)
    items = [i for i in items if str(i[1]["article_id"]) not in failed]
    if not items:
        return None, {}, failed
    pids = [pid for pid, _, _ in items]
    kept = {
        r.id: r.vectors
        for r in snap.reader.retrieve(
            "articles", pids, with_vectors=("image", "cf", "cf_cosine"), payload_fields=()
        )
    }
    texts = snap.text_encoder.encode([article_text(p) for _, p, _ in items])
    images = (
        dict(zip(photos, snap.image_encoder.encode_images(list(photos.values())), strict=True))
        if photos
        else {}
    )
    points: list[Point] = []
    overlay: dict[int, Vectors] = {}
    for (pid, payload, _), text in zip(items, texts, strict=True):
        vectors: dict[str, list[float]] = {"text": [float(x) for x in text]}
        vectors.update({k: list(v) for k, v in kept.get(pid, {}).items() if v})
        if pid in images:
            vectors["image"] = [float(x) for x in images[pid]]
        points.append(Point(pid, vectors, payload))
        overlay[pid] = {"text": vectors["text"], "image": vectors.get("image")}
    return Upsert(tuple(points)), overlay, failed


def from_engine(snap: Any, pids: list[int]) -> dict[int, Vectors]:
    """The text and image vectors the engine holds for ``pids``, where this process's rows
    (``snap.vectors``: the matrices and their overlay) differ from them."""
    out: dict[int, Vectors] = {}
    found = snap.reader.retrieve("articles", pids, with_vectors=OVERLAID, payload_fields=())
    for r in found:
        want = {s: list(r.vectors[s]) if r.vectors.get(s) else None for s in OVERLAID}
        if not all(_same(snap.vectors.rows(s, [r.id])[0], want[s]) for s in OVERLAID):
            out[r.id] = dict(want)
    return out


def _same(row: Any, vector: Sequence[float] | None) -> bool:
    """Whether a unit row of the matrices or the overlay (NaN: none) is ``vector``'s."""
    if vector is None:
        return bool(np.isnan(row).all())
    v = np.asarray(vector, dtype=np.float64)
    norm = float(np.linalg.norm(v))
    return bool(norm and not np.isnan(row).any() and np.allclose(row, v / norm, atol=1e-5))
