"""Private copies of a published Edge version, one per API process.

Edge lets one process open a shard folder (its WAL is locked), so when several API processes
serve one machine (`python -m api serve`), each opens its own copy of the published version:
``replicas/<pid>-<version>/`` beside ``versions/``. A copy is made with ``cp --sparse=always``
(Edge preallocates files that are mostly holes), under a temporary name first so that a
process killed mid-copy never leaves a folder that looks whole; it is removed when its reader
closes, and a copy whose process is gone is removed by the next process that makes one.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)
REPLICAS = "replicas"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_orphans(base: Path) -> list[Path]:
    """Remove the copies (finished or partial) of processes that no longer run."""
    removed = []
    for d in base.iterdir() if base.is_dir() else ():
        pid = d.name.lstrip(".").split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed


def disk_bytes(folder: Path) -> int:
    """Blocks actually allocated under ``folder`` (holes of sparse files not counted)."""
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file())


@contextmanager
def one_at_a_time(base: Path) -> Iterator[None]:
    """Held by one re-index of this machine's API processes at a time (an exclusive lock on a
    file in ``base``, released if the process dies): they apply the same log, so they pass the
    re-index threshold together, and two copies and indexing processes at once doubled the
    CPU and disk taken from the requests while the changes of the meantime piled up."""
    base.mkdir(parents=True, exist_ok=True)
    with (base / ".reindex.lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


#: A background copy yields the disk and the cores to the requests being served.
IDLE = ["nice", "-n", "19", "ionice", "-c", "3"]


def private_copy(
    vdir: Path, version: str, base: Path, only: Sequence[str] | None = None, tag: str = ""
) -> Path:
    """This process's own copy of the version folder ``vdir``, made now (with ``only``: of
    those collections' folders and the version's marker, not the rest; ``tag``: a second copy
    of the same version, made in the background at the lowest priority, as a re-index does)."""
    base.mkdir(parents=True, exist_ok=True)
    remove_orphans(base)
    pid = os.getpid()
    name = f"{pid}-{version}{'-' + tag if tag else ''}"
    dst, tmp = base / name, base / f".{name}.partial"
    for old in (dst, tmp):
        shutil.rmtree(old, ignore_errors=True)
    start = time.perf_counter()
    prefix = IDLE if tag else []
    if only is None:
        subprocess.run([*prefix, "cp", "-a", "--sparse=always", str(vdir), str(tmp)], check=True)
    else:
        tmp.mkdir()
        parts = [vdir / name for name in only if (vdir / name).exists()]
        parts += [p for p in vdir.iterdir() if p.is_file()]  # the COMPLETE marker
        cmd = [*prefix, "cp", "-a", "--sparse=always", *map(str, parts), str(tmp)]
        subprocess.run(cmd, check=True)
    tmp.rename(dst)
    log.info(
        "process %d copied index version %s in %.1f s (%.0f MB on disk)",
        pid,
        version,
        time.perf_counter() - start,
        disk_bytes(dst) / 1e6,
    )
    return dst
