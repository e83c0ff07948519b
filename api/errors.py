"""Every error as application/problem+json (RFC 9457); domain errors mapped to statuses here."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.db import DatabaseUnavailable
from core.errors import IndexNotReady, InvalidInput, NotFound, StoreUnavailable

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
BASE = "https://lookbook.dev/problems/"
#: The id of the request being answered (set by the access middleware): log lines that say
#: more than the answer does carry it, so an operator finds the cause of what a client saw.
REQUEST_ID: ContextVar[str | None] = ContextVar("lookbook_request_id", default=None)
#: What a 503 tells the client; the cause (a file path, a socket error) is logged instead.
NOT_READY = "the catalog is not ready to be served yet: try again in a little while"
UNAVAILABLE = "the search engine cannot be reached right now: try again in a little while"
DB_DOWN = "the database cannot be reached right now: try again in a few seconds"
#: Seconds a client is told to wait before retrying a write while the database is down.
RETRY_AFTER_S = 5


class AuthError(Exception):
    """401 (no or bad credential) or 403 (a credential that may not do this)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class PayloadTooLarge(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def problem(
    status: int, kind: str, title: str, detail: str, request: Request, **extra: Any
) -> JSONResponse:
    body = {
        "type": BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    # Set here too: a 500 is answered outside the middleware that adds it to the rest.
    headers = {"X-Content-Type-Options": "nosniff"}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("query", "path", "body")]
    return ".".join(parts) or "request"


_PROBLEM_CODES = {
    "401": "Missing, expired or invalid token",
    "403": "A token of another customer",
    "404": "Not found",
    "413": "Body or upload too large",
    "422": "Invalid input; `errors` names each field",
    "429": "Over this client's rate limit; `Retry-After` says when to retry",
    "503": "Index not ready, vector store or database unavailable (`Retry-After` for the last)",
    "504": "Request took too long",
}


def document_problems(app: FastAPI) -> None:
    """Make /openapi.json say that every error is application/problem+json with `Problem`."""
    from fastapi.openapi.utils import get_openapi

    from api.schemas import Problem

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        ref = {"$ref": "#/components/schemas/Problem"}
        for path in spec["paths"].values():
            for op in path.values():
                responses = op.setdefault("responses", {})
                for code, text in _PROBLEM_CODES.items():
                    responses[code] = {
                        "description": text,
                        "content": {PROBLEM: {"schema": ref}},
                    }
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _log_cause(request: Request, exc: Exception) -> None:
    """The cause of an answer that does not name it, with the request id."""
    extra = {"request_id": REQUEST_ID.get(), "error": type(exc).__name__}
    log.warning("%s %s: %s", request.method, request.url.path, exc, extra=extra)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _loc(e["loc"]), "message": str(e["msg"])} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, "invalid-input", "Invalid input", detail, request, errors=errors)

    @app.exception_handler(InvalidInput)
    async def _invalid(request: Request, exc: InvalidInput) -> JSONResponse:
        errors = [{"field": f, "message": m} for f, m in exc.errors]
        return problem(422, "invalid-input", "Invalid input", str(exc), request, errors=errors)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return problem(404, "not-found", "Not found", str(exc), request)

    @app.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError) -> JSONResponse:
        kind, title = (
            ("unauthorized", "Unauthorized") if exc.status == 401 else ("forbidden", "Forbidden")
        )
        return problem(exc.status, kind, title, exc.detail, request)

    @app.exception_handler(PayloadTooLarge)
    async def _too_large(request: Request, exc: PayloadTooLarge) -> JSONResponse:
        return problem(413, "payload-too-large", "Payload too large", exc.detail, request)

    @app.exception_handler(IndexNotReady)
    async def _not_ready(request: Request, exc: IndexNotReady) -> JSONResponse:
        _log_cause(request, exc)
        return problem(503, "index-not-ready", "Index not ready", NOT_READY, request)

    @app.exception_handler(StoreUnavailable)
    async def _unavailable(request: Request, exc: StoreUnavailable) -> JSONResponse:
        _log_cause(request, exc)
        return problem(503, "store-unavailable", "Vector store unavailable", UNAVAILABLE, request)

    @app.exception_handler(DatabaseUnavailable)
    async def _db_down(request: Request, exc: DatabaseUnavailable) -> JSONResponse:
        _log_cause(request, exc)
        answer = problem(503, "database-unavailable", "Database unavailable", DB_DOWN, request)
        answer.headers["Retry-After"] = str(RETRY_AFTER_S)
        return answer

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem(exc.status_code, kind, str(exc.detail), str(exc.detail), request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem(500, "internal", "Internal error", "an unexpected error occurred", request)
