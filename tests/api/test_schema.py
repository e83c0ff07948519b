"""Schemathesis against /openapi.json: no server errors, no response that breaks the schema."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

pytestmark = pytest.mark.slow
EXAMPLES = 30
#: No server error, only documented status codes, content types and headers, and bodies that
#: match the schema. (Semantic 422s such as min_price > max_price are answers, not failures.)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


def _operations(settings: Any) -> list[Any]:
    from api.main import create_app

    # An app of its own: schemathesis runs the app's lifespan (start-up and shutdown).
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(settings))
    return [result.ok() for result in schema.get_all_operations()]


def test_every_operation_conforms_to_the_schema(tiny_settings: Any, tiny_index: Any) -> None:
    operations = _operations(tiny_settings)
    assert len(operations) >= 13
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            case.call_and_validate(checks=CHECKS)

        check()
