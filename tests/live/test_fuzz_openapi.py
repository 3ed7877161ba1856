"""Fuzzing from the server's own OpenAPI description: schemathesis's coverage, fuzzing and stateful
phases with every check it has, run as its command (`schemathesis run`) against a live `krafta serve`
on SQLite and PostgreSQL. No answer may be a 5xx; every answer must be one the description lists,
with its media type and shape; a request the description calls valid must not be refused (so every
rule the server enforces is stated), and one it calls invalid must not be taken.

Sized for CI: up to `EXAMPLES` fuzzed cases per operation plus the coverage phase's boundary cases
(about a thousand requests per database), seeded so CI sees the same cases every run. To search
further by hand: `KRAFTA_FUZZ_EXAMPLES=500 KRAFTA_FUZZ_RANDOM=1 pytest tests/live/test_fuzz_openapi.py`.
The event stream is left out: it never ends by design (its own tests are test_live_*.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.servers import LiveServer

EXAMPLES = int(os.environ.get("KRAFTA_FUZZ_EXAMPLES", "10"))
RANDOM = bool(os.environ.get("KRAFTA_FUZZ_RANDOM"))
SEED = "1"
# The accounts the run may reset or deactivate: never the admin whose session it runs as.
TARGET = "fuzzed@test.krafta"

# Rules between fields, which JSON Schema cannot state (the description's text does, and tests/api
# covers them): GET /api/tickets takes `number` or `status` (one of them); GET /api/orders takes a
# `cursor` only with `limit` and the `sort` it was made for; a new order's money must add up
# (total = subtotal + shippingCost, totalBs = total × exchangeRate). For these operations a generated
# "valid" request may be refused with a 400 naming the field; every other check still applies.
CROSS_FIELD_RULES = ["GET /api/tickets", "GET /api/orders", "POST /api/orders"]
REFUSED_WITH_REASON = ["2xx", "400", "401", "403", "404", "409", "429"]


def _config(server: LiveServer, logout_token: str) -> str:
    def header(token: str) -> str:
        return f'headers = {{ Authorization = "Bearer {token}" }}\n'

    lines = [header(server.admin_token)]
    # Logout with a session of its own, which would otherwise end the admin's for every case after it.
    lines.append('[[operations]]\ninclude-name = "POST /api/auth/logout"\n' + header(logout_token))
    for name in ("POST /api/users/{email}/password", "POST /api/users/{email}/deactivate"):
        lines.append(f'[[operations]]\ninclude-name = "{name}"\nparameters = {{ email = "{TARGET}" }}\n')
    for name in CROSS_FIELD_RULES:
        lines.append(
            f'[[operations]]\ninclude-name = "{name}"\n'
            f"checks.positive_data_acceptance.expected-statuses = {json.dumps(REFUSED_WITH_REASON)}\n"
        )
    return "\n".join(lines)


def test_coverage_fuzzing_and_stateful_phases_fail_nothing(server: LiveServer, tmp_path: Path) -> None:
    server.make_user(TARGET, role="TALLER")
    logout_token = server.login("admin@test.krafta")
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(server, logout_token))
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "run",
        f"{server.url}/openapi.json",
        "--phases",
        "coverage,fuzzing,stateful",
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--exclude-path",
        "/api/orders/events",
        "--no-color",
        *([] if RANDOM else ["--seed", SEED]),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    # Long generated bodies make the report huge: its summary and the first failures are enough.
    report = run.stdout if len(run.stdout) < 30_000 else run.stdout[:20_000] + "\n…\n" + run.stdout[-8_000:]
    assert run.returncode == 0, f"{report}\n{run.stderr[-4000:]}"
    assert "Stateful" in run.stdout and "Coverage" in run.stdout and "Fuzzing" in run.stdout, report
    # The run went through as the admin to the end (a 401 everywhere would also have failed nothing).
    with server.client(server.admin_token) as http:
        assert http.get("/api/auth/me").status_code == 200
