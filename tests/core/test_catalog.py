"""Point ids and packed payload lists."""

from __future__ import annotations

from core.catalog import pack, point_id, unpack


def test_numeric_ids_keep_their_value_and_others_hash_stably() -> None:
    assert point_id("0108775015") == 108775015
    cid = "ab" * 32
    assert point_id(cid) == point_id(cid) != point_id("ba" * 32)
    assert 0 <= point_id(cid) < 2**63


def test_pack_round_trips_ids_with_leading_zeros_and_numbers() -> None:
    ids = ["0108775015", "0108775044"]
    assert pack(ids) == "0108775015 0108775044"
    assert unpack(pack(ids)) == ids
    assert [int(d) for d in unpack(pack([18500, 18431]))] == [18500, 18431]
    assert unpack(pack([])) == [] == unpack(None)
    assert unpack(["0108775015"]) == ["0108775015"]  # a list, as older indexes store it
