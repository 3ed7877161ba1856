"""Fuzzing from the server's own OpenAPI description (schemathesis), against a live server on SQLite
and PostgreSQL: generated requests, valid and invalid, to every operation; no answer may be a 5xx,
and every answer must be one the description lists, with the media type and shape it gives.

Sized for CI: up to `EXAMPLES` cases per operation (12 operations, so a few hundred per database),
derandomized so CI sees the same cases every run. To search further by hand:
`KRAFTA_FUZZ_EXAMPLES=500 KRAFTA_FUZZ_RANDOM=1 pytest tests/live/test_fuzz_openapi.py`.
The event stream is left out: it never ends by design (its own tests are test_live_*.py).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.servers import LiveServer

EXAMPLES = int(os.environ.get("KRAFTA_FUZZ_EXAMPLES", "25"))
RANDOM = bool(os.environ.get("KRAFTA_FUZZ_RANDOM"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_schema(server: LiveServer) -> Any:
    return schemathesis.openapi.from_url(f"{server.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema").exclude(path="/api/orders/events")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, suppress_health_check=list(HealthCheck)
)
def test_no_5xx_and_answers_match_the_description(case: Any, server: LiveServer) -> None:
    # As the admin, so the staff operations are reached beyond their 401; except logout, which would
    # end the admin's session for every case after it.
    token = {} if case.path == "/api/auth/logout" else {"Authorization": f"Bearer {server.admin_token}"}
    case.call_and_validate(base_url=server.url, headers=token, checks=CHECKS)
