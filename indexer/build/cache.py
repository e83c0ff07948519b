"""Vectors one build leaves for the next: text by content, image by catalog fingerprint.

Text and image vectors depend only on the catalog and the models, not on transactions, so a
nightly rebuild with a day more of sales, or the evaluation's two `--until` builds, need not
embed them again. Both caches live under `Settings.vector_cache_dir` and are written with a
temporary name and an atomic rename: a build killed mid-write leaves the previous cache (or
none), never a torn one, and a damaged cache is ignored and rebuilt.

* `TextVectorCache`: one folder per (model, precision), holding ``keys.npy`` (16-byte
  BLAKE2b digests of the texts, sorted) and ``vectors.npy``. A build embeds only the texts whose
  digest is missing and merges them in.
* `ImageCache`: one folder per fingerprint of everything the image vectors depend on (encoder
  settings, seed, every image's path, size and modification time, the CNN's labels), holding
  the saved encoder and the vectors.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

KEY_BYTES = 16


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=KEY_BYTES).digest()


def _slug(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).hexdigest()


class TextVectorCache:
    """Text vectors keyed by the text itself, for one model at one precision."""

    def __init__(self, root: Path, model: str, precision: str) -> None:
        self.folder = root / "text" / _slug(model, precision)
        self.model, self.precision = model, precision

    def _load(self) -> tuple[npt.NDArray[np.void], npt.NDArray[np.float32]] | None:
        try:
            keys = np.load(self.folder / "keys.npy")
            vectors = np.load(self.folder / "vectors.npy")
        except (OSError, ValueError) as exc:
            if self.folder.exists():
                log.warning("text cache %s unreadable (%s): ignoring it", self.folder, exc)
            return None
        if len(keys) != len(vectors) or keys.dtype != np.dtype(f"V{KEY_BYTES}"):
            log.warning("text cache %s is inconsistent: ignoring it", self.folder)
            return None
        return keys, vectors

    def encode(
        self, texts: Sequence[str], encode: Callable[[list[str]], npt.NDArray[np.float32]]
    ) -> npt.NDArray[np.float32]:
        """Vectors of ``texts`` (distinct), calling ``encode`` only for those not cached."""
        wanted = np.array([text_key(t) for t in texts], dtype=f"V{KEY_BYTES}")
        cached = self._load()
        if cached is not None and len(cached[0]):
            keys, vectors = cached
            pos = np.clip(np.searchsorted(keys, wanted), 0, len(keys) - 1)
            hit = keys[pos] == wanted
        else:
            keys, vectors = None, None
            pos = np.zeros(len(texts), dtype=np.int64)
            hit = np.zeros(len(texts), dtype=bool)
        missing = np.flatnonzero(~hit)
        log.info("text cache: %d of %d texts cached", int(hit.sum()), len(texts))
        fresh = encode([texts[int(i)] for i in missing]) if len(missing) else None
        if fresh is not None:
            dim = fresh.shape[1]
        else:
            assert vectors is not None
            dim = vectors.shape[1]
        out = np.empty((len(texts), dim), dtype=np.float32)
        if vectors is not None and hit.any():
            if vectors.shape[1] != dim:
                raise ValueError(f"text cache {self.folder} holds {vectors.shape[1]}-d vectors")
            out[hit] = vectors[pos[hit]]
        if fresh is not None:
            out[missing] = fresh
            self._store(keys, vectors, wanted[missing], fresh)
        return out

    def _store(
        self,
        keys: npt.NDArray[np.void] | None,
        vectors: npt.NDArray[np.float32] | None,
        new_keys: npt.NDArray[np.void],
        new_vectors: npt.NDArray[np.float32],
    ) -> None:
        if keys is not None and vectors is not None:
            new_keys = np.concatenate([keys, new_keys])
            new_vectors = np.concatenate([vectors, new_vectors])
        order = np.argsort(new_keys, kind="stable")
        new_keys = new_keys[order]
        unique = np.ones(len(new_keys), dtype=bool)
        unique[1:] = new_keys[1:] != new_keys[:-1]
        with _atomic_dir(self.folder) as tmp:
            np.save(tmp / "keys.npy", new_keys[unique])
            np.save(tmp / "vectors.npy", np.ascontiguousarray(new_vectors[order][unique]))
            (tmp / "model.json").write_text(
                json.dumps({"model": self.model, "precision": self.precision})
            )


def image_fingerprint(
    settings_parts: Iterable[str], paths: Sequence[Path], labels: dict[str, np.ndarray]
) -> str:
    """A digest of everything an index's image vectors depend on."""
    h = hashlib.blake2b(digest_size=16)
    for part in settings_parts:
        h.update(part.encode() + b"\x1f")
    for p in paths:
        st = os.stat(p)
        h.update(f"{p}\x1f{st.st_size}\x1f{st.st_mtime_ns}\n".encode())
    for name in sorted(labels):
        h.update(name.encode() + b"\x1f")
        h.update(np.ascontiguousarray(labels[name]).astype(str).tobytes())
    return h.hexdigest()


class ImageCache:
    """A saved image encoder and its vectors, under the fingerprint of their inputs."""

    def __init__(self, root: Path, fingerprint: str) -> None:
        self.folder = root / "image" / fingerprint

    def load(self, models_dir: Path, rows: int) -> tuple[npt.NDArray[np.float32], str] | None:
        """Copy the cached encoder to ``models_dir/image``; its vectors and name, or None."""
        try:
            meta = json.loads((self.folder / "meta.json").read_text())
            vectors = np.load(self.folder / "vectors.npy")
        except (OSError, ValueError) as exc:
            if self.folder.exists():
                log.warning("image cache %s unreadable (%s): ignoring it", self.folder, exc)
            return None
        if len(vectors) != rows:
            log.warning("image cache %s has %d rows, not %d", self.folder, len(vectors), rows)
            return None
        target = models_dir / "image"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(self.folder / "encoder", target)
        log.info("image cache: reusing %s vectors from %s", meta["name"], self.folder)
        return vectors, str(meta["name"])

    def store(self, encoder_dir: Path, vectors: npt.NDArray[np.float32], name: str) -> None:
        with _atomic_dir(self.folder) as tmp:
            shutil.copytree(encoder_dir, tmp / "encoder")
            np.save(tmp / "vectors.npy", vectors)
            (tmp / "meta.json").write_text(json.dumps({"name": name}))


@contextmanager
def _atomic_dir(final: Path) -> Iterator[Path]:
    """A temporary folder beside ``final`` to fill; it becomes ``final`` only if the block
    finishes, and is removed otherwise."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=".tmp-"))
    try:
        yield tmp
        _replace_dir(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _replace_dir(tmp: Path, final: Path) -> None:
    """Put the finished folder ``tmp`` at ``final``; the old one is removed only afterwards."""
    if final.exists():
        old = final.with_name(f".old-{final.name}-{os.getpid()}")
        final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(final)
