"""The clients' status and role names are the server's: this test fails the moment they drift.

`krafta_cli.client` keeps its own copy (the CLI must start without importing the server stack);
only this test imports both.
"""

from __future__ import annotations

import pytest

from krafta_cli.client import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    PIPELINE,
    STATUS_MEANINGS,
    Role,
    Status,
    UnknownName,
    order_ref,
    parse_role,
    parse_status,
)
from krafta_cli.commands import board
from server import demo
from server.domain import lifecycle, numbers


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


# ---- numbers and statuses as people type them (issue 19, finding 5) ---------------------------------------

# (typed, the order number it means or None): one table for the client's reading and the server's.
TYPED_NUMBERS = (
    ("246177", "KRFT-246177"),
    ("krft-246177", "KRFT-246177"),
    ("KRFT-246177", "KRFT-246177"),
    ("  Krft-246177\n", "KRFT-246177"),
    ("KRFT 246177", "KRFT-246177"),
    ("krft246177", "KRFT-246177"),
    ("000042", "KRFT-000042"),
    ("24617", None),
    ("2461777", None),
    ("KRFT-2461777", None),
    ("KRFT--246177", None),
    ("KR-246177", None),
    ("٢٤٦١٧٧", None),  # Arabic-Indic digits are digits to \d, not to an order number
    ("0d3e3c1a-5b7e-4c61-9b0a-1f2e3d4c5b6a", None),
    ("", None),
)


@pytest.mark.parametrize(("typed", "number"), TYPED_NUMBERS)
def test_the_clients_and_the_server_read_a_typed_number_alike(typed: str, number: str | None) -> None:
    assert numbers.parse_number(typed) == number
    assert order_ref(typed) == (number or typed.strip())


@pytest.mark.parametrize(
    "typed",
    ["in production", "in-production", "IN_PRODUCTION", "In Production", " in  production ", "in_production"],
)
def test_a_status_is_read_as_people_type_it(typed: str) -> None:
    assert parse_status(typed) is Status.IN_PRODUCTION


def test_handed_to_delivery_typed_as_words() -> None:
    assert parse_status("handed to delivery") is Status.HANDED_TO_DELIVERY


@pytest.mark.parametrize(
    ("typed", "closest"), [("in prodution", "IN_PRODUCTION"), ("redy", "READY"), ("canceled", "CANCELLED")]
)
def test_a_typo_gets_did_you_mean(typed: str, closest: str) -> None:
    with pytest.raises(UnknownName) as refused:
        parse_status(typed)
    assert refused.value.closest == closest
    assert f"did you mean {closest}?" in str(refused.value)
    assert "REPORTED" in str(refused.value)  # and every name, for the one who meant something else


def test_nothing_close_gets_the_list_only() -> None:
    with pytest.raises(UnknownName) as refused:
        parse_status("shipped")
    assert refused.value.closest is None and "did you mean" not in str(refused.value)


def test_roles_too() -> None:
    assert parse_role("taller") is Role.TALLER
    with pytest.raises(UnknownName, match="did you mean TALLER"):
        parse_role("taler")
