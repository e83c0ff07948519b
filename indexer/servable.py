"""What the versions that can still be served need from the log and the uploads (issue 21).

Every complete version in the store can be served: it is the published one, a process may
still be serving it, or publishing it again rolls back to it. Each one applies the catalog's
changes after its ``catalog_seq`` on top of its own data, and its payload names the uploaded
photos its build folded in (``uploads`` in its manifest). So `indexer compact` clears only the
changes every such version holds, and removes an uploaded photo only once no change left in the
log and no such version names it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.changes import Change
from core.errors import IndexNotReady
from core.settings import Settings
from core.store import open_store

log = logging.getLogger(__name__)
#: An upload younger than this is never removed: the route writes the photo before it logs the
#: change that names it, so a photo without a change yet may be one on its way to the log.
UPLOAD_GRACE_S = 3600.0


@dataclass(frozen=True)
class Servable:
    """The versions that can be served (their manifests) and the published one."""

    manifests: dict[str, dict[str, Any]]
    published: str

    def catalog_seq(self, version: str) -> int:
        return int(self.manifests[version].get("catalog_seq", 0))

    def floor(self) -> int:
        """The newest change every servable version holds: what compaction may clear."""
        return min(self.catalog_seq(v) for v in self.manifests)

    def held_by(self) -> dict[str, int]:
        """The versions holding fewer changes than the published one (their ``catalog_seq``)."""
        top = self.catalog_seq(self.published)
        return {v: s for v in self.manifests if (s := self.catalog_seq(v)) < top}


def servable_versions(settings: Settings) -> Servable:
    """Every complete version of the store that has its models (a version without them cannot
    be served: the API refuses it)."""
    store = open_store(settings)
    try:
        names, published = store.versions(), store.current_version()
    finally:
        store.close()
    if published is None:
        raise IndexNotReady("no index version is published: build one before compacting")
    manifests: dict[str, dict[str, Any]] = {}
    for version in names:
        path = settings.index_dir / "models" / version / "manifest.json"
        try:
            manifests[version] = json.loads(path.read_text())
        except FileNotFoundError:
            log.info("version %s has no models (%s): it cannot be served", version, path.parent)
    if published not in manifests:
        raise IndexNotReady(f"the published version {published} has no models; rebuild it")
    return Servable(manifests, published)


def remove_unused_photos(
    uploads: Path, logged: Iterable[Change], servable: Servable, now: float | None = None
) -> list[str]:
    """Remove the uploaded photos that no change in ``logged`` (what the log keeps) and no
    servable version names, written more than `UPLOAD_GRACE_S` ago; answers their paths."""
    needed = {str(c.fields["image"]) for c in logged if "image" in c.fields}
    for version, manifest in servable.manifests.items():
        names = manifest.get("uploads")
        if names is None:
            log.info("version %s does not list its photos: every upload is kept", version)
            return []
        needed.update(str(n) for n in names)
    return _remove_except(uploads, needed, (now or time.time()) - UPLOAD_GRACE_S)


def _remove_except(uploads: Path, needed: set[str], before: float) -> list[str]:
    removed: list[str] = []
    for path in sorted(uploads.rglob("*")) if uploads.is_dir() else ():
        rel = path.relative_to(uploads).as_posix()
        if path.is_file() and rel not in needed and path.stat().st_mtime < before:
            path.unlink()
            removed.append(rel)
            log.info("removed the uploaded photo %s: nothing names it any more", rel)
    return removed
