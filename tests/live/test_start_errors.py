"""`krafta serve` against a PostgreSQL that answers but refuses it — a role that does not exist, a
wrong or missing password, an unknown database — stops at start with one line and exit 1; only a
database that does not answer starts the server on the fallback (issue 14).

The cluster is set up as the README's PostgreSQL steps leave a fresh Debian: a role `krafta` with a
password that owns the database `krafta`, and password authentication for it over TCP.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.helpers import free_port
from tests.pgcluster import OwnPostgres
from tests.servers import BASE_ENV, LiveServer, krafta_exe

PASSWORD = "krafta-password"


@pytest.fixture(scope="module")
def guarded() -> Iterator[OwnPostgres]:
    cluster = OwnPostgres()
    cluster.start()
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE krafta LOGIN PASSWORD '{PASSWORD}'")
        conn.execute("CREATE DATABASE krafta OWNER krafta")
    # The role krafta needs its password over TCP (scram, Debian's default); any other name is let in
    # without one, so that a name PostgreSQL does not know is reported as such.
    cluster.authenticate(
        "local all all trust\nhost all krafta 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\n"
    )
    yield cluster
    cluster.destroy()


def _url(cluster: OwnPostgres, credentials: str, database: str = "krafta") -> str:
    return f"postgresql://{credentials}@127.0.0.1:{cluster.port}/{database}"


def _serve(url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KRAFTA_", "PG"))}
    env.update(BASE_ENV, KRAFTA_DATA_DIR=str(data_dir), KRAFTA_DATABASE_URL=url)
    command = [krafta_exe(), "serve", "--port", str(free_port())]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(
    ("credentials", "database", "reason"),
    [
        ("ghost", "krafta", 'role "ghost" does not exist'),
        ("krafta:wrong-password", "krafta", 'password authentication failed for user "krafta"'),
        ("krafta", "krafta", "no password supplied"),
        (f"krafta:{PASSWORD}", "nowhere", 'database "nowhere" does not exist'),
    ],
    ids=["missing-role", "wrong-password", "no-password", "unknown-database"],
)
def test_a_database_that_refuses_the_server_stops_it_at_start_with_one_line(
    guarded: OwnPostgres, tmp_path: Path, credentials: str, database: str, reason: str
) -> None:
    url = _url(guarded, credentials, database)

    run = _serve(url, tmp_path / "data")

    # Before: "warning: cannot reach the database …; starting anyway", a server on the fallback
    # whose every login said "database unavailable" (this call would not have returned).
    assert run.returncode == 1, run
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    assert lines[0].startswith("error: the database postgresql://") and "refuses the connection" in lines[0]
    assert reason in lines[0], lines[0]
    assert "wrong-password" not in lines[0] and PASSWORD not in lines[0], "a password reached the message"
    assert not (tmp_path / "data" / "fallback").exists()


def test_the_readme_setup_serves_and_a_database_that_does_not_answer_starts_on_the_fallback(
    guarded: OwnPostgres, tmp_path: Path
) -> None:
    (tmp_path / "owned").mkdir()
    (tmp_path / "down").mkdir()
    owned = LiveServer(_url(guarded, f"krafta:{PASSWORD}"), tmp_path / "owned")
    owned.start()
    try:
        health = httpx.get(f"{owned.url}/api/health", timeout=10).json()
        assert health["database"] == "up", health
        with psycopg.connect(guarded.url.rsplit("/", 1)[0] + "/krafta", autocommit=True) as conn:
            owners = {
                row[0] for row in conn.execute("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")
            }
        assert owners == {"krafta"}, "the migrations ran as the role the README creates"
    finally:
        owned.stop()

    refused = LiveServer(f"postgresql://krafta:{PASSWORD}@127.0.0.1:{free_port()}/krafta", tmp_path / "down")
    refused.start()
    try:
        health = httpx.get(f"{refused.url}/api/health", timeout=10).json()
        assert health["database"] == "down", health
        assert "starting anyway" in refused.log()
    finally:
        refused.stop()
