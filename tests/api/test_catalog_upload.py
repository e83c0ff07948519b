"""An article's photo is decoded, stored and encoded off the event loop: while a large upload is
turned into a JPEG and embedded, the same process keeps answering (issue 21)."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from fastapi import FastAPI
from PIL import Image

from api.main import create_app
from core.keys import KeyStore
from tests.conftest import copy_index

pytestmark = pytest.mark.slow
SIDE = 4096  # the largest photo accepted: 4096² pixels


def _png(side: int) -> bytes:
    """A smooth colour field: PNG keeps it well under the 5 MB cap, while turning it into a
    JPEG decodes and encodes every one of its pixels."""
    x = np.linspace(0, 255, side).astype(np.uint8)
    rgb = np.stack(np.broadcast_arrays(x[None, :], x[:, None], x[None, ::-1]), axis=-1)
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb), "RGB").save(out, "PNG")
    return out.getvalue()


async def _upload_while_polling(
    app: FastAPI, article: str, key: str, photo: bytes
) -> tuple[httpx.Response, list[float], bytes]:
    """PUT the photo while another client asks /health every 10 ms: the upload's answer, each
    /health latency (seconds) and the article's image as served afterwards."""
    headers = {"X-API-Key": key}
    url = f"/admin/articles/{article}/image"
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            # Warm up: the first upload loads the image model.
            small = await http.put(url, files={"file": ("s.png", _png(64))}, headers=headers)
            assert small.status_code == 200, small.text
            upload = asyncio.create_task(
                http.put(url, files={"file": ("big.png", photo, "image/png")}, headers=headers)
            )
            latencies: list[float] = []
            while not upload.done():
                start = time.perf_counter()
                health = await http.get("/health")
                latencies.append(time.perf_counter() - start)
                assert health.status_code == 200
                await asyncio.sleep(0.01)
            served = await http.get(f"/images/{article}.jpg")
            assert served.status_code == 200
            return upload.result(), latencies, served.content


def test_health_answers_within_100_ms_while_a_photo_is_encoded(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path
) -> None:
    settings = tiny_settings.model_copy(
        update={
            "index_dir": copy_index(tiny_settings.index_dir, tmp_path / "index"),
            "db_path": tmp_path / "lookbook.db",
        }
    )
    keys = KeyStore(settings.db_path)
    _, key = keys.create("merchandiser", "upload-test")
    keys.close()
    article = str(pd.read_csv(tiny_world / "articles.csv", dtype=str).article_id.iloc[0])
    photo = _png(SIDE)
    assert len(photo) < 5 * 1024 * 1024
    upload, latencies, served = asyncio.run(
        _upload_while_polling(create_app(settings), article, key, photo)
    )
    assert upload.status_code == 200, upload.text
    assert upload.json()["article_id"] == article
    # The upload took long enough to be watched, and the loop answered all along.
    print(f"\n/health during the upload: {len(latencies)} answers, max {max(latencies):.3f} s")
    assert len(latencies) >= 5, latencies
    assert max(latencies) < 0.1, latencies
    # The photo was kept whole and converted: a JPEG of the uploaded size.
    img = Image.open(io.BytesIO(served))
    assert img.format == "JPEG" and img.size == (SIDE, SIDE)
