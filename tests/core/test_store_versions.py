"""Versions (build, publish, switch, roll back, ignore unfinished builds) on both engines, and
what is particular to each engine: Edge's one-process ownership and threads, server aliases."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient

from core.errors import BuildError, IndexNotReady, InvalidInput, NotFound, StoreUnavailable
from core.settings import QdrantSettings, Settings
from core.store import open_store
from core.store.base import AnyOf, Filter, Match, Point, Range, Store, VectorQuery
from core.store.edge import EdgeStore
from core.store.server import ServerStore
from tests.core.conftest import World, brute_top, build_version, make_world, query_vector

pytestmark = pytest.mark.filterwarnings("ignore:.*(Payload indexes|Local mode):UserWarning")


# --- versions -----------------------------------------------------------------------------------


def test_unpublished_version_is_not_current(store: Store, world: World) -> None:
    assert store.current_version() is None
    assert store.versions() == []
    build_version(store, "v1", world)
    assert store.versions() == ["v1"]
    assert store.current_version() is None
    with pytest.raises(IndexNotReady):
        store.open_reader()
    explicit = store.open_reader("v1")  # a build can be checked before it is published
    assert explicit.count("articles") == 200
    explicit.close()


def test_publish_switches_and_keeps_the_previous_version(store: Store, world: World) -> None:
    build_version(store, "v1", world)
    store.publish("v1")
    build_version(store, "v2", make_world(n=120, seed=9))
    assert store.current_version() == "v1"
    store.publish("v2")
    assert store.current_version() == "v2"
    assert store.versions() == ["v1", "v2"]
    for version, n in (("v1", 200), ("v2", 120), (None, 120)):
        r = store.open_reader(version)
        assert r.count("articles") == n
        r.close()
    store.publish("v1")  # rolling back is publishing the older version again
    assert store.current_version() == "v1"


def test_an_incomplete_version_is_ignored(store: Store, world: World) -> None:
    build_version(store, "v1", world)
    store.publish("v1")
    build_version(store, "v2", world, finish=False)  # a build killed before finish()
    assert store.versions() == ["v1"]
    assert store.current_version() == "v1"
    with pytest.raises(NotFound):
        store.publish("v2")
    with pytest.raises(NotFound):
        store.open_reader("v2")
    assert store.current_version() == "v1"


def test_a_reader_keeps_answering_after_a_newer_publish(store: Store, world: World) -> None:
    build_version(store, "v1", world)
    store.publish("v1")
    old = store.open_reader()
    build_version(store, "v2", make_world(n=120, seed=9))
    store.publish("v2")
    new = store.open_reader()
    assert (old.version, new.version) == ("v1", "v2")
    q = VectorQuery("text", query_vector("text", 0).tolist(), 5)
    assert [h.id for h in old.search("articles", q)] == [
        i for i, _ in brute_top(world, "text", np.array(q.vector), None, 5)
    ]
    assert old.count("articles") == 200
    assert new.count("articles") == 120
    old.close()
    assert new.count("articles") == 120
    new.close()


def test_version_names_are_checked(store: Store, world: World) -> None:
    for bad in ("", "../x", "a b", "a__b", "-x"):
        with pytest.raises(InvalidInput):
            store.new_writer(bad)
    build_version(store, "2026-11-26T12.00.00", world)
    with pytest.raises(BuildError):
        store.new_writer("2026-11-26T12.00.00")
    with pytest.raises(NotFound):
        store.publish("never-built")


def test_a_taken_version_name_is_refused_before_a_build_writes(store: Store, world: World) -> None:
    store.check_new_version("fresh")  # free, and checking it creates nothing
    assert store.versions() == []
    store.new_writer("fresh")  # still free
    build_version(store, "done", world)
    build_version(store, "killed", world, finish=False)  # what a killed build leaves
    for taken in ("done", "killed"):
        with pytest.raises(BuildError, match="already exists"):
            store.check_new_version(taken)
    with pytest.raises(InvalidInput):
        store.check_new_version("a b")
    assert store.versions() == ["done"]


def test_upsert_into_an_uncreated_collection_fails(store: Store) -> None:
    writer = store.new_writer("v1")
    with pytest.raises(BuildError):
        writer.upsert("articles", [Point(1, {"text": [1.0] * 8}, {})])


# --- engine specifics ---------------------------------------------------------------------------

_OPEN_IN_CHILD = """
import sys
from core.errors import StoreUnavailable
from core.store.edge import EdgeStore
try:
    EdgeStore(sys.argv[1]).open_reader().close()
except StoreUnavailable as exc:
    print(exc)
    sys.exit(3)
"""


def _open_in_child(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _OPEN_IN_CHILD, str(root)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_edge_one_process_owns_a_version_until_its_readers_close(
    tmp_path: Path, world: World
) -> None:
    store = EdgeStore(tmp_path / "store")
    build_version(store, "v1", world)
    store.publish("v1")
    assert (tmp_path / "store" / "CURRENT").read_text() == "v1\n"
    assert not list((tmp_path / "store").glob(".*tmp*"))
    first, second = store.open_reader(), store.open_reader()  # shared within the process
    first.close()
    assert second.count("articles") == 200
    child = _open_in_child(tmp_path / "store")
    assert child.returncode == 3, child.stderr
    assert "one process owns a shard folder" in child.stdout
    second.close()
    assert _open_in_child(tmp_path / "store").returncode == 0  # the lock went with close()


def test_edge_current_naming_a_missing_version_means_none(tmp_path: Path, world: World) -> None:
    store = EdgeStore(tmp_path / "store")
    build_version(store, "v1", world)
    (tmp_path / "store" / "CURRENT").write_text("gone\n")
    assert store.current_version() is None
    with pytest.raises(IndexNotReady):
        store.open_reader()


def test_edge_reader_answers_from_many_threads(tmp_path: Path, world: World) -> None:
    store = EdgeStore(tmp_path / "store")
    build_version(store, "v1", world)
    reader = store.open_reader("v1")
    queries = [VectorQuery("text", query_vector("text", s).tolist(), 12) for s in range(40)]
    flt = Filter(must=(AnyOf((Match("product_type_name", ("Dress",)), Range("price", lte=0.05))),))
    expected = [[h.id for h in reader.search("articles", q, flt)] for q in queries]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda q: [h.id for h in reader.search("articles", q, flt)], queries))
    assert got == expected
    reader.close()


def test_server_publish_moves_both_aliases(world: World) -> None:
    client = QdrantClient(":memory:")
    store = ServerStore(client, QdrantSettings())
    build_version(store, "v1", world)
    build_version(store, "v2", world)
    store.publish("v1")
    store.publish("v2")
    aliases = {a.alias_name: a.collection_name for a in client.get_aliases().aliases}
    assert aliases == {"articles": "articles__v2", "customers": "customers__v2"}
    assert client.collection_exists("articles__v1")  # the previous version is kept
    client.close()


def test_open_store_picks_the_engine(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, index_dir=tmp_path / "index", qdrant_url="")
    edge = open_store(settings)
    assert isinstance(edge, EdgeStore)
    assert edge.root == tmp_path / "index" / "store"
    client = QdrantClient(":memory:")
    assert isinstance(open_store(settings, client=client), ServerStore)
    client.close()


def test_an_unreachable_server_is_store_unavailable() -> None:
    # Port 9 (discard) is closed here: the connection is refused at once.
    client = QdrantClient(url="http://127.0.0.1:9", timeout=1, check_compatibility=False)
    store = ServerStore(client, QdrantSettings(retries=1), owns_client=True)
    with pytest.raises(StoreUnavailable):
        store.versions()
    with pytest.raises(StoreUnavailable):
        store.current_version()
    store.close()
