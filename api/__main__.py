"""`python -m api serve` runs the API; `python -m api keys create|list|revoke` manages API keys.

    python -m api serve --host 127.0.0.1 --port 8000      # LOOKBOOK_WORKERS processes

`serve` starts `LOOKBOOK_WORKERS` API processes (default: one per core) behind one port, each
on its own socket (SO_REUSEPORT: the kernel spreads connections, see `api.serve`). With the
embedded engine each opens its own copy of the published index version (one process owns an
Edge shard folder); a process that dies is started again by the supervisor.

API keys, for services, merchandisers and admins:

    python -m api keys create --role merchandiser --name pricing-team
    python -m api keys list
    python -m api keys revoke pricing-team

`create` prints the new key once, alone on the last line; only its hash is stored (in
`LOOKBOOK_DB_PATH`'s files, or `LOOKBOOK_DATABASE_URL`). Each change is also written to the
audit trail (as the `cli` operator).

The state's database (`core.state`):

    python -m api db status                               # each part's schema revision
    python -m api db upgrade                              # PostgreSQL: before the API starts
    python -m api db copy --to postgresql://u:p@host/db   # SQLite state into an empty database
"""

from __future__ import annotations

import argparse
import os
import sys

from core.audit import AuditLog
from core.errors import InvalidInput, LookbookError, NotFound
from core.keys import KEY_ROLES, KeyStore
from core.settings import get_settings
from core.state import describe


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m api", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="the API, one process per core behind one port")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, help="processes (default: LOOKBOOK_WORKERS)")
    keys = sub.add_parser("keys", help="create, list and revoke API keys")
    actions = keys.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="a new key, printed once")
    create.add_argument("--role", required=True, choices=KEY_ROLES)
    create.add_argument("--name", required=True, help="what to revoke it by; never reused")
    actions.add_parser("list", help="every key's name, role, dates (never the key)")
    revoke = actions.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("name")
    db = sub.add_parser("db", help="the state's database: status, upgrade, copy")
    db_actions = db.add_subparsers(dest="action", required=True)
    db_actions.add_parser("status", help="each part's schema revision against this code's")
    db_actions.add_parser("upgrade", help="bring the schema to this code's version")
    copy = db_actions.add_parser("copy", help="copy the SQLite state into an empty PostgreSQL")
    copy.add_argument("--to", required=True, help="postgresql://user:pass@host:5432/lookbook")
    return p


def database(action: str, to: str | None) -> int:
    """`python -m api db status|upgrade|copy`."""
    from rich.progress import Progress

    from core.db import PARTS, Database, is_postgres, safe_url, sqlite_path
    from core.state import open_sqlite, status, upgrade
    from core.state_copy import copy_state

    settings = get_settings()
    if action == "copy":
        assert to is not None
        if not is_postgres(to):
            print(f"error: --to must be a postgresql:// URL, got {safe_url(to)}", file=sys.stderr)
            return 2
        with Progress() as bar:
            tasks: dict[str, object] = {}

            def progress(table: str, done: int, total: int) -> None:
                if table not in tasks:
                    tasks[table] = bar.add_task(table, total=total)
                bar.update(tasks[table], completed=done)  # type: ignore[arg-type]

            copied = copy_state(settings.db_path, to, progress)
        for c in copied:
            last = f", last seq {c.last}" if c.last is not None else ""
            print(f"{c.table}: {c.rows} rows{last}")
        print(f"Copied {settings.db_path}'s state into {safe_url(to)}.")
        return 0
    if settings.database_url:
        dbs = [(Database.open(settings.database_url), PARTS)]
    else:
        dbs = [(open_sqlite(sqlite_path(settings.db_path, p), p), (p,)) for p in PARTS]
    try:
        for db, parts in dbs:
            found = upgrade(db, parts) if action == "upgrade" else status(db, parts)
            for s in found:
                print(f"{db.name}\t{s.part}\t{s.current or '-'}\t(code: {s.head})\t{s.state}")
    finally:
        for db, _ in dbs:
            db.close()
    return 0


def serve(host: str, port: int, workers: int | None) -> int:
    """Run ``workers`` API processes (one: in this process), each on its own socket."""
    settings = get_settings()
    n = workers or settings.workers
    if n == 1:
        from api.serve import check_port_free, run_worker

        check_port_free(host, port)
        run_worker(host, port, "info")
        return 0
    from api.serve import supervise

    if not settings.qdrant_url:
        os.environ["LOOKBOOK_PRIVATE_INDEX"] = "true"  # read by each worker's settings
    return supervise(host, port, n)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args.host, args.port, args.workers)
    if args.command == "db":
        try:
            return database(args.action, getattr(args, "to", None))
        except LookbookError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    settings = get_settings()
    db = describe(settings)
    keys, audit = KeyStore(settings), AuditLog(settings)
    try:
        if args.action == "create":
            record, key = keys.create(args.role, args.name)
            audit.append("cli", "operator", "CLI", f"keys create {record.name}", 0)
            print(f"Created the {record.role} key {record.name!r} in {db}.")
            print("It is shown only now: send it as the X-API-Key header.")
            print(key)
        elif args.action == "list":
            for k in keys.list():
                state = f"revoked {k.revoked_at}" if k.revoked_at else "active"
                print(f"{k.name}\t{k.role}\t{k.hint}…\tcreated {k.created_at}\t{state}")
        else:
            record = keys.revoke(args.name)
            audit.append("cli", "operator", "CLI", f"keys revoke {record.name}", 0)
            print(f"Revoked {record.name!r} ({record.role}) at {record.revoked_at}.")
    except (InvalidInput, NotFound) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        keys.close()
        audit.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
