"""Logging set-up: JSON lines for services, plain text for CLIs."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record; extra fields given with `extra=` become keys."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure(json_lines: bool = False, level: int = logging.INFO) -> None:
    """Install one handler on the root logger (idempotent: it replaces the one an earlier call
    installed, and leaves the handlers others added, such as a test's log capture)."""
    root = logging.getLogger()
    handler = logging.StreamHandler()
    handler._lookbook = True  # type: ignore[attr-defined]
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    kept = [h for h in root.handlers if not getattr(h, "_lookbook", False)]
    # A plain StreamHandler someone else left (logging.basicConfig) would print every line twice.
    kept = [h for h in kept if type(h) is not logging.StreamHandler]
    root.handlers[:] = [*kept, handler]
    root.setLevel(level)
