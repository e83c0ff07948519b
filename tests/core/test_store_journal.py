"""The journal of live changes, folded (issue 21): the same points in fewer operations, its
size bounded by the points changed; and a re-index process that hangs is stopped."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.errors import StoreUnavailable
from core.store.base import Change, Delete, Point, SetPayload, Store, Upsert
from core.store.edge import EdgeStore
from core.store.edge_copies import REPLICAS, one_at_a_time
from core.store.journal import fold
from tests.core.conftest import DIMS, World, build_version


def _changes(world: World, n: int, seed: int) -> list[Change]:
    """A random run of upserts (of built and new points), payload updates and deletes, with
    updates after a delete and upserts after a delete among them."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    ids = [int(i) for i in world.ids[:30]] + [90_001, 90_002, 90_003]
    out: list[Change] = []
    for _ in range(n):
        pid = rng.choice(ids)
        r = rng.random()
        if r < 0.2:
            vectors = {name: nrng.normal(size=d).tolist() for name, d in DIMS.items()}
            payload = {**world.payloads[0], "price": round(rng.random(), 3), "tag": f"u{pid}"}
            out.append(Upsert((Point(pid, vectors, payload),)))
        elif r < 0.3:
            out.append(Delete((pid,)))
        else:
            field = rng.choice(["price", "in_stock", "colour_group_name"])
            value = {"price": round(rng.random(), 3), "in_stock": rng.random() < 0.5}.get(
                field, rng.choice(["Black", "Blue"])
            )
            out.append(SetPayload((pid, rng.choice(ids)), {field: value}))
    return out


def test_a_folded_journal_gives_the_same_points(store: Store, world: World) -> None:
    build_version(store, "v1", world)
    build_version(store, "v2", world)
    # Payload updates only ever name points that exist when they run (the live catalog
    # updates no point the version lacks): drop the others from the run.
    present = {int(i) for i in world.ids}
    changes: list[Change] = []
    for c in _changes(world, 400, seed=5):
        if isinstance(c, SetPayload):
            c = SetPayload(tuple(i for i in c.ids if i in present), c.payload)
            if not c.ids:
                continue
        if isinstance(c, Upsert):
            present |= {p.id for p in c.points}
        elif isinstance(c, Delete):
            present -= set(c.ids)
        changes.append(c)
    folded = fold(changes)
    assert len(folded) < len(changes) / 4
    a, b = store.open_reader("v1"), store.open_reader("v2")
    try:
        a.apply("articles", changes)
        b.apply("articles", folded)
        ids = [int(i) for i in world.ids] + [90_001, 90_002, 90_003]
        got_a = {r.id: r for r in a.retrieve("articles", ids, with_vectors=tuple(DIMS))}
        got_b = {r.id: r for r in b.retrieve("articles", ids, with_vectors=tuple(DIMS))}
        assert got_a.keys() == got_b.keys()
        assert len(got_a) == len(present)
        for pid, rec in got_a.items():
            assert rec.payload == got_b[pid].payload, pid
            for name in DIMS:
                assert np.allclose(rec.vectors.get(name, []), got_b[pid].vectors.get(name, []))
    finally:
        a.close()
        b.close()


def test_a_folded_journal_holds_each_point_once() -> None:
    rng = random.Random(1)
    ids = list(range(1, 51))
    changes: list[Change] = [
        SetPayload((rng.choice(ids),), {"price": rng.choice([0.1, 0.2])}) for _ in range(10_000)
    ]
    folded = fold(changes)
    # 50 points, two prices: one update per price, naming every point once.
    assert len(folded) == 2
    named = [i for c in folded for i in c.ids]  # type: ignore[union-attr]
    assert sorted(named) == ids
    last = {}
    for c in changes:
        assert isinstance(c, SetPayload)
        last[c.ids[0]] = c.payload["price"]
    for c in folded:
        assert isinstance(c, SetPayload)
        assert all(last[i] == c.payload["price"] for i in c.ids)
    # An upsert takes the fields set after it; a delete ends what came before.
    p = Point(7, {"text": [1.0]}, {"price": 0.5, "name": "x"})
    out = fold([Upsert((p,)), SetPayload((7,), {"price": 0.9}), Delete((8,)), Upsert((p,))])
    assert out[0] == Delete((8,))
    assert out[1] == Upsert((Point(7, {"text": [1.0]}, {"price": 0.5, "name": "x"}),))
    assert fold([Upsert((p,)), SetPayload((7,), {"price": 0.9})]) == [
        Upsert((Point(7, {"text": [1.0]}, {"price": 0.9, "name": "x"}),))
    ]


def test_an_edge_readers_journal_folds_once_it_doubles(tmp_path: Path, world: World) -> None:
    store = EdgeStore(tmp_path / "store")
    build_version(store, "v1", world)
    reader = store.open_reader("v1")
    try:
        pid = int(world.ids[0])
        for i in range(2_500):
            reader.apply("articles", [SetPayload((pid,), {"price": i / 10_000})])
        assert len(reader.journal) == 2_500
        assert reader.fold_journal()  # type: ignore[attr-defined]
        assert reader.journal == [SetPayload((pid,), {"price": 0.2499})]
        reader.apply("articles", [SetPayload((pid,), {"price": 0.3})])
        assert not reader.fold_journal()  # type: ignore[attr-defined]
        assert reader.retrieve("articles", [pid])[0].payload["price"] == 0.3
    finally:
        reader.close()


def _reindex_processes() -> list[int]:
    out = []
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if b"core.store.edge_reindex" in cmd:
            out.append(int(proc.name))
    return out


@pytest.mark.slow
def test_a_reindex_that_runs_too_long_is_stopped_and_can_be_tried_again(
    tmp_path: Path, world: World
) -> None:
    store = EdgeStore(tmp_path / "store", private_copies=True)
    build_version(store, "v1", world)
    store.publish("v1")
    reader = store.open_reader()
    replicas = tmp_path / "store" / REPLICAS
    try:
        pid = int(world.ids[3])
        reader.apply("articles", [SetPayload((pid,), {"price": 0.777})])
        reader.apply("articles", [SetPayload((pid,), {"price": 0.778})])
        with pytest.raises(StoreUnavailable, match=r"longer than 0\.05 s"):
            store.reindexed(reader, timeout_s=0.05)
        assert _reindex_processes() == []  # killed, not left running
        copies = [d for d in replicas.iterdir() if d.is_dir()]
        assert len(copies) == 1  # the half-made copy is removed
        fresh = store.reindexed(reader, timeout_s=120)
        assert fresh is not None
        try:
            assert fresh.journal_source == 2  # type: ignore[attr-defined]
            assert fresh.journal == [SetPayload((pid,), {"price": 0.778})]  # type: ignore[attr-defined]
            assert fresh.retrieve("articles", [pid])[0].payload["price"] == 0.778
        finally:
            fresh.close()
    finally:
        reader.close()


def test_one_reindex_of_the_machine_at_a_time(tmp_path: Path) -> None:
    """While one process re-indexes, another process's re-index waits for it."""
    probe = (
        "import fcntl, sys\n"
        "fh = open(sys.argv[1], 'a')\n"
        "try:\n"
        "    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "except BlockingIOError:\n"
        "    sys.exit(3)\n"
    )
    lock = tmp_path / ".reindex.lock"
    with one_at_a_time(tmp_path):
        held = subprocess.run([sys.executable, "-c", probe, str(lock)], check=False)
    free = subprocess.run([sys.executable, "-c", probe, str(lock)], check=False)
    assert (held.returncode, free.returncode) == (3, 0)
