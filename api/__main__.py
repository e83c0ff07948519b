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
`LOOKBOOK_DB_PATH`). Each change is also written to the audit trail (as the `cli` operator).
"""

from __future__ import annotations

import argparse
import os
import sys

from core.audit import AuditLog
from core.errors import InvalidInput, NotFound
from core.keys import KEY_ROLES, KeyStore
from core.settings import get_settings


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
    return p


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
    db = get_settings().db_path
    keys, audit = KeyStore(db), AuditLog(db)
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
