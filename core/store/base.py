"""The vector store interface: one contract, two engines (Qdrant Edge embedded, Qdrant server).

Collections are ``articles`` (named vectors ``text``, ``image``, ``cf``) and ``customers``
(named vector ``cf``). Point ids are ``core.catalog.point_id(string_id)``. A *version* is one
complete build: the writer fills it, ``publish`` makes it current atomically, readers open the
current version and notice when a newer one is published.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from core.errors import BuildError

ARTICLES = "articles"
CUSTOMERS = "customers"
Collection = Literal["articles", "customers"]


@dataclass(frozen=True)
class Match:
    """Payload ``key`` equals any of ``values`` (keyword match)."""

    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Range:
    """``gte <= payload[key] <= lte`` (either bound may be absent)."""

    key: str
    gte: float | None = None
    lte: float | None = None


@dataclass(frozen=True)
class AnyOf:
    """At least one of the conditions holds (used for category = type OR group)."""

    conditions: tuple[Match | Range, ...]


Condition = Match | Range | AnyOf


@dataclass(frozen=True)
class Filter:
    """All ``must`` conditions hold, no ``must_not`` one does, no group of ``none_of`` holds
    as a whole (each group: all its conditions, e.g. a merchandising rule's "hide the red
    dresses"), the point id is not in ``exclude_ids`` and, when ``only_ids`` is given, is one
    of them (an empty tuple matches nothing)."""

    must: tuple[Condition, ...] = ()
    exclude_ids: tuple[int, ...] = ()
    must_not: tuple[Match, ...] = ()
    only_ids: tuple[int, ...] | None = None
    none_of: tuple[tuple[Condition, ...], ...] = ()

    def is_empty(self) -> bool:
        return (
            not self.must
            and not self.exclude_ids
            and not self.must_not
            and self.only_ids is None
            and not self.none_of
        )


@dataclass
class Point:
    """What the writer stores. ``vectors`` may omit a name (e.g. no image): that is no vector."""

    id: int
    vectors: dict[str, list[float]]
    payload: dict[str, Any]


@dataclass
class Record:
    """What readers get back. ``vectors`` holds only the names asked for and present."""

    id: int
    payload: dict[str, Any]
    vectors: dict[str, list[float]] = field(default_factory=dict)
    score: float | None = None


@dataclass(frozen=True)
class VectorQuery:
    """One nearest-neighbour search on one named vector (one prefetch)."""

    using: str
    vector: Sequence[float]
    limit: int


@dataclass(frozen=True)
class CollectionSpec:
    """Named vectors with their sizes, and payload fields to index.

    Vectors use cosine distance except those named in ``dot_vectors`` (dot product, stored
    unnormalised: ALS factors, whose norms carry popularity).
    """

    vectors: dict[str, int]
    dot_vectors: tuple[str, ...] = ()
    #: False for collections only ever read by id (customers): no HNSW graph, no quantised copy.
    searchable: bool = True
    keyword_fields: tuple[str, ...] = ()
    float_fields: tuple[str, ...] = ()
    integer_fields: tuple[str, ...] = ()
    datetime_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Upsert:
    """Create or replace points (all their vectors and payload)."""

    points: tuple[Point, ...]


@dataclass(frozen=True)
class SetPayload:
    """Set these payload fields of the points (other fields are kept)."""

    ids: tuple[int, ...]
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Delete:
    """Remove the points."""

    ids: tuple[int, ...]


#: A live change to a served version (the live catalog applies them on top of a build).
Change = Upsert | SetPayload | Delete


class StoreReader(ABC):
    """Read access to one published version (and, through `apply`, live changes to it)."""

    version: str

    @abstractmethod
    def retrieve(
        self,
        collection: Collection,
        ids: Sequence[int],
        with_vectors: Sequence[str] = (),
        payload_fields: Sequence[str] | None = None,
    ) -> list[Record]:
        """The records for ``ids`` that exist, in the order of ``ids`` (only ``payload_fields``
        of the payload when given)."""

    def score_ids(
        self, collection: Collection, query: VectorQuery, ids: Sequence[int]
    ) -> dict[int, float]:
        """Exact similarity of ``query`` to each of ``ids`` that has the named vector (cosine,
        or dot product for a dot vector), computed by the engine: no vector leaves it."""
        return self.score_ids_many(collection, [query], ids)[0]

    @abstractmethod
    def score_ids_many(
        self, collection: Collection, queries: Sequence[VectorQuery], ids: Sequence[int]
    ) -> list[dict[int, float]]:
        """`score_ids` for several queries over the same ids, sent to the engine as one batch."""

    @abstractmethod
    def search(
        self, collection: Collection, query: VectorQuery, flt: Filter | None = None
    ) -> list[Record]:
        """Nearest neighbours by cosine similarity under a filter, best first, with scores."""

    @abstractmethod
    def candidates(
        self, collection: Collection, queries: Sequence[VectorQuery], flt: Filter | None = None
    ) -> list[int]:
        """Union of the ids of every query's neighbours (one prefetch per signal, each under the
        filter), deduplicated, ordered by reciprocal-rank fusion then id."""

    @abstractmethod
    def count(self, collection: Collection, flt: Filter | None = None) -> int:
        """Exact number of points matching the filter."""

    @abstractmethod
    def facet(
        self, collection: Collection, key: str, flt: Filter | None = None, limit: int = 100
    ) -> dict[str, int]:
        """Exact counts of each value of a keyword field among matching points."""

    @abstractmethod
    def scroll(
        self,
        collection: Collection,
        flt: Filter | None = None,
        order_by: tuple[str, Literal["asc", "desc"]] | None = None,
        limit: int = 12,
        offset: int = 0,
        with_vectors: Sequence[str] = (),
    ) -> list[Record]:
        """Matching points, ordered by a numeric payload field (ties by id) or by id."""

    @abstractmethod
    def apply(self, collection: Collection, changes: Sequence[Change]) -> None:
        """Apply ``changes`` in order to what this reader serves: the Edge shard this reader
        opened (a process's private copy, or the version's folder when it has none), or the
        server's collection (which every replica reads). The live catalog's log is the
        durable record: whoever opens a version applies it again from the version's
        ``catalog_seq``, so an Edge shard is not flushed for each change (it is on close)."""

    @abstractmethod
    def close(self) -> None:
        """Release the files or connections."""


class StoreWriter(ABC):
    """Fills one new, unpublished version."""

    version: str

    @abstractmethod
    def create(self, collection: Collection, spec: CollectionSpec) -> None:
        """Create an empty collection in this version."""

    @abstractmethod
    def upsert(self, collection: Collection, points: Sequence[Point]) -> None:
        """Write points; called in batches."""

    @abstractmethod
    def finish(self, expected: Mapping[str, int] | None = None) -> dict[str, int]:
        """Flush and optimise; returns the point count per collection. With ``expected``, a
        count that differs raises `BuildError` before the version is marked finished, so it is
        never listed, published or opened."""


def check_counts(counts: Mapping[str, int], expected: Mapping[str, int] | None) -> None:
    """`BuildError` when a collection's point count is not the expected one."""
    for name, n in (expected or {}).items():
        if counts.get(name) != n:
            raise BuildError(
                f"verification failed: {name} has {counts.get(name)} points, expected {n}; "
                "the version was not published"
            )


class Store(ABC):
    """The versions of one index and the way to publish a new one."""

    #: Whether every API process (every host) serves the same engine: a catalog change is
    #: then written to it once, by one applier at a time (`ChangeLog.exclusive_apply`).
    shared: bool = False

    @abstractmethod
    def new_writer(self, version: str) -> StoreWriter:
        """Start writing a new version (left unpublished until `publish`)."""

    @abstractmethod
    def check_new_version(self, version: str) -> None:
        """Raise BuildError when ``version`` is taken, by a complete build or an unfinished
        one; a build calls it first, so a taken name fails at once, not after the slow stages."""

    @abstractmethod
    def publish(self, version: str) -> None:
        """Make a finished version current, atomically; keep the previous one."""

    @abstractmethod
    def current_version(self) -> str | None:
        """The published version readers should use, or None."""

    @abstractmethod
    def open_reader(
        self, version: str | None = None, collections: Sequence[Collection] | None = None
    ) -> StoreReader:
        """A reader on a version (default: current). Raises IndexNotReady if none.
        ``collections``: the ones the reader will use (default: all); a store may then open
        (and copy) only those."""

    @abstractmethod
    def versions(self) -> list[str]:
        """Every complete version present, oldest first."""

    def reindexed(self, reader: StoreReader, timeout_s: float | None = None) -> StoreReader | None:
        """A new reader of ``reader``'s version, with the live changes ``reader`` applied so
        far written to it and indexed (within ``timeout_s``, else StoreUnavailable), made
        without blocking ``reader``'s users; None where
        the engine indexes changed points itself (a Qdrant server optimizes in the background)
        or the store cannot."""
        return None

    def close(self) -> None:  # noqa: B027  (optional hook: most stores hold nothing)
        """Release what the store itself holds (a server connection it opened)."""
