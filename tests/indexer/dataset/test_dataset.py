"""End to end: `validate` and `load` on handwritten worlds, and the CLI's exit status.

`fixtures/good` is a clean world of 5 articles, 3 customers and 6 transactions; `fixtures/bad`
holds one row for each reject reason, each commented with its line number where it is written
below (`BAD_REJECTS`).
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.errors import DataFormatError
from indexer.dataset.read import load, validate

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[3]
FILES = ("articles.csv", "customers.csv", "transactions_train.csv")
C0 = "122c597083bd438b7f6d72af75d025948899647711b806bdd2cd82fa69713db3"
CX = "2c1179aeedaea902c479a7af501d66a141156c5e412fc2a373adf399c3f4230d"
CY = "3d30f595070e858a9573e432377bea27a7fb1a19aa298943e414d3c839d34783"
C3_UP = "7C1C97DF17C066924822B0AF09A65251554962C61E23329AED04CD19020DC3B8"
TX = "transactions_train.csv"

BAD_REJECTS = [
    ("articles.csv", "4", "wrong column count: 3 (expected 25)"),
    ("articles.csv", "5", "bad id format: article_id='108775099'"),
    ("articles.csv", "6", "bad id format: product_code='01201X9'"),
    ("articles.csv", "7", "unparsable number: product_type_no='abc'"),
    ("articles.csv", "8", "repeated article_id: '0108775015' (first on line 2)"),
    ("articles.csv", "9", "missing value: prod_name"),
    ("articles.csv", "12", "unparsable number: section_no='1.5'"),  # after a 2-line row
    ("articles.csv", "13", "wrong column count: empty line"),
    ("customers.csv", "4", f"bad id format: customer_id='{C3_UP}'"),
    ("customers.csv", "5", "value not allowed: club_member_status='MEMBER'"),
    ("customers.csv", "6", "unparsable number: age='abc'"),
    ("customers.csv", "7", "out of range: age='130' (allowed 14 to 110)"),
    ("customers.csv", "8", f"repeated customer_id: '{C0}' (first on line 2)"),
    ("customers.csv", "10", "wrong column count: 8 (expected 7)"),
    ("customers.csv", "11", "value not allowed: FN='1'"),
    (TX, "4", "unparsable date: t_dat='2018-02-30'"),
    (TX, "5", "unparsable date: t_dat='20180920'"),
    (TX, "6", "unparsable number: price='abc'"),
    (TX, "7", "out of range: price='12.5' (allowed 0.0 to 10.0)"),
    (TX, "8", "value not allowed: sales_channel_id='3'"),
    (TX, "9", "unknown article_id: '0999999999'"),
    (TX, "10", "unknown article_id: '0120129001'"),  # its article row was rejected
    (TX, "11", f"unknown customer_id: '{CY}'"),
    (TX, "12", f"unknown customer_id: '{CX}'"),  # its customer row was rejected
    (TX, "13", "wrong column count: 4 (expected 5)"),
    (
        TX,
        "14",
        "unparsable date: t_dat='2018-13-01'; out of range: price='-1' (allowed 0.0 to 10.0)",
    ),
    (TX, "15", f"bad id format: customer_id='\"{C0}'"),  # a stray quote spoils one row only
    (TX, "17", "bad id format: article_id='abc'"),
    (TX, "18", "missing value: customer_id"),
]
BAD_COUNTS = {
    "articles.csv": {"rows": 13, "valid": 5, "rejected": 8},
    "customers.csv": {"rows": 11, "valid": 4, "rejected": 7},
    TX: {"rows": 18, "valid": 4, "rejected": 14},
}


def world(tmp_path: Path, name: str) -> Path:
    return Path(shutil.copytree(FIXTURES / name, tmp_path / name))


def write_image(data_dir: Path, article_id: str, content: bytes | None = None) -> Path:
    path = data_dir / "images" / article_id[:3] / f"{article_id}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    if content is None:  # noise, so that most of the file is scan data
        noise = np.random.default_rng(0).integers(0, 255, (48, 32, 3), dtype=np.uint8)
        Image.fromarray(noise).save(path, "JPEG")
    else:
        path.write_bytes(content)
    return path


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_good_world_loads_typed_frames_in_file_order(tmp_path: Path) -> None:
    data = world(tmp_path, "good")
    write_image(data, "0108775015")
    write_image(data, "0110065001")
    ds = load(data)
    a = ds.articles
    assert a["article_id"].tolist() == [
        "0108775015", "0108775044", "0110065001", "0111565001", "0176209023"
    ]  # fmt: skip
    assert a["product_code"].iloc[0] == "0108775"
    assert a["product_type_no"].tolist() == [253, 253, 306, 304, -1]
    assert a["product_type_no"].dtype == np.int64
    assert a["detail_desc"].iloc[4] == ""
    assert a["section_name"].iloc[3] == "Womens Nightwear, Socks & Tigh"  # quoted comma
    assert a["image_path"].tolist() == [
        "images/010/0108775015.jpg", None, "images/011/0110065001.jpg", None, None
    ]  # fmt: skip
    c = ds.customers
    assert c["customer_id"].iloc[0] == C0
    np.testing.assert_array_equal(c["FN"], [np.nan, 1.0, np.nan])
    np.testing.assert_array_equal(c["age"], [49.0, 25.0, np.nan])
    assert c["club_member_status"].tolist() == ["ACTIVE", "ACTIVE", ""]
    t = ds.transactions
    day0 = (date(2018, 9, 20) - date(1970, 1, 1)).days
    # Sorted by day, file order kept within a day: file lines 2, 3, 7, 4, 5, 6.
    np.testing.assert_array_equal(t.day, np.array([0, 0, 0, 1, 1, 2]) + day0)
    np.testing.assert_array_equal(t.customer_idx, [0, 0, 2, 1, 2, 1])
    np.testing.assert_array_equal(t.article_idx, [0, 0, 4, 2, 3, 1])
    np.testing.assert_array_equal(t.channel, [2, 2, 1, 1, 2, 2])
    np.testing.assert_allclose(t.price[:3], [0.0508474576, 0.0508474576, 0.0338813559])
    dtypes = [x.dtype for x in (t.day, t.customer_idx, t.article_idx, t.price, t.channel)]
    assert dtypes == [np.int32, np.int32, np.int32, np.float32, np.int8]
    assert ds.report.images.found == 2 and ds.report.images.missing == 3
    assert read_rejects(data / "rejects.csv") == []


def test_until_keeps_earlier_transactions_but_counts_all(tmp_path: Path) -> None:
    ds = load(world(tmp_path, "good"), until=date(2018, 9, 21))
    assert len(ds.transactions) == 3
    assert set(ds.transactions.article_idx.tolist()) == {0, 4}
    assert ds.report.to_json()["files"][TX] == {"rows": 6, "valid": 6, "rejected": 0}


def test_bad_world_rejects_every_reason_with_its_line(tmp_path: Path) -> None:
    data = world(tmp_path, "bad")
    write_image(data, "0108775015")
    write_image(data, "0108775044", b"not a picture")
    truncated = write_image(data, "0120129004")
    truncated.write_bytes(truncated.read_bytes()[:-200])  # headers intact, the end cut off
    report = validate(data, rejects_path=tmp_path / "out" / "rejects.csv")
    rows = read_rejects(tmp_path / "out" / "rejects.csv")
    csv_rows = [(r["file"], r["line"], r["reason"]) for r in rows if r["file"] in FILES]
    assert csv_rows == BAD_REJECTS
    images = {r["file"]: (r["line"], r["reason"]) for r in rows if r["file"] not in FILES}
    assert sorted(images) == ["images/010/0108775044.jpg", "images/012/0120129004.jpg"]
    assert images["images/010/0108775044.jpg"][0] == ""  # an image has no line
    assert images["images/010/0108775044.jpg"][1].startswith("unreadable image: ")
    assert images["images/012/0120129004.jpg"][1] == (
        "unreadable image: truncated JPEG (no end-of-image marker)"
    )
    assert report.to_json() == {
        "files": BAD_COUNTS,
        "images": {"found": 1, "missing": 2, "unreadable": 2},
        "rejects_path": str(tmp_path / "out" / "rejects.csv"),
    }
    for r in (r for r in rows if r["file"] in FILES):  # raw is the line exactly as in the file
        lines = (data / r["file"]).read_bytes().decode("latin-1").split("\n")
        assert r["raw"] == lines[int(r["line"]) - 1]


def test_bad_world_keeps_tolerated_values(tmp_path: Path) -> None:
    ds = load(world(tmp_path, "bad"), check_images=False)
    by_id = ds.articles.set_index("article_id")
    assert by_id.loc["0120129006", "prod_name"] == "Café top"  # a Latin-1 byte
    assert by_id.loc["0120129004", "detail_desc"] == "Soft jersey.\nMachine wash."
    assert ds.customers["age"].tolist()[2] == 25.0  # written "25.0"
    assert len(ds.transactions) == 4


def test_arrow_giving_up_falls_back_to_csv_module_with_same_rejects(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A short row with a non-UTF-8 byte stops Arrow; the csv module reads the file instead."""
    data = world(tmp_path, "bad")
    for name in FILES:
        with (data / name).open("ab") as fh:
            fh.write(b"caf\xe9,x\n")
    report = validate(data)
    assert sum("gave up" in m for m in caplog.messages) == 3
    rows = read_rejects(data / "rejects.csv")
    extra = [
        ("articles.csv", "16", "wrong column count: 2 (expected 25)"),
        ("customers.csv", "13", "wrong column count: 2 (expected 7)"),
        (TX, "20", "wrong column count: 2 (expected 5)"),
    ]
    expected = sorted(BAD_REJECTS + extra, key=lambda r: (FILES.index(r[0]), int(r[1])))
    assert [(r["file"], r["line"], r["reason"]) for r in rows] == expected
    added = {(f, line) for f, line, _ in extra}
    assert [r["raw"] for r in rows if (r["file"], r["line"]) in added] == ["café,x"] * 3
    assert report.files[TX].rejected == 15


def _bom(b: bytes) -> bytes:
    return b"\xef\xbb\xbf" + b


def _crlf(b: bytes) -> bytes:
    return b.replace(b"\n", b"\r\n")


def _no_final_newline(b: bytes) -> bytes:
    return b.rstrip(b"\n")


@pytest.mark.parametrize(
    "quirks",
    [[_bom], [_crlf], [_no_final_newline], [_bom, _crlf, _no_final_newline]],
    ids=["bom", "crlf", "no-final-newline", "all"],
)
def test_tolerated_quirks_read_like_the_clean_files(
    tmp_path: Path, quirks: list[Callable[[bytes], bytes]]
) -> None:
    clean = load(world(tmp_path, "good"))
    data = tmp_path / "quirky"
    shutil.copytree(FIXTURES / "good", data)
    for name in FILES:
        content = (data / name).read_bytes()
        for quirk in quirks:
            content = quirk(content)
        (data / name).write_bytes(content)
    quirky = load(data)
    assert quirky.report.to_json()["files"] == clean.report.to_json()["files"]
    assert quirky.articles.equals(clean.articles)
    assert quirky.customers.equals(clean.customers)
    for name in ("day", "customer_idx", "article_idx", "price", "channel"):
        np.testing.assert_array_equal(
            getattr(quirky.transactions, name), getattr(clean.transactions, name)
        )


def test_bad_rows_after_crlf_and_bom_keep_their_line_numbers(tmp_path: Path) -> None:
    data = world(tmp_path, "bad")
    for name in FILES:
        (data / name).write_bytes(_bom(_crlf((data / name).read_bytes())))
    validate(data)
    rows = read_rejects(data / "rejects.csv")
    assert [(r["file"], r["line"], r["reason"]) for r in rows] == BAD_REJECTS
    assert rows[0]["raw"] == "0110065001,0110065,OP T-shirt"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda p: p.unlink(), "file not found"),
        (lambda p: p.write_bytes(b""), "empty file"),
        (lambda p: p.write_bytes(b"\xef\xbb\xbf\r\n"), "empty file"),
        (
            lambda p: p.write_text("t_dat,customer,article_id,price,sales_channel_id\n"),
            "wrong header",
        ),
        (
            lambda p: p.write_text("customer_id,t_dat,article_id,price,sales_channel_id\n"),
            "wrong header",
        ),
    ],
    ids=["missing", "empty", "bom-only", "renamed-column", "reordered-columns"],
)
def test_unreadable_file_raises_before_any_work(
    tmp_path: Path, change: Callable[[Path], object], problem: str
) -> None:
    data = world(tmp_path, "good")
    change(data / TX)
    with pytest.raises(DataFormatError) as err:
        validate(data)
    assert err.value.path == str(data / TX)
    assert err.value.problem.startswith(problem)
    assert not (data / "rejects.csv").exists()  # nothing was read, nothing written


def test_header_only_files_give_an_empty_dataset(tmp_path: Path) -> None:
    data = world(tmp_path, "good")
    for name in FILES:
        (data / name).write_text((data / name).read_text().splitlines()[0] + "\n")
    ds = load(data)
    assert len(ds.articles) == 0 and len(ds.customers) == 0 and len(ds.transactions) == 0
    assert ds.report.to_json()["files"][TX] == {"rows": 0, "valid": 0, "rejected": 0}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "indexer", "validate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_validate_prints_json_and_exits_0(tmp_path: Path) -> None:
    data = world(tmp_path, "bad")
    done = run_cli(str(data), "--json", "--rejects", str(tmp_path / "r.csv"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "files": BAD_COUNTS,
        "images": {"found": 0, "missing": 5, "unreadable": 0},
        "rejects_path": str(tmp_path / "r.csv"),
    }
    assert len(read_rejects(tmp_path / "r.csv")) == len(BAD_REJECTS)


def test_cli_validate_summary_names_the_rejects_file(tmp_path: Path) -> None:
    data = world(tmp_path, "bad")
    done = run_cli(str(data))
    assert done.returncode == 0, done.stderr
    assert "29 rejected rows written to" in done.stdout
    assert str(data / "rejects.csv") in done.stdout


def test_cli_validate_exits_2_on_wrong_header(tmp_path: Path) -> None:
    data = world(tmp_path, "good")
    (data / "customers.csv").write_text("customer_id,FN\n")
    done = run_cli(str(data), "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"error: {data / 'customers.csv'}: wrong header")


def test_cli_validate_exits_2_on_missing_folder(tmp_path: Path) -> None:
    done = run_cli(str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert "file not found" in done.stderr
