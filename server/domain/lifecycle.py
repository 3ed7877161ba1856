"""The order lifecycle: statuses, the pipeline, and who may make each move.

Pure Python, no I/O: the HTTP layer asks `check_move` before it writes and `next_statuses` for what
to offer each caller, so no client carries a copy of these rules. `plan_move` says what a move
changes (status, history entry, payments confirmed); the database, the fallback and the demo seed
all apply that one plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from server.domain.errors import ErrorCode

__all__ = [
    "CLOSED",
    "PIPELINE",
    "STAFF_ROLES",
    "MovePlan",
    "MoveRefused",
    "Role",
    "Status",
    "check_move",
    "check_new_payment",
    "moves_of",
    "next_statuses",
    "plan_move",
]


class Status(StrEnum):
    PENDING = "PENDING"
    REPORTED = "REPORTED"
    CONFIRMED = "CONFIRMED"
    IN_PRODUCTION = "IN_PRODUCTION"
    READY = "READY"
    HANDED_TO_DELIVERY = "HANDED_TO_DELIVERY"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class Role(StrEnum):
    ADMIN = "ADMIN"
    TALLER = "TALLER"
    CLIENTE = "CLIENTE"
    CREADOR = "CREADOR"


STAFF_ROLES = frozenset({Role.ADMIN, Role.TALLER})
CLOSED = frozenset({Status.COMPLETED, Status.CANCELLED})

PIPELINE: tuple[Status, ...] = (
    Status.PENDING,
    Status.REPORTED,
    Status.CONFIRMED,
    Status.IN_PRODUCTION,
    Status.READY,
    Status.HANDED_TO_DELIVERY,
    Status.COMPLETED,
)

# Each step and the roles allowed to make it. Verifying a payment is an ADMIN's call, and so is
# rejecting it (REPORTED → PENDING, listed last so the pipeline step is offered first); production
# steps are the workshop's too. PENDING → REPORTED happens only when new payment evidence is
# submitted (`check_new_payment`), never through a status change.
_STEPS: dict[tuple[Status, Status], frozenset[Role]] = {
    (Status.REPORTED, Status.CONFIRMED): frozenset({Role.ADMIN}),
    (Status.CONFIRMED, Status.IN_PRODUCTION): STAFF_ROLES,
    (Status.IN_PRODUCTION, Status.READY): STAFF_ROLES,
    (Status.READY, Status.HANDED_TO_DELIVERY): STAFF_ROLES,
    (Status.HANDED_TO_DELIVERY, Status.COMPLETED): STAFF_ROLES,
    (Status.REPORTED, Status.PENDING): frozenset({Role.ADMIN}),
}
# A rejection is the customer's only news of what was wrong with the payment: it needs a reason.
_REJECTION = (Status.REPORTED, Status.PENDING)
_CANCELLERS = frozenset({Role.ADMIN})


class MoveRefused(Exception):
    """A status change the lifecycle does not allow.

    `code` is `FORBIDDEN` when the role may never make this move, `CONFLICT` when the move is not
    possible from the order's current status, `INVALID` when the request itself is incomplete.
    """

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode,
        current: Status | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        # The order's status when the move was refused (a conflict answer carries it).
        self.current = current
        # For `INVALID`: the request fields at fault and what is wrong with each.
        self.fields = dict(fields or {})


def next_statuses(status: Status | str, role: Role | str | None) -> list[Status]:
    """The statuses `role` may move an order in `status` to: pipeline step first, `CANCELLED` last."""
    current = Status(status)
    try:
        who = Role(role) if role is not None else None
    except ValueError:
        return []
    if who is None:
        return []
    moves = [to for (frm, to), roles in _STEPS.items() if frm == current and who in roles]
    if current not in CLOSED and who in _CANCELLERS:
        moves.append(Status.CANCELLED)
    return moves


def moves_of(role: Role | str | None) -> dict[str, list[str]]:
    """Every status with the moves `role` may make from it (`next_statuses`), as `GET /api/auth/me`
    publishes them: a board knows which columns its user works in before any order is there."""
    return {status.value: [to.value for to in next_statuses(status, role)] for status in Status}


def check_move(
    current: Status | str,
    target: Status | str,
    role: Role | str,
    *,
    force: bool = False,
    note: str | None = None,
) -> None:
    """Raise `MoveRefused` unless `role` may move an order from `current` to `target`."""
    frm, to, who = Status(current), Status(target), Role(role)
    if who not in STAFF_ROLES:
        raise MoveRefused(f"the {who} role may not change an order's status", code=ErrorCode.FORBIDDEN)
    if force:
        if who is not Role.ADMIN:
            raise MoveRefused("only an ADMIN may force a status correction", code=ErrorCode.FORBIDDEN)
        if not (note and note.strip()):
            raise MoveRefused(
                "a forced correction needs a note saying why",
                code=ErrorCode.INVALID,
                fields={"note": "required with force"},
            )
        if frm == to:
            raise MoveRefused(f"the order is already {to}", code=ErrorCode.CONFLICT)
        return
    if to in next_statuses(frm, who):
        if (frm, to) == _REJECTION and not (note and note.strip()):
            raise MoveRefused(
                "a rejected payment needs a note saying why (the customer is shown it)",
                code=ErrorCode.INVALID,
                fields={"note": "required when rejecting a payment"},
            )
        return
    # Tell a role apart from a state problem: a TALLER asking for a move only an ADMIN makes is a 403,
    # a move nobody can make from here (a skipped stage, a closed order) is a 409.
    if any(to in next_statuses(frm, other) for other in Role):
        raise MoveRefused(
            f"the {who} role may not move an order from {frm} to {to}", code=ErrorCode.FORBIDDEN
        )
    if to == Status.CANCELLED and who not in _CANCELLERS:
        raise MoveRefused(f"the {who} role may not cancel orders", code=ErrorCode.FORBIDDEN)
    if (frm, to) in _STEPS and who not in _STEPS[(frm, to)]:
        raise MoveRefused(
            f"the {who} role may not move an order from {frm} to {to}", code=ErrorCode.FORBIDDEN
        )
    raise MoveRefused(f"an order cannot move from {frm} to {to}", code=ErrorCode.CONFLICT)


@dataclass(frozen=True)
class MovePlan:
    """What one allowed move changes on an order; applied as-is by every store.

    `extra` carries move data beyond the status (e.g. a courier and tracking number with a move to
    HANDED_TO_DELIVERY); stores write what the order's shape declares for it.
    """

    from_status: Status
    to_status: Status
    note: str | None
    forced: bool
    # Confirming an order confirms its reported payment submissions, in the same write.
    confirms_payments: bool
    # Rejecting a payment (REPORTED → PENDING) rejects the latest reported one, with the note.
    rejects_payment: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


def plan_move(
    current: Status | str,
    target: Status | str,
    role: Role | str,
    *,
    force: bool = False,
    note: str | None = None,
    expected: Status | str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> MovePlan:
    """The plan for moving an order from `current` to `target`, or `MoveRefused`.

    `expected` is the status the caller saw: a different current status means someone else moved
    the order first (a conflict), whatever the move itself.
    """
    if expected is not None and Status(expected) != Status(current):
        raise MoveRefused(
            f"order is {current}, not {expected}: it was moved by someone else",
            code=ErrorCode.CONFLICT,
            current=Status(current),
        )
    try:
        check_move(current, target, role, force=force, note=note)
    except MoveRefused as refused:
        refused.current = Status(current)
        raise
    to = Status(target)
    return MovePlan(
        from_status=Status(current),
        to_status=to,
        note=note or None,
        forced=force,
        confirms_payments=to is Status.CONFIRMED,
        rejects_payment=(Status(current), to) == _REJECTION,
        extra=dict(extra or {}),
    )


def check_new_payment(current: Status | str) -> None:
    """Raise `MoveRefused` unless an order in `current` takes new payment evidence (PENDING → REPORTED).

    Who may send it (the order's owner or its token's holder) is the caller's check; this is the
    state's: only an order whose payment was rejected is waiting for evidence.
    """
    if Status(current) is not Status.PENDING:
        raise MoveRefused(
            f"the order is {current}: new payment evidence is taken only while it is PENDING "
            "(after a rejected payment)",
            code=ErrorCode.CONFLICT,
            current=Status(current),
        )
