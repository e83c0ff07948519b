"""The pieces of the dataset reader on their own: checks, line numbers, id lookups, blocks."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from core.catalog import ARTICLES, CUSTOMERS, TRANSACTIONS, Column, FileSchema, Kind
from indexer.dataset import csvfile as dataset_csv
from indexer.dataset import ids as dataset_ids
from indexer.dataset import images as dataset_images
from indexer.dataset import lines as dataset_lines
from indexer.dataset import transactions as dataset_transactions
from indexer.dataset.checks import DATE, FORMAT, MISSING, NOT_ALLOWED, NUMBER, OK, RANGE, check
from indexer.dataset.csvfile import SkippedRow
from indexer.dataset.ids import ArticleLookup, CustomerLookup
from indexer.dataset.images import ImageCheck
from indexer.dataset.lines import LineMap, read_records
from indexer.dataset.read import validate
from indexer.dataset.tables import read_table

FIXTURES = Path(__file__).parent / "fixtures"
SPEC = {c.name: c for s in (ARTICLES, CUSTOMERS, TRANSACTIONS) for c in s.columns}


def codes(name: str, values: list[bytes], dictionary: bool = False) -> list[int]:
    array = pa.array(values, pa.binary())
    if dictionary:
        array = array.dictionary_encode()
    return [int(c) for c in check(array, SPEC[name]).codes]


def test_dates_are_strict_about_the_calendar() -> None:
    values = [b"2020-02-29", b"2019-02-29", b"2020-1-01", b" 2020-01-01", b"", b"2020-01-01"]
    assert codes("t_dat", values) == [OK, DATE, DATE, DATE, MISSING, OK]
    checked = check(pa.array(values, pa.binary()).dictionary_encode(), SPEC["t_dat"])
    assert checked.values is not None and checked.values[-1] == 18262  # days since 1970


def test_prices_parse_decimal_forms_and_respect_the_range() -> None:
    values = [b"0.05", b".5", b"5e-2", b"nan", b"inf", b"1e999", b"10.5", b"abc", b"-0.1"]
    expected = [OK, OK, OK, NUMBER, NUMBER, RANGE, RANGE, NUMBER, RANGE]  # 1e999 is inf
    assert codes("price", values) == expected
    assert codes("price", values, dictionary=True) == expected


def test_ints_accept_a_resaved_float_form_and_negatives() -> None:
    assert codes("product_type_no", [b"253", b"-1", b"253.0", b"1e3", b"2.5", b""]) == [
        OK, OK, OK, NUMBER, NUMBER, MISSING
    ]  # fmt: skip
    assert codes("age", [b"25.0", b"13", b"", b"111"]) == [OK, RANGE, OK, RANGE]


def test_ids_and_enums() -> None:
    assert codes("article_id", [b"0108775015", b"108775015", b"01087750150", b"010877501a"]) == [
        OK, FORMAT, FORMAT, FORMAT
    ]  # fmt: skip
    assert codes("club_member_status", [b"ACTIVE", b"LEFT CLUB", b"", b"active"]) == [
        OK, OK, OK, NOT_ALLOWED
    ]  # fmt: skip
    assert codes("sales_channel_id", [b"1", b"2", b"", b"3"]) == [OK, OK, MISSING, NOT_ALLOWED]


def test_line_map_counts_skipped_records_and_line_breaks() -> None:
    # Records (header = 1): 2 kept, 3 skipped, 4 kept (2 lines), 5 skipped (3 lines), 6 kept.
    skipped = [SkippedRow(3, 0, 2), SkippedRow(5, 2, 9)]
    lm = LineMap.build(skipped, np.array([1]), np.array([1]))
    assert lm.kept_records(np.array([0, 1, 2])).tolist() == [2, 4, 6]
    assert lm.lines(np.array([2, 3, 4, 5, 6])).tolist() == [2, 3, 4, 6, 9]


@pytest.mark.parametrize("chunk", [1, 3, 7, 1 << 20])
def test_read_records_across_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"head\r\nl2\r\nl3 a\nl3 b\r\n\r\nl6\nlast")
    monkeypatch.setattr(dataset_lines, "_CHUNK", chunk)
    got = read_records(path, np.array([2, 3, 5, 6, 7]), np.array([1, 2, 1, 1, 1]))
    assert got == [b"l2", b"l3 a\nl3 b", b"", b"l6", b"last"]


def hex_id(i: int) -> str:
    return f"{i:064x}"


def test_customer_lookup_finds_exact_ids() -> None:
    lookup = CustomerLookup(pa.array([hex_id(i) for i in range(1000)]))
    queries = [hex_id(999), hex_id(7), hex_id(5000), "z", "", hex_id(999).upper()]
    assert lookup.find(pa.array([q.encode() for q in queries], pa.binary())).tolist() == [
        999, 7, -1, -1, -1, -1
    ]  # fmt: skip


def test_customer_lookup_resolves_colliding_keys_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dataset_ids, "_MIX", np.zeros(8, np.uint64))  # every key collides
    lookup = CustomerLookup(pa.array([hex_id(i) for i in range(50)]))
    queries = [hex_id(49), hex_id(3), hex_id(50)]
    assert lookup.find(pa.array([q.encode() for q in queries], pa.binary())).tolist() == [49, 3, -1]


def test_article_lookup_on_dictionary_values() -> None:
    lookup = ArticleLookup(pa.array(["0108775015", "0108775044"]))
    column = pa.array([b"0108775044", b"0108775015", b"108775015", b"0000000001", b"x"])
    assert lookup.find(column.dictionary_encode()).tolist() == [1, 0, -1, -1, -1]


def _big_transactions(data: Path) -> list[int]:
    """Append 400 rows, every 37th broken; return the broken rows' line numbers."""
    good = (data / "transactions_train.csv").read_text().splitlines()[1]
    bad_lines, rows = [], []
    for i in range(400):
        line = 8 + i  # the fixture holds lines 1-7
        rows.append(good.replace("0.0508474576271186", "x") if i % 37 == 0 else good)
        if i % 37 == 0:
            bad_lines.append(line)
    with (data / "transactions_train.csv").open("a") as fh:
        fh.write("\n".join(rows) + "\n")
    return bad_lines


@pytest.mark.parametrize("fallback", [False, True], ids=["arrow", "csv-module"])
def test_line_numbers_stay_right_across_many_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fallback: bool
) -> None:
    data = Path(shutil.copytree(FIXTURES / "good", tmp_path / "w"))
    expected = _big_transactions(data)
    monkeypatch.setattr(dataset_transactions, "BLOCK_SIZE", 4096)  # about 30 rows a block
    monkeypatch.setattr(dataset_csv, "_FALLBACK_ROWS", 25)
    if fallback:  # a short non-UTF-8 row makes Arrow give up on the file
        with (data / "transactions_train.csv").open("ab") as fh:
            fh.write(b"\xff\n")
        expected.append(408)
    report = validate(data)
    with (data / "rejects.csv").open() as fh:
        lines = [int(r["line"]) for r in csv.DictReader(fh)]
    assert lines == expected
    assert report.files["transactions_train.csv"].valid == 6 + 400 - 11


TINY = FileSchema(
    "tiny.csv",
    (Column("k", Kind.ID7), Column("n", Kind.INT), Column("s", Kind.TEXT, nullable=True)),
    unique_key="k",
)
ROW_KINDS = ["good", "multiline", "short", "bad_int", "repeat", "empty"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kinds=st.lists(st.sampled_from(ROW_KINDS), max_size=40), crlf=st.booleans())
def test_reject_lines_match_a_hand_count(tmp_path: Path, kinds: list[str], crlf: bool) -> None:
    """Random mixes of good, multi-line, short, malformed, repeated and empty rows."""
    lines, expected, line_no, zero_taken = ["k,n,s"], [], 2, False
    for i, kind in enumerate(kinds):
        key = "0000000" if kind == "repeat" else f"{i:07d}"
        row = {
            "good": f'{key},{i},"a, b"',
            "multiline": f'{key},{i},"one\ntwo\nthree"',
            "short": f"{key},{i}",
            "bad_int": f"{key},x{i},s",
            "repeat": f"{key},{i},",
            "empty": "",
        }[kind]
        rejected = kind in ("short", "bad_int", "empty") or (kind == "repeat" and zero_taken)
        zero_taken |= key == "0000000" and not rejected
        if rejected:
            expected.append(line_no)
        lines.append(row)
        line_no += row.count("\n") + 1
    path = tmp_path / f"tiny-{len(kinds)}-{crlf}.csv"
    text = "\n".join(lines) + "\n"
    path.write_bytes((text.replace("\n", "\r\n") if crlf else text).encode())
    result = read_table(path, TINY)
    assert [r.line for r in result.rejects] == expected
    assert result.rows == len(kinds)


@pytest.mark.parametrize("parallel", [False, True], ids=["in-process", "worker-processes"])
def test_image_check_counts_and_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parallel: bool
) -> None:
    if parallel:
        monkeypatch.setattr(dataset_images, "_PARALLEL_FROM", 1)
        monkeypatch.setattr(dataset_images, "_CHUNK", 2)
    ids = [f"01000000{i:02d}" for i in range(6)]
    noise = np.random.default_rng(1).integers(0, 255, (40, 30, 3), dtype=np.uint8)
    for i, article_id in enumerate(ids[:5]):
        path = tmp_path / "images" / "010" / f"{article_id}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(noise).save(path, "JPEG")
        if i == 3:
            path.write_bytes(b"GIF89a but not really")
        if i == 4:
            path.write_bytes(path.read_bytes()[:-100])
    with ImageCheck(tmp_path, ids) as check:
        result = check.result()
    assert (result.found, result.missing, result.unreadable) == (3, 1, 2)
    assert result.paths == [f"images/010/{a}.jpg" for a in ids[:3]] + [None] * 3
    assert [r.file for r in result.rejects] == [f"images/010/{a}.jpg" for a in ids[3:5]]
    assert result.rejects[1].reason == "unreadable image: truncated JPEG (no end-of-image marker)"
