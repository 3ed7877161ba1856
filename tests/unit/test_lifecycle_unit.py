"""`server.domain.lifecycle` against the SPEC's transition table, exhaustively: statuses × roles × targets.

The expected table is written out here from SPEC.md ("Order lifecycle"), not derived from the module
under test, so a change to the rules has to be made twice on purpose. `test_lifecycle_http.py` checks
the same table over HTTP and imports `expected_outcome` / `expected_next` from here.
"""

from __future__ import annotations

import itertools

import pytest

from server.domain.errors import ErrorCode
from server.domain.lifecycle import (
    CLOSED,
    MoveRefused,
    Role,
    Status,
    check_move,
    check_new_payment,
    next_statuses,
    plan_move,
)

__all__ = ["ALLOWED", "expected_next", "expected_outcome"]

S = Status
ADMIN, TALLER, CLIENTE, CREADOR = Role.ADMIN, Role.TALLER, Role.CLIENTE, Role.CREADOR

# SPEC: REPORTED → CONFIRMED is ADMIN's (payment verified), and so is REPORTED → PENDING (payment
# rejected, with a note); the production steps are ADMIN's or TALLER's; any non-terminal status →
# CANCELLED is ADMIN's. Nothing else, without `force`.
ALLOWED: dict[tuple[Status, Status], frozenset[Role]] = {
    (S.REPORTED, S.CONFIRMED): frozenset({ADMIN}),
    (S.REPORTED, S.PENDING): frozenset({ADMIN}),
    (S.CONFIRMED, S.IN_PRODUCTION): frozenset({ADMIN, TALLER}),
    (S.IN_PRODUCTION, S.READY): frozenset({ADMIN, TALLER}),
    (S.READY, S.HANDED_TO_DELIVERY): frozenset({ADMIN, TALLER}),
    (S.HANDED_TO_DELIVERY, S.COMPLETED): frozenset({ADMIN, TALLER}),
    (S.PENDING, S.CANCELLED): frozenset({ADMIN}),
    (S.REPORTED, S.CANCELLED): frozenset({ADMIN}),
    (S.CONFIRMED, S.CANCELLED): frozenset({ADMIN}),
    (S.IN_PRODUCTION, S.CANCELLED): frozenset({ADMIN}),
    (S.READY, S.CANCELLED): frozenset({ADMIN}),
    (S.HANDED_TO_DELIVERY, S.CANCELLED): frozenset({ADMIN}),
}

# What each staff role is offered next, pipeline step first and CANCELLED last (docs/API.md).
_NEXT: dict[tuple[Status, Role], list[Status]] = {
    (S.PENDING, ADMIN): [S.CANCELLED],
    (S.REPORTED, ADMIN): [S.CONFIRMED, S.PENDING, S.CANCELLED],
    (S.CONFIRMED, ADMIN): [S.IN_PRODUCTION, S.CANCELLED],
    (S.IN_PRODUCTION, ADMIN): [S.READY, S.CANCELLED],
    (S.READY, ADMIN): [S.HANDED_TO_DELIVERY, S.CANCELLED],
    (S.HANDED_TO_DELIVERY, ADMIN): [S.COMPLETED, S.CANCELLED],
    (S.CONFIRMED, TALLER): [S.IN_PRODUCTION],
    (S.IN_PRODUCTION, TALLER): [S.READY],
    (S.READY, TALLER): [S.HANDED_TO_DELIVERY],
    (S.HANDED_TO_DELIVERY, TALLER): [S.COMPLETED],
}


def expected_next(status: Status | str, role: Role | str | None) -> list[str]:
    """Statuses (as strings) the SPEC lets `role` move an order in `status` to; [] for customers."""
    if role is None:
        return []
    return [s.value for s in _NEXT.get((Status(status), Role(role)), [])]


def expected_outcome(frm: Status | str, to: Status | str, role: Role | str) -> str:
    """ "ok", "forbidden" (the role lacks the right: 403) or "conflict" (nobody can, from here: 409)."""
    frm, to, role = Status(frm), Status(to), Role(role)
    if role in (CLIENTE, CREADOR):
        return "forbidden"  # customers never change a status
    if role in ALLOWED.get((frm, to), frozenset()):
        return "ok"
    if ALLOWED.get((frm, to)):
        return "forbidden"  # the move exists, another role makes it (e.g. a TALLER confirming a payment)
    if to is S.CANCELLED and role is TALLER:
        return "forbidden"  # a TALLER may never cancel, whatever the status
    return "conflict"  # a skipped stage, a step backwards, a closed order, or no move at all


STATUSES = list(Status)
ROLES = list(Role)
CASES = list(itertools.product(STATUSES, STATUSES, ROLES))


def _case_id(case: tuple[Status, Status, Role]) -> str:
    frm, to, role = case
    return f"{role}:{frm}->{to}"


def test_the_expected_table_is_what_the_spec_says() -> None:
    """Spot checks written literally, so the helper above cannot drift into agreeing with a bug."""
    assert expected_outcome("REPORTED", "CONFIRMED", "ADMIN") == "ok"
    assert expected_outcome("REPORTED", "CONFIRMED", "TALLER") == "forbidden"
    assert expected_outcome("CONFIRMED", "IN_PRODUCTION", "TALLER") == "ok"
    assert expected_outcome("REPORTED", "IN_PRODUCTION", "ADMIN") == "conflict"
    assert expected_outcome("READY", "CONFIRMED", "ADMIN") == "conflict"
    assert expected_outcome("COMPLETED", "CANCELLED", "ADMIN") == "conflict"
    assert expected_outcome("CANCELLED", "REPORTED", "ADMIN") == "conflict"
    assert expected_outcome("PENDING", "REPORTED", "ADMIN") == "conflict"
    assert expected_outcome("READY", "CANCELLED", "TALLER") == "forbidden"
    assert expected_outcome("CONFIRMED", "IN_PRODUCTION", "CLIENTE") == "forbidden"
    assert expected_outcome("REPORTED", "PENDING", "ADMIN") == "ok"
    assert expected_outcome("REPORTED", "PENDING", "TALLER") == "forbidden"
    assert sum(expected_outcome(*c[:2], c[2]) == "ok" for c in CASES) == 16  # 12 for ADMIN, 4 for TALLER


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_check_move_without_force(case: tuple[Status, Status, Role]) -> None:
    frm, to, role = case
    expected = expected_outcome(frm, to, role)
    # A rejection needs its reason (test_a_rejection_needs_a_note); every other move takes one too.
    if expected == "ok":
        assert check_move(frm, to, role, note="why") is None
        return
    with pytest.raises(MoveRefused) as refused:
        check_move(frm, to, role, note="why")
    assert refused.value.code is ErrorCode(expected), str(refused.value)
    assert str(refused.value), "a refusal must say why"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_next_statuses_is_what_check_move_allows(case: tuple[Status, Status, Role]) -> None:
    frm, to, role = case
    offered = [str(s) for s in next_statuses(frm, role)]
    assert offered == expected_next(frm, role)
    # The two functions must never disagree: clients show nextStatuses, the server enforces check_move.
    assert (to.value in offered) == (expected_outcome(frm, to, role) == "ok")


@pytest.mark.parametrize("status", STATUSES)
def test_closed_orders_offer_nothing(status: Status) -> None:
    for role in ROLES:
        if status in CLOSED:
            assert next_statuses(status, role) == []
    assert (status in CLOSED) == (status in (S.COMPLETED, S.CANCELLED))


@pytest.mark.parametrize("role", [None, "NOPE", "admin "])
def test_next_statuses_for_no_or_unknown_role_is_empty(role: str | None) -> None:
    for status in STATUSES:
        assert next_statuses(status, role) == []


def test_next_statuses_accepts_plain_strings() -> None:
    assert next_statuses("REPORTED", "ADMIN") == [S.CONFIRMED, S.PENDING, S.CANCELLED]
    assert next_statuses("CONFIRMED", "TALLER") == [S.IN_PRODUCTION]


@pytest.mark.parametrize("note", [None, "", "   ", "\n\t"])
def test_a_rejection_needs_a_note(note: str | None) -> None:
    with pytest.raises(MoveRefused) as refused:
        check_move(S.REPORTED, S.PENDING, ADMIN, note=note)
    assert refused.value.code is ErrorCode.INVALID
    assert list(refused.value.fields) == ["note"]


def test_a_rejection_rejects_the_payment_and_nothing_else_does() -> None:
    rejection = plan_move(S.REPORTED, S.PENDING, ADMIN, note="no such transfer")
    forced = plan_move(S.REPORTED, S.PENDING, ADMIN, force=True, note="correction")
    confirmation = plan_move(S.REPORTED, S.CONFIRMED, ADMIN)
    cancellation = plan_move(S.REPORTED, S.CANCELLED, ADMIN)

    assert rejection.rejects_payment and not rejection.confirms_payments
    assert rejection.note == "no such transfer"
    assert forced.rejects_payment
    assert not confirmation.rejects_payment and confirmation.confirms_payments
    assert not cancellation.rejects_payment and not cancellation.confirms_payments


@pytest.mark.parametrize("status", STATUSES)
def test_new_payment_evidence_is_taken_only_while_pending(status: Status) -> None:
    if status is S.PENDING:
        assert check_new_payment(status) is None
        return
    with pytest.raises(MoveRefused) as refused:
        check_new_payment(status)
    assert refused.value.code is ErrorCode.CONFLICT
    assert refused.value.current is status


# ---- force ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("frm", "to"), list(itertools.product(STATUSES, STATUSES)), ids=lambda s: str(s))
def test_admin_force_with_note_allows_any_correction(frm: Status, to: Status) -> None:
    if frm == to:
        # Forcing an order into the status it already has would record a change that did not happen.
        with pytest.raises(MoveRefused) as refused:
            check_move(frm, to, ADMIN, force=True, note="fix")
        assert refused.value.code is ErrorCode.CONFLICT
    else:
        assert check_move(frm, to, ADMIN, force=True, note="customer called: wrong status") is None


@pytest.mark.parametrize("note", [None, "", "   ", "\n\t"])
@pytest.mark.parametrize(
    ("frm", "to"), [(S.REPORTED, S.READY), (S.COMPLETED, S.REPORTED), (S.CANCELLED, S.CONFIRMED)]
)
def test_admin_force_needs_a_note(frm: Status, to: Status, note: str | None) -> None:
    with pytest.raises(MoveRefused) as refused:
        check_move(frm, to, ADMIN, force=True, note=note)
    assert refused.value.code is ErrorCode.INVALID


@pytest.mark.parametrize("note", [None, "a perfectly good reason"])
@pytest.mark.parametrize("role", [TALLER, CLIENTE, CREADOR])
@pytest.mark.parametrize(
    ("frm", "to"), [(S.REPORTED, S.CONFIRMED), (S.CONFIRMED, S.IN_PRODUCTION), (S.READY, S.REPORTED)]
)
def test_only_admin_may_force(frm: Status, to: Status, role: Role, note: str | None) -> None:
    # Even a move the role could make unforced is refused when forced: force is an ADMIN correction.
    with pytest.raises(MoveRefused) as refused:
        check_move(frm, to, role, force=True, note=note)
    assert refused.value.code is ErrorCode.FORBIDDEN


def test_unknown_status_or_role_is_an_error_not_a_silent_yes() -> None:
    with pytest.raises(ValueError):
        check_move("REPORTED", "SHIPPED", ADMIN)
    with pytest.raises(ValueError):
        check_move("NOPE", "CONFIRMED", ADMIN)
    with pytest.raises(ValueError):
        check_move("REPORTED", "CONFIRMED", "ROOT")
