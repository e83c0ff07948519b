"""Whether one image file reads: the work done in the image-check worker processes.

Kept apart, importing only Pillow, so that a freshly spawned worker starts in a fraction of a
second (the rest of the reader pulls in Arrow and pandas).
"""

from __future__ import annotations

import os

from PIL import Image

_JPEG_END = b"\xff\xd9"
_TAIL = 64  # some writers pad a few bytes after the end-of-image marker


def verify_image(path: str) -> str | None:
    """None when the image reads, else what is wrong with it.

    Pillow parses the headers (`open`) and checks what it can without decoding (`verify`);
    a JPEG must also end with its end-of-image marker, which catches the common truncated
    download that `verify` lets through. About 50 µs an image, against milliseconds to decode.
    """
    try:
        with open(path, "rb") as fh:
            with Image.open(fh) as img:
                fmt = img.format
                img.verify()
            if fmt == "JPEG":
                fh.seek(0, os.SEEK_END)
                fh.seek(max(0, fh.tell() - _TAIL))
                if _JPEG_END not in fh.read():
                    return "truncated JPEG (no end-of-image marker)"
    except Exception as exc:  # Pillow raises many types for bad files; each one is a reject
        return f"{type(exc).__name__}: {exc}"
    return None


def verify_chunk(data_dir: str, rel_paths: list[str]) -> list[tuple[str, str]]:
    """(relative path, problem) for each unreadable image among `rel_paths`."""
    problems = []
    for rel in rel_paths:
        problem = verify_image(os.path.join(data_dir, rel))
        if problem is not None:
            problems.append((rel, problem))
    return problems
