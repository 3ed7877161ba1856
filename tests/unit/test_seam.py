"""One storage seam: `server.storage.seam` is the one place that decides "the database is down".

Every module that reacts to an outage — by falling back (orders, sessions), answering 503, or
waiting (the replay, the live feed) — asks the seam (`attempt`, `unavailable`), so what counts as
"down" is written once. The driver-level test (`db.is_unavailable`) is the seam's own input.
"""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.exc import IntegrityError

from server.accounts.sessions import Sessions
from server.domain.principal import Principal
from server.domain.shape import utcnow
from server.storage.db import Database
from server.storage.seam import attempt, unavailable
from tests.helpers import free_port

SERVER = Path(__file__).resolve().parents[2] / "server"
# Where "down" is decided: the driver-level test (db.py, which also reports failed writes for health)
# and the seam. Nowhere else may a module name it or catch a driver error itself.
DECIDERS = {SERVER / "storage" / "db.py", SERVER / "storage" / "seam.py"}
DRIVER_ERRORS = {"is_unavailable", "OperationalError", "InterfaceError", "DBAPIError"}


def test_no_module_but_the_seam_decides_that_the_database_is_down() -> None:
    found = []
    for path in sorted(SERVER.rglob("*.py")):
        if path in DECIDERS or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            name = (
                node.id
                if isinstance(node, ast.Name)
                else node.attr
                if isinstance(node, ast.Attribute)
                else ""
            )
            if name in DRIVER_ERRORS:
                found.append(f"{path.relative_to(SERVER.parent)}:{node.lineno} {name}")
    assert found == []


@pytest.fixture
def dead() -> Database:
    return Database(f"postgresql://root@127.0.0.1:{free_port()}/nothing", pool_size=1)


def test_a_database_nobody_listens_for_is_down_and_other_errors_are_not(dead: Database) -> None:
    answered, result = attempt(lambda: dead.engine.connect().close(), instead=None)
    assert (answered, result) == (False, None)
    with pytest.raises(IntegrityError):
        attempt(lambda: _raise(IntegrityError("INSERT", None, Exception("UNIQUE"))))
    assert not unavailable(ValueError("not a database error"))
    dead.dispose()


def test_the_live_feeds_own_psycopg_connection_counts_as_down_too() -> None:
    # The feed LISTENs on a plain psycopg connection: its errors are not SQLAlchemy's.
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect(f"postgresql://root@127.0.0.1:{free_port()}/nothing", connect_timeout=2)
    assert unavailable(refused.value)


def test_sessions_ask_the_seam_and_judge_a_token_from_memory_while_the_database_is_down(
    dead: Database,
) -> None:
    token = Principal(
        id="u1", email="a@b.cc", role="TALLER", expires_at=utcnow() + timedelta(hours=1), token_id="j1"
    )
    sessions = Sessions(dead)
    # Never seen: the signed role stands, so staff keep working against the fallback.
    assert sessions.resolve(token) == token
    sessions.revoke(token)  # kept in memory until the database answers
    assert sessions.resolve(token) is None
    dead.dispose()


def _raise(error: Exception) -> None:
    raise error
