"""OWASP API4:2023 Unrestricted Resource Consumption.

Rate limits shared by two API processes of one machine (per key and per IP), a service key's
own limit, the sign-in limit, the body cap on chunked bodies, the request timeout, and hostile
photo uploads answered fast and without growing a real API process's memory.

Two real uvicorn processes (module fixture `pair`) serve the tests that need real sockets; each
opens its own copy of the tiny index (an Edge shard folder belongs to one process) and both
share one database, hence one file of rate-limit counters. Each test uses its own endpoint
group or client, so the shared counters do not couple the tests.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import select
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image, features

from tests.conftest import TROUSERS_FAN, copy_index

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PROBLEM = "https://lookbook.dev/problems/"
SECRET = "api4-tests-secret-key-0123456789abcdefghij"
MIB = 1024 * 1024
#: The pair's limits: search and sign-in low enough to reach in a few requests.
SEARCH_LIMIT = 6
SESSION_LIMIT = 3
START_TIMEOUT_S = 180.0
UVICORN = (sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1")


# --------------------------------------------------------------------------- helpers


def _problem(r: Any, status: int, kind: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body: dict[str, Any] = r.json()
    assert body["type"] == PROBLEM + kind, body
    assert body["status"] == status, body
    return body


def _rate_limited(r: Any, period_s: int = 60) -> int:
    """Assert a 429 rate-limited problem with an integer Retry-After; return it."""
    _problem(r, 429, "rate-limited")
    retry = r.headers.get("retry-after", "")
    assert retry.isdigit(), f"Retry-After {retry!r} is not integer seconds"
    # The sliding window may ask to wait into the next window: at most two periods.
    assert 1 <= int(retry) <= 2 * period_s, retry
    return int(retry)


def _fit_in_window(needed_s: float, period_s: float = 60.0) -> None:
    """Sleep to the next fixed window when fewer than ``needed_s`` seconds are left in this one,
    so that a burst of requests is counted in one window (exact limits, no sliding share)."""
    left = period_s - time.time() % period_s
    if left < needed_s:
        time.sleep(left + 0.1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _start(
    envs: list[dict[str, str]], logs: Path
) -> tuple[list[subprocess.Popen[bytes]], list[str]]:
    """Start one uvicorn process per env (at once: they load their models in parallel) and wait
    until each answers /ready."""
    procs: list[subprocess.Popen[bytes]] = []
    bases: list[str] = []
    try:
        for i, env in enumerate(envs):
            port = _free_port()
            with open(logs / f"api-{i}.log", "wb") as log:
                procs.append(
                    subprocess.Popen(
                        [*UVICORN, "--port", str(port)],
                        cwd=ROOT,
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=log,
                    )
                )
            bases.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + START_TIMEOUT_S
        for i, (proc, base) in enumerate(zip(procs, bases, strict=True)):
            while True:
                try:
                    if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None:
                    tail = (logs / f"api-{i}.log").read_text()[-3000:]
                    raise RuntimeError(f"API {i} exited with {proc.returncode}:\n{tail}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"API {i} not ready in {START_TIMEOUT_S:.0f} s")
                time.sleep(0.3)
    except BaseException:
        _stop(procs)
        raise
    return procs, bases


def _memory_kb(pid: int, field: str) -> int:
    """One memory figure of /proc/<pid>/status (VmRSS, VmHWM), KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def _memory_baseline_kb(pid: int) -> int:
    """Reset the process's peak RSS (VmHWM) to its current RSS where the kernel lets us, and
    return the current RSS: growth is then ``VmHWM`` later minus this, which is an upper bound
    even where the reset is refused (the peak of start-up then counts too)."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    return _memory_kb(pid, "VmRSS")


def _catalog_jpeg(world: Path) -> bytes:
    path = min((world / "images").rglob("*.jpg"))
    return path.read_bytes()


def _encode(img: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def _png_declaring(width: int, height: int) -> bytes:
    """A valid, tiny PNG whose IHDR declares ``width`` × ``height`` pixels: a 1×1 PNG with
    its IHDR size (and CRC) rewritten and an IDAT of a few all-zero rows."""
    png = bytearray(_encode(Image.new("RGB", (1, 1)), "PNG"))
    assert png[12:16] == b"IHDR"
    png[16:24] = struct.pack(">II", width, height)
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
    # Replace the IDAT: 16 rows of filter byte 0 + black RGB pixels, which inflate to 1.4 MB.
    idat = zlib.compress(b"\0" * ((1 + 3 * width) * 16), 9)
    chunk = b"IDAT" + idat
    idat_chunk = struct.pack(">I", len(idat)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    end = b"\0\0\0\0IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return bytes(png[:33]) + idat_chunk + end


@dataclass
class Pair:
    """Two API processes on one machine sharing one database (and its rate-limit file)."""

    procs: list[subprocess.Popen[bytes]]
    bases: list[str]
    key_a: str
    key_b: str
    port: int

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]


@pytest.fixture(scope="module")
def pair(
    tiny_settings: Any, tiny_index: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    from core.keys import KeyStore

    root = tmp_path_factory.mktemp("api4-pair")
    db = root / "shared.db"
    keys = KeyStore(db)
    _, key_a = keys.create("merchandiser", "api4-merch-a")
    _, key_b = keys.create("merchandiser", "api4-merch-b")
    keys.close()
    envs = []
    for i in range(2):
        index = copy_index(tiny_settings.index_dir, root / f"index-{i}")
        envs.append(
            {
                **os.environ,
                "LOOKBOOK_INDEX_DIR": str(index),
                "LOOKBOOK_DATA_DIR": str(tiny_settings.data_dir),
                "LOOKBOOK_DB_PATH": str(db),
                "LOOKBOOK_SECRET_KEY": SECRET,
                "LOOKBOOK_AUTH__MODE": "demo",
                "LOOKBOOK_RATE_LIMIT__SEARCH": f"{SEARCH_LIMIT}/minute",
                "LOOKBOOK_RATE_LIMIT__SESSION": f"{SESSION_LIMIT}/minute",
                "LOOKBOOK_RATE_LIMIT__PHOTO_SEARCH": "60/minute",
                "LOOKBOOK_RATE_LIMIT__WRITE": "60/minute",
            }
        )
    procs, bases = _start(envs, root)
    try:
        assert (db.parent / "shared-limits.db").exists(), "the counters are not beside the db"
        port = int(bases[0].rsplit(":", 1)[1])
        yield Pair(procs, bases, key_a, key_b, port)
    finally:
        _stop(procs)


def _in_process_settings(tiny_settings: Any, tmp_path: Path, **update: Any) -> Any:
    """The tiny settings on a private copy of the index and a private database."""
    index = copy_index(tiny_settings.index_dir, tmp_path / "index")
    return tiny_settings.model_copy(
        update={"index_dir": index, "db_path": tmp_path / "lookbook.db", **update}
    )


# --------------------------------------------------------------------------- 1. shared limits


def test_rate_limit_holds_across_two_api_processes(pair: Pair) -> None:
    assert pair.pids[0] != pair.pids[1]
    a, b = {"X-API-Key": pair.key_a}, {"X-API-Key": pair.key_b}
    _fit_in_window(15)
    with httpx.Client(timeout=30) as http:
        for i in range(SEARCH_LIMIT):
            url = f"{pair.bases[i % 2]}/search"
            r = http.get(url, params={"q": f"black dress a{i}"}, headers=a)
            assert r.status_code == 200, (i, r.text)
        # Both processes refuse client A now: the count lives in the shared file.
        for i, base in enumerate(pair.bases):
            r = http.get(f"{base}/search", params={"q": f"black dress over{i}"}, headers=a)
            _rate_limited(r)
            assert "search limit" in r.json()["detail"]
        # Client B has its own counter, in both processes.
        for i, base in enumerate(pair.bases):
            r = http.get(f"{base}/search", params={"q": f"red shirt b{i}"}, headers=b)
            assert r.status_code == 200, r.text
            assert r.json()["items"]
        # No key: counted per IP (127.0.0.1), apart from both keys.
        for i in range(SEARCH_LIMIT):
            r = http.get(f"{pair.bases[i % 2]}/search", params={"q": f"blue jeans ip{i}"})
            assert r.status_code == 200, (i, r.text)
        for i, base in enumerate(pair.bases):
            _rate_limited(http.get(f"{base}/search", params={"q": f"blue jeans ipover{i}"}))
        # The same query already answered (cached) is refused too: the limit comes first.
        _rate_limited(http.get(f"{pair.bases[0]}/search", params={"q": "blue jeans ip0"}))
        # Key B is still within its limit after the IP counter is spent.
        r = http.get(f"{pair.bases[1]}/search", params={"q": "red shirt b-last"}, headers=b)
        assert r.status_code == 200, r.text
    # Another address of the machine is another client.
    other = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(transport=other, timeout=30) as http2:
        r = http2.get(f"{pair.bases[0]}/search", params={"q": "blue jeans other ip"})
        assert r.status_code == 200, r.text


# --------------------------------------------------------------------------- 2. service keys


def test_service_key_has_its_own_higher_limit(tiny_settings: Any, tmp_path: Path) -> None:
    from api.main import create_app
    from core.keys import KeyStore
    from core.settings import RateLimitSettings

    limits = RateLimitSettings(search="3/minute", service="50/minute")
    settings = _in_process_settings(tiny_settings, tmp_path, rate_limit=limits)
    keys = KeyStore(settings.db_path)
    _, service = keys.create("service", "api4-service")
    _, merch = keys.create("merchandiser", "api4-merch")
    keys.close()
    svc, mer = {"X-API-Key": service}, {"X-API-Key": merch}
    with TestClient(create_app(settings)) as c:
        _fit_in_window(10)
        for i in range(10):
            r = c.get("/search", params={"q": f"summer dress {i}"}, headers=svc)
            assert r.status_code == 200, (i, r.text)
        for i in range(3):
            r = c.get("/search", params={"q": f"winter coat {i}"}, headers=mer)
            assert r.status_code == 200, (i, r.text)
        r = c.get("/search", params={"q": "winter coat 3"}, headers=mer)
        _problem(r, 429, "rate-limited")
        assert r.headers["retry-after"].isdigit() and int(r.headers["retry-after"]) >= 1
        assert "limit of 3 per 1 minute" in r.json()["detail"]
        # A query the service key already had answered (a cache hit) is refused just the same.
        r = c.get("/search", params={"q": "summer dress 0"}, headers=mer)
        _problem(r, 429, "rate-limited")
        # The service key's limit is its own, and finite: 50 a minute, cached answers included.
        for i in range(10, 50):
            r = c.get("/search", params={"q": "summer dress 0"}, headers=svc)
            assert r.status_code == 200, (i, r.text)
        r = c.get("/search", params={"q": "summer dress 0"}, headers=svc)
        _problem(r, 429, "rate-limited")
        assert "limit of 50 per 1 minute" in r.json()["detail"]


def test_signed_in_shoppers_are_limited_each_as_themselves(
    tiny_settings: Any, tmp_path: Path
) -> None:
    """Behind the storefront's server every shopper comes from one address: a shopper's token
    is its own client, so one busy shopper does not use up the others' events."""
    import pandas as pd

    from api.main import create_app
    from core.settings import RateLimitSettings

    settings = _in_process_settings(
        tiny_settings, tmp_path, rate_limit=RateLimitSettings(events="3/minute")
    )
    sales = pd.read_csv(tiny_settings.data_dir / "transactions_train.csv", dtype=str)
    one, two = sales.customer_id.value_counts().index[:2]
    article = sales.article_id.iloc[0]
    with TestClient(create_app(settings)) as c:
        auth = {
            cid: {
                "Authorization": "Bearer "
                + c.post("/session", json={"customer_id": cid}).json()["access_token"]
            }
            for cid in (one, two)
        }

        def post(cid: str, i: int) -> Any:
            event = {"event_id": f"{cid[:8]}-{i}", "type": "view"}
            event |= {"customer_id": cid, "article_id": article}
            return c.post("/events", json={"events": [event]}, headers=auth[cid])

        _fit_in_window(10)
        for i in range(3):
            assert post(one, i).status_code == 200
        _problem(post(one, 3), 429, "rate-limited")
        for i in range(3):  # the same address, another shopper: a counter of their own
            assert post(two, i).status_code == 200, i
        _problem(post(two, 3), 429, "rate-limited")


def test_browse_with_text_counts_in_the_search_group(tiny_settings: Any, tmp_path: Path) -> None:
    """`GET /articles?q=` embeds the text as search does: one limit for both."""
    from api.main import create_app
    from core.settings import RateLimitSettings

    limits = RateLimitSettings(search="3/minute")
    settings = _in_process_settings(tiny_settings, tmp_path, rate_limit=limits)
    with TestClient(create_app(settings)) as c:
        _fit_in_window(10)
        for i in range(3):
            r = c.get("/articles", params={"q": f"striped shirt {i}"})
            assert r.status_code == 200, (i, r.text)
        body = _problem(c.get("/articles", params={"q": "striped shirt 3"}), 429, "rate-limited")
        assert "search limit" in body["detail"]
        _rate_limited(c.get("/search", params={"q": "striped shirt"}))
        # Browsing without text embeds nothing: not searching.
        for _ in range(4):
            assert c.get("/articles", params={"limit": 2}).status_code == 200


def test_ipv6_clients_are_counted_by_their_64(tiny_settings: Any, tmp_path: Path) -> None:
    """One /64 is one client (a host holds all of it); IPv4, mapped or not, is per address."""
    from api.main import create_app
    from core.settings import RateLimitSettings

    settings = _in_process_settings(
        tiny_settings, tmp_path, rate_limit=RateLimitSettings(search="2/minute")
    )
    app = create_app(settings)

    def search(address: str, i: int) -> Any:
        # One app, many peers: the first client ran the lifespan, the others share its state.
        return TestClient(app, client=(address, 50000)).get("/search", params={"q": f"coat {i}"})

    with TestClient(app):
        _fit_in_window(15)
        assert search("2001:db8:0:1::1", 0).status_code == 200
        assert search("2001:db8:0:1:ffff:ffff:ffff:fffe", 1).status_code == 200
        _rate_limited(search("2001:db8:0:1:8000::7", 2))  # the same /64, a third address
        assert search("2001:db8:0:2::1", 3).status_code == 200  # the next /64: a client apart
        assert search("192.0.2.7", 4).status_code == 200
        assert search("::ffff:192.0.2.7", 5).status_code == 200  # the same IPv4 address
        _rate_limited(search("192.0.2.7", 6))
        assert search("192.0.2.8", 7).status_code == 200  # IPv4 stays per address


# --------------------------------------------------------------------------- 3. sign-in


def test_sign_in_is_limited_per_ip(pair: Pair) -> None:
    body = {"customer_id": TROUSERS_FAN}
    _fit_in_window(5)
    with httpx.Client(timeout=30) as http:
        for i in range(SESSION_LIMIT):
            r = http.post(f"{pair.bases[i % 2]}/session", json=body)
            assert r.status_code == 200, (i, r.text)
            assert r.json()["access_token"]
        for base in pair.bases:
            r = http.post(f"{base}/session", json=body)
            _rate_limited(r)
            assert "session limit" in r.json()["detail"]
            assert "access_token" not in r.json()
        # Guessing other ids from the same address is refused before any look-up.
        r = http.post(f"{pair.bases[0]}/session", json={"customer_id": "ab" * 32})
        _rate_limited(r)
        # Guessing keys or tokens counts against the same limit: refused, not checked.
        for bad in ({"X-API-Key": "lbk_guess"}, {"Authorization": "Bearer not-a-jwt"}):
            _rate_limited(http.get(f"{pair.bases[1]}/trending", headers=bad))
        # Other groups of the same address are not affected.
        assert http.get(f"{pair.bases[0]}/customers/samples").status_code == 200
    other = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(transport=other, timeout=30) as http2:
        r = http2.post(f"{pair.bases[1]}/session", json=body)
        assert r.status_code == 200, r.text
        # From an address under the limit, a bad key is a plain 401.
        r = http2.get(f"{pair.bases[1]}/trending", headers={"X-API-Key": "lbk_guess"})
        assert r.status_code == 401, r.text


# --------------------------------------------------------------------------- 4. chunked bodies


def _read_response(
    sock: socket.socket, timeout_s: float = 20.0
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length from ``sock``."""
    sock.settimeout(timeout_s)
    data = b""
    while b"\r\n\r\n" not in data:
        got = sock.recv(65536)
        assert got, f"connection closed before a response: {data!r}"
        data += got
        assert len(data) < 1 * MIB
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    length = int(headers["content-length"])
    while len(body) < length:
        got = sock.recv(65536)
        assert got, "connection closed inside the response body"
        body += got
    return status, headers, body[:length]


def _stream_chunked(
    port: int, method: str, path: str, headers: dict[str, str], first: bytes, total: int
) -> tuple[int, dict[str, str], bytes, int]:
    """Send a chunked request body of up to ``total`` bytes (``first`` then zeros) over a raw
    socket, stopping as soon as the server answers; (status, headers, body, bytes sent)."""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nTransfer-Encoding: chunked\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    filler = b"\0" * (64 * 1024)
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(head.encode())
        piece = first
        while sent < total:
            if select.select([sock], [], [], 0)[0]:
                break  # the server answered before the body ended
            try:
                sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
            except OSError:
                break  # it closed the connection: read what it answered
            sent += len(piece)
            piece = filler
        else:
            sock.sendall(b"0\r\n\r\n")
        status, got, body = _read_response(sock)
    return status, got, body, sent


def test_body_cap_holds_for_chunked_bodies(pair: Pair, tiny_world: Path) -> None:
    from api.auth import issue

    token = issue(TROUSERS_FAN, SECRET, 600)
    auth = {"Authorization": f"Bearer {token}"}
    boundary = "api4boundary"
    part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode() + b"\xff\xd8\xff\xe0"
    total = 64 * MIB
    start = time.perf_counter()
    status, headers, body, sent = _stream_chunked(
        pair.port,
        "POST",
        "/search/image",
        {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        part,
        total,
    )
    took = time.perf_counter() - start
    assert status == 413, body
    assert headers["content-type"].startswith("application/problem+json")
    problem = json.loads(body)
    assert problem["type"] == PROBLEM + "payload-too-large" and problem["status"] == 413
    # Answered while the body was still coming: the server did not wait for 64 MiB.
    assert 6 * MIB < sent < total, sent
    print(f"\nchunked upload: 413 after {sent / MIB:.1f} MiB sent, {took:.2f} s")

    prefs_path = f"/customers/{TROUSERS_FAN}/preferences"
    status, headers, body, sent = _stream_chunked(
        pair.port, "PUT", prefs_path, {**auth, "Content-Type": "application/json"}, b"{", total
    )
    assert status == 413, body
    assert json.loads(body)["type"] == PROBLEM + "payload-too-large"

    # A small chunked body is read whole and served.
    prefs = {"favourite_colours": ["Black"], "style": "chunked tailoring", "max_price": 90.0}
    raw = json.dumps(prefs).encode()

    def pieces() -> Iterator[bytes]:
        for i in range(0, len(raw), 7):
            yield raw[i : i + 7]

    url = pair.bases[1] + prefs_path
    with httpx.Client(timeout=30) as http:
        r = http.put(url, content=pieces(), headers={**auth, "Content-Type": "application/json"})
        assert r.request.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in r.request.headers
        assert r.status_code == 200, r.text
        assert {k: r.json()[k] for k in prefs} == prefs
        got = http.get(pair.bases[0] + prefs_path, headers=auth).json()
        assert {k: got[k] for k in prefs} == prefs

        # A small chunked photo upload (multipart) is served too.
        photo = _catalog_jpeg(tiny_world)
        form = part[: -len(b"\xff\xd8\xff\xe0")] + photo + f"\r\n--{boundary}--\r\n".encode()

        def form_pieces() -> Iterator[bytes]:
            for i in range(0, len(form), 4096):
                yield form[i : i + 4096]

        r = http.post(
            f"{pair.bases[0]}/search/image",
            content=form_pieces(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert r.request.headers.get("transfer-encoding") == "chunked"
        assert r.status_code == 200, r.text
        assert r.json()["items"]


# --------------------------------------------------------------------------- 5. timeout


def test_slow_request_answers_504(tiny_settings: Any, tmp_path: Path) -> None:
    from api.main import create_app

    settings = _in_process_settings(tiny_settings, tmp_path, request_timeout_s=0.001)
    with TestClient(create_app(settings)) as c:
        start = time.perf_counter()
        r = c.get("/search", params={"q": "a slow uncached search for wool jumpers"})
        took = time.perf_counter() - start
        body = _problem(r, 504, "timeout")
        assert "longer than 0.001 s" in body["detail"]
        assert took < 5.0, took
        assert "x-request-id" in r.headers
        # The abandoned search still runs in its worker thread: let it end before the index
        # is closed at shutdown.
        time.sleep(1.0)


# --------------------------------------------------------------------------- 6. hostile uploads


def _hostile_uploads(world: Path) -> dict[str, tuple[str, bytes, str]]:
    """name → (filename, bytes, declared content type)."""
    photo = _catalog_jpeg(world)
    rng = random.Random(4)
    noise = Image.frombytes("RGB", (128, 128), rng.randbytes(128 * 128 * 3))
    assert features.check("webp"), "Pillow without WebP"
    return {
        "png bomb 30000x30000": ("bomb.png", _png_declaring(30_000, 30_000), "image/png"),
        "png bomb 8000x8000": ("bomb8k.png", _png_declaring(8_000, 8_000), "image/png"),
        "truncated jpeg": ("half.jpg", photo[: len(photo) // 2], "image/jpeg"),
        "pdf as jpeg": (
            "doc.jpg",
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + rng.randbytes(4096),
            "image/jpeg",
        ),
        "random bytes as jpeg": ("rand.jpg", rng.randbytes(64 * 1024), "image/jpeg"),
        "gif": ("a.gif", _encode(noise, "GIF"), "image/gif"),
        "webp": ("a.webp", _encode(noise, "WEBP"), "image/webp"),
    }


def test_hostile_uploads_are_refused_fast_and_small(pair: Pair, tiny_world: Path) -> None:
    base, pid = pair.bases[0], pair.pids[0]
    uploads = _hostile_uploads(tiny_world)
    assert len(uploads["png bomb 30000x30000"][1]) < 10_000
    with httpx.Client(timeout=30) as http:
        # Warm up: a real photo search loads the image model.
        photo = _catalog_jpeg(tiny_world)
        r = http.post(f"{base}/search/image", files={"file": ("p.jpg", photo, "image/jpeg")})
        assert r.status_code == 200, r.text
        before = _memory_baseline_kb(pid)
        timings: dict[str, float] = {}
        for name, (filename, data, ctype) in uploads.items():
            start = time.perf_counter()
            r = http.post(f"{base}/search/image", files={"file": (filename, data, ctype)})
            timings[name] = time.perf_counter() - start
            body = _problem(r, 422, "invalid-input")
            assert body["errors"][0]["field"] == "file", (name, body)
            assert timings[name] < 1.0, (name, timings[name])
        after = _memory_kb(pid, "VmHWM")
        # Still serving.
        r = http.post(f"{base}/search/image", files={"file": ("p.jpg", photo, "image/jpeg")})
        assert r.status_code == 200, r.text
    assert pair.procs[0].poll() is None
    growth_mb = (after - before) / 1024
    print(f"\nRSS {before / 1024:.0f} MiB, then peak {after / 1024:.0f} MiB (+{growth_mb:.1f} MiB)")
    for name, took in timings.items():
        print(f"  {name}: {took * 1000:.0f} ms")
    assert growth_mb < 200, growth_mb


@pytest.mark.parametrize(
    ("width", "height"),
    [(6300, 6300), (4097, 4096)],  # 39.7 M pixels (the old cap let it through); one past 4096²
)
def test_tiny_png_declaring_more_than_4096_squared_pixels_is_refused(
    pair: Pair, tiny_world: Path, width: int, height: int
) -> None:
    """The README's limit: photos over 4096² pixels are refused before any pixel is decoded,
    on photo search and on an article's photo alike."""
    base, pid = pair.bases[1], pair.pids[1]
    bomb = _png_declaring(width, height)
    assert len(bomb) < 1000
    with httpx.Client(timeout=60) as http:
        photo = _catalog_jpeg(tiny_world)
        r = http.post(f"{base}/search/image", files={"file": ("p.jpg", photo, "image/jpeg")})
        assert r.status_code == 200, r.text
        before = _memory_baseline_kb(pid)
        start = time.perf_counter()
        r = http.post(f"{base}/search/image", files={"file": ("b.png", bomb, "image/png")})
        took = time.perf_counter() - start
        after = _memory_kb(pid, "VmHWM")
        article = min(p.stem for p in (tiny_world / "images").rglob("*.jpg"))
        upload = http.put(
            f"{base}/admin/articles/{article}/image",
            files={"file": ("b.png", bomb, "image/png")},
            headers={"X-API-Key": pair.key_b},
        )
    growth_mb = (after - before) / 1024
    print(f"\n{width}x{height} PNG of {len(bomb)} bytes: {took:.2f} s, +{growth_mb:.0f} MiB")
    for answer in (r, upload):
        body = _problem(answer, 422, "invalid-input")
        assert body["errors"][0]["field"] == "file", body
        assert "image too large" in body["detail"] and f"{width}x{height}" in body["detail"]
    assert growth_mb < 200, growth_mb
    assert took < 1.0, took
