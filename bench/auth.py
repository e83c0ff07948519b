"""What access control costs a cached answer: API CPU per request, measured in process.

    python bench/auth.py --index var/e2e/index --data var/e2e/data
    PYTHONPATH=<an older checkout> python bench/auth.py ...   # the same rows on older code

Calls the ASGI app directly (no sockets, no load generator sharing the cores, so the figures
are steady to a few µs where `bench/api.py`'s cached rows move by 0.1 ms between runs): each
row sends the same cached GET many times and divides the process's CPU time by the count. The
rows cover a public page (no credential), the personal feed with a shopper's token and with a
service key (authenticated and authorised before the cache answers), and a search (counted
against its rate limit, one SQLite statement); then, on code that has them, the parts access
control adds, each called alone. Prints a table and saves bench/out/auth.png.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

OUT = Path(__file__).resolve().parent / "out"
# This folder holds bench/api.py, which would hide the `api` package: import the project from
# the installed checkout, or from PYTHONPATH to measure another one.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != OUT.parent]
Message = dict[str, Any]


def _scope(path: str, query: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def _call(app: Any, scope: dict[str, Any]) -> tuple[int, dict[bytes, bytes]]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(dict(scope), receive, send)
    start = sent[0]
    return start["status"], dict(start.get("headers", []))


async def measure(app: Any, scope: dict[str, Any], n: int) -> float:
    """CPU µs per request of ``n`` cached answers (the first, a miss, is not counted)."""
    status, _ = await _call(app, scope)
    assert status == 200, (scope["path"], status)
    status, headers = await _call(app, scope)
    assert headers.get(b"x-cache") == b"hit", scope["path"]
    cpu = time.process_time()
    for _ in range(n):
        await _call(app, scope)
    return 1e6 * (time.process_time() - cpu) / n


def rows(customer: str, token: str, key: str) -> dict[str, Callable[[], dict[str, Any]]]:
    return {
        "browse (public)": lambda: _scope("/articles", "limit=12&sort=price_asc", {}),
        "feed, shopper token": lambda: _scope(
            f"/recommendations/{customer}", "limit=12", {"Authorization": f"Bearer {token}"}
        ),
        "feed, service key": lambda: _scope(
            f"/recommendations/{customer}", "limit=12", {"X-API-Key": key}
        ),
        "search (rate-limited)": lambda: _scope("/search", "q=black+trousers&limit=12", {}),
    }


async def run(index: Path, data: Path, n: int, repeats: int) -> dict[str, list[float]]:
    from api.main import create_app
    from core.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="lookbook-bench-auth-"))
    shutil.copytree(index, work / "index", symlinks=True)
    os.environ.update(
        LOOKBOOK_AUTH__MODE="demo",
        **{f"LOOKBOOK_RATE_LIMIT__{g}": "100000000/minute" for g in ("SEARCH", "SERVICE")},
    )
    settings = Settings(index_dir=work / "index", data_dir=data, db_path=work / "bench.db")
    key = _service_key(settings.db_path)
    app = create_app(settings)
    customer = _a_customer(data)
    token = _token(customer, settings)
    out: dict[str, list[float]] = {}
    try:
        async with app.router.lifespan_context(app):
            for name, make in rows(customer, token, key).items():
                out[name] = [await measure(app, make(), n) for _ in range(repeats)]
            access = getattr(app.state, "access", None)
            if access is not None:  # the parts access control adds, each on its own
                for name, call in components(access, token, key).items():
                    out[name] = [_per_call(call, n) for _ in range(repeats)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def components(access: Any, token: str, key: str) -> dict[str, Callable[[], object]]:
    bearer = f"Bearer {token}"
    return {
        "· authenticate: nothing sent": lambda: access.auth.authenticate(None, None),
        "· authenticate: shopper token": lambda: access.auth.authenticate(bearer, None),
        "· authenticate: API key": lambda: access.auth.authenticate(None, key),
        "· rate limit: one hit": lambda: access.limiter.hit("search", "ip:127.0.0.1"),
    }


def _per_call(call: Callable[[], object], n: int) -> float:
    cpu = time.process_time()
    for _ in range(n):
        call()
    return 1e6 * (time.process_time() - cpu) / n


def _service_key(db: Path) -> str:
    try:
        from core.keys import KeyStore
    except ImportError:  # code from before API keys: the header is ignored
        return "none"
    keys = KeyStore(db)
    _, key = keys.create("service", "bench-auth")
    keys.close()
    return key


def _token(customer: str, settings: Any) -> str:
    from api.auth import issue

    return issue(customer, settings.secret_key, 3600)


def _a_customer(data: Path) -> str:
    import pandas as pd

    tx = pd.read_csv(data / "transactions_train.csv", dtype=str, usecols=["customer_id"])
    return str(tx.customer_id.value_counts().index[0])


def plot(results: dict[str, list[float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    names = list(results)
    ax.boxplot([results[k] for k in names], orientation="horizontal", tick_labels=names)
    ax.set_xlabel("API CPU per cached request (µs)")
    ax.set_title("Cached answers through the middleware, in process")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, required=True, help="LOOKBOOK_INDEX_DIR of a built index")
    p.add_argument("--data", type=Path, required=True, help="the data folder it was built from")
    p.add_argument("--requests", type=int, default=20_000, help="per measurement")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    results = asyncio.run(run(args.index, args.data, args.requests, args.repeats))
    table = Table(
        title=f"API CPU per cached request, µs ({args.requests:,} requests x {args.repeats})"
    )
    for col in ("row", "median", "min", "max"):
        table.add_column(col, justify="left" if col == "row" else "right")
    for name, values in results.items():
        s = sorted(values)
        table.add_row(name, f"{s[len(s) // 2]:.1f}", f"{s[0]:.1f}", f"{s[-1]:.1f}")
    Console().print(table)
    OUT.mkdir(parents=True, exist_ok=True)
    plot(results, OUT / "auth.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
