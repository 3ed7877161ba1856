"""The clients' status and role names are the server's: this test fails the moment they drift.

`krafta_cli.client` keeps its own copy (the CLI must start without importing the server stack);
only this test imports both.
"""

from __future__ import annotations

from krafta_cli.client import CLOSED_STATUSES, OPEN_STATUSES, PIPELINE, STATUS_MEANINGS, Role, Status
from krafta_cli.commands import board
from server import demo
from server.domain import lifecycle


def test_status_names_and_order_match_the_server() -> None:
    assert [s.value for s in Status] == [s.value for s in lifecycle.Status]
    assert [s.value for s in PIPELINE] == [s.value for s in lifecycle.PIPELINE]
    assert {s.value for s in CLOSED_STATUSES} == {s.value for s in lifecycle.CLOSED}


def test_role_names_match_the_server() -> None:
    assert [r.value for r in Role] == [r.value for r in lifecycle.Role]


def test_open_statuses_are_the_pipeline_after_pending_and_before_the_end() -> None:
    open_ = [s.value for s in OPEN_STATUSES]
    assert open_ == [s.value for s in lifecycle.PIPELINE if s not in lifecycle.CLOSED and s != "PENDING"]


def test_every_status_is_explained() -> None:
    assert set(STATUS_MEANINGS) == set(Status)


def test_the_demo_admin_of_krafta_demo_is_the_one_the_server_seeds() -> None:
    assert board.DEMO_ADMIN == demo.DEMO_ADMIN
