"""The scale-out engine: a Qdrant server or cluster through qdrant-client.

Each version is a pair of collections ``articles__<version>`` and ``customers__<version>``.
``finish`` records the version in the small ``lookbook_meta`` collection (that record is what
makes a version complete); ``publish`` switches the aliases ``articles`` and ``customers`` in
one atomic ``update_collection_aliases`` call, and ``current_version`` reads the aliases back.
Readers address the versioned collections, so a reader keeps answering from its version
after a newer one is published.

qdrant-client's local mode (``QdrantClient(":memory:")``) runs this adapter in tests only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from qdrant_client import QdrantClient
from qdrant_client import models as qm

from core.catalog import point_id
from core.errors import BuildError, IndexNotReady, NotFound
from core.settings import QdrantSettings
from core.store.base import (
    Collection,
    CollectionSpec,
    Point,
    Store,
    StoreWriter,
    check_counts,
)
from core.store.filters import check_version_name
from core.store.server_reader import P, ServerReader, T, guarded

log = logging.getLogger(__name__)

META = "lookbook_meta"
ALIASES: tuple[Collection, ...] = ("articles", "customers")
_INDEX_TYPES = (
    ("keyword_fields", qm.PayloadSchemaType.KEYWORD),
    ("float_fields", qm.PayloadSchemaType.FLOAT),
    ("integer_fields", qm.PayloadSchemaType.INTEGER),
    ("datetime_fields", qm.PayloadSchemaType.DATETIME),
)


def collection_name(collection: str, version: str) -> str:
    return f"{collection}__{version}"


def _collection_taken(name: str, version: str) -> str:
    return (
        f"collection {name} already exists (an earlier, perhaps unfinished, build of version "
        f"{version!r}); pick another version name or delete the collection"
    )


class ServerWriter(StoreWriter):
    """Creates and fills the collections of one version; every write waits for the server."""

    def __init__(self, client: QdrantClient, settings: QdrantSettings, version: str) -> None:
        self.version = version
        self._client = client
        self._settings = settings
        self._created: list[Collection] = []

    def create(self, collection: Collection, spec: CollectionSpec) -> None:
        name = collection_name(collection, self.version)
        if self._do(self._client.collection_exists, name):
            raise BuildError(_collection_taken(name, self.version))
        vectors = {
            v: qm.VectorParams(
                size=size,
                distance=qm.Distance.DOT if v in spec.dot_vectors else qm.Distance.COSINE,
            )
            for v, size in spec.vectors.items()
        }
        s = self._settings
        guarded(  # not retried: a lost reply may have created it
            0,
            self._client.create_collection,
            name,
            vectors_config=vectors,
            hnsw_config=None if spec.searchable else qm.HnswConfigDiff(m=0),
            shard_number=s.shard_number,
            replication_factor=s.replication_factor,
            write_consistency_factor=s.write_consistency_factor,
        )
        for attr, schema in _INDEX_TYPES:
            for field in getattr(spec, attr):
                self._do(self._client.create_payload_index, name, field, schema, wait=True)
        self._created.append(collection)

    def upsert(self, collection: Collection, points: Sequence[Point]) -> None:
        if collection not in self._created:
            raise BuildError(f"collection {collection!r} was not created in version {self.version}")
        structs = [
            qm.PointStruct(id=p.id, vector=dict(p.vectors), payload=p.payload) for p in points
        ]
        name = collection_name(collection, self.version)
        if structs:
            self._do(self._client.upsert, name, points=structs, wait=True)

    def finish(self, expected: Mapping[str, int] | None = None) -> dict[str, int]:
        counts: dict[str, int] = {}
        for c in self._created:
            name = collection_name(c, self.version)
            counts[c] = self._do(self._client.count, name, exact=True).count
        check_counts(counts, expected)
        if not self._do(self._client.collection_exists, META):
            # No vectors: the collection only holds one small record per finished version.
            guarded(0, self._client.create_collection, META, vectors_config={})
        marker = {"version": self.version, "counts": counts, "finished_at": time.time()}
        point = qm.PointStruct(id=point_id(self.version), vector={}, payload=marker)
        self._do(self._client.upsert, META, points=[point], wait=True)
        return counts

    def _do(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return guarded(self._settings.retries, call, *args, **kwargs)


class ServerStore(Store):
    """Versions as collections on one Qdrant deployment; aliases name the published one."""

    shared = True

    def __init__(
        self, client: QdrantClient, settings: QdrantSettings, *, owns_client: bool = False
    ) -> None:
        self._client = client
        self._settings = settings
        self._owns_client = owns_client

    def _markers(self) -> list[dict[str, Any]]:
        if not self._do(self._client.collection_exists, META):
            return []
        records, _ = self._do(self._client.scroll, META, limit=100_000, with_payload=True)
        return [dict(r.payload or {}) for r in records]

    def _check_complete(self, version: str) -> None:
        check_version_name(version)
        if not any(m.get("version") == version for m in self._markers()):
            raise NotFound("index version", version)

    def _check_not_complete(self, version: str) -> None:
        check_version_name(version)
        if any(m.get("version") == version for m in self._markers()):
            raise BuildError(f"index version {version!r} already exists; pick another name")

    def new_writer(self, version: str) -> ServerWriter:
        self._check_not_complete(version)
        return ServerWriter(self._client, self._settings, version)

    def check_new_version(self, version: str) -> None:
        self._check_not_complete(version)
        for collection in ALIASES:  # collections an unfinished build left
            name = collection_name(collection, version)
            if self._do(self._client.collection_exists, name):
                raise BuildError(_collection_taken(name, version))

    def publish(self, version: str) -> None:
        self._check_complete(version)
        existing = {a.alias_name for a in self._do(self._client.get_aliases).aliases}
        ops: list[qm.CreateAliasOperation | qm.DeleteAliasOperation] = [
            qm.DeleteAliasOperation(delete_alias=qm.DeleteAlias(alias_name=alias))
            for alias in ALIASES
            if alias in existing
        ]
        for alias in ALIASES:
            name = collection_name(alias, version)
            if self._do(self._client.collection_exists, name):
                create = qm.CreateAlias(collection_name=name, alias_name=alias)
                ops.append(qm.CreateAliasOperation(create_alias=create))
        # One call: the server applies the whole list atomically, so readers never see a mix.
        guarded(0, self._client.update_collection_aliases, change_aliases_operations=ops)
        log.info("published index version %s", version)

    def current_version(self) -> str | None:
        found = self._do(self._client.get_aliases).aliases
        aliases: dict[str, str] = {a.alias_name: a.collection_name for a in found}
        for alias in ALIASES:
            target = aliases.get(alias, "")
            if target.startswith(f"{alias}__"):
                return target.removeprefix(f"{alias}__")
        return None

    def open_reader(
        self, version: str | None = None, collections: Sequence[Collection] | None = None
    ) -> ServerReader:
        version = version or self.current_version()
        if version is None:
            raise IndexNotReady("no published index version on the Qdrant server; run a build")
        self._check_complete(version)
        names = {c: collection_name(c, version) for c in ALIASES}
        return ServerReader(self._client, version, names, retries=self._settings.retries)

    def versions(self) -> list[str]:
        markers = sorted(self._markers(), key=lambda m: (m["finished_at"], m["version"]))
        return [m["version"] for m in markers]

    def _do(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return guarded(self._settings.retries, call, *args, **kwargs)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()
