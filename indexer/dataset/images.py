"""Which articles have a readable image at ``images/<first 3 digits>/<article_id>.jpg``.

Presence comes from one directory listing per subfolder, not a stat per article. Opening
every image (`verify`) costs about 50 µs each, 5 s of CPU at the real 105k images;
Pillow parses in Python, so threads would queue on the GIL: worker processes do it, started
before the customers and transactions are read so that the work overlaps with theirs.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from core.catalog import image_relpath
from indexer.dataset.lines import Reject
from indexer.dataset.verify import verify_chunk

log = logging.getLogger(__name__)

_PARALLEL_FROM = 2_000  # below this, starting worker processes costs more than it saves
_CHUNK = 1_000


@dataclass(frozen=True)
class ImageResult:
    paths: list[str | None]  # per article: relative path of a readable image, or None
    found: int
    missing: int
    unreadable: int
    rejects: list[Reject]
    seconds: float  # from the start of the check to the last image checked


class ImageCheck:
    """Looks up each article's image at once; opens the images found in the background.

    With `verify=False` only presence is checked. Call `result()` once, to collect.
    """

    def __init__(self, data_dir: Path, article_ids: Sequence[str], *, verify: bool = True) -> None:
        self._start = time.perf_counter()
        present = _listing(data_dir / "images")
        rel = [image_relpath(a).as_posix() for a in article_ids]
        self._paths: list[str | None] = [r if r in present else None for r in rel]
        self._found = [r for r in self._paths if r is not None]
        self._finished = time.perf_counter()
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[list[tuple[str, str]]]] = []
        self._problems: list[tuple[str, str]] = []
        if not verify:
            return
        if len(self._found) < _PARALLEL_FROM:
            self._problems = verify_chunk(str(data_dir), self._found)
            self._finished = time.perf_counter()
            return
        workers = max(1, min(4, len(os.sched_getaffinity(0))))
        # spawn, not fork: the parent holds Arrow's thread pools, which a fork can leave locked
        self._pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"))
        for i in range(0, len(self._found), _CHUNK):
            future = self._pool.submit(verify_chunk, str(data_dir), self._found[i : i + _CHUNK])
            future.add_done_callback(self._note_finish)
            self._futures.append(future)

    def _note_finish(self, _: Future[list[tuple[str, str]]]) -> None:
        self._finished = max(self._finished, time.perf_counter())

    def __enter__(self) -> ImageCheck:
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the workers (what they have not started is dropped)."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def result(self) -> ImageResult:
        """Wait for the workers and count: found + missing + unreadable = articles."""
        with self:
            for future in self._futures:
                self._problems.extend(future.result())
        problems = dict(self._problems)
        rejects = []
        for i, rel in enumerate(self._paths):
            if rel is not None and rel in problems:
                self._paths[i] = None
                rejects.append(Reject(rel, None, f"unreadable image: {problems[rel]}", ""))
        missing = len(self._paths) - len(self._found)
        found = len(self._found) - len(rejects)
        seconds = self._finished - self._start
        log.info(
            "images: %d found, %d missing, %d unreadable in %.1f s",
            found,
            missing,
            len(rejects),
            seconds,
        )
        return ImageResult(self._paths, found, missing, len(rejects), rejects, seconds)


def _listing(images_dir: Path) -> set[str]:
    """Relative paths ``images/xxx/name`` of every file one level below `images_dir`."""
    present: set[str] = set()
    if not images_dir.is_dir():
        return present
    with os.scandir(images_dir) as folders:
        for folder in folders:
            if folder.is_dir():
                with os.scandir(folder.path) as files:
                    present.update(f"images/{folder.name}/{f.name}" for f in files)
    return present
