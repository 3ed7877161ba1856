"""An order edit: what one operation does to one order, in the record's own terms.

An operation on an existing order is a plan applied to it: `decide(record) -> OrderEdit`, a pure
function of the order's current staff record (wire shape, read only) that returns the edit, or
raises the refusal (`MoveRefused`, an `ApiError`). Every store applies the same edit: the database's
the SQL inside the transaction that read the record (`storage/database.py`), the fallback and
the demo seed in memory (`apply_edit`). So an operation is written once, as its `decide`, and is
stored the same way wherever the order lives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from server.domain.changes import ChangeKind
from server.domain.desk import check_confirm
from server.domain.lifecycle import MovePlan, Status, check_new_payment
from server.domain.principal import Principal
from server.domain.records import history_entry, move_entry, moved, reviewer
from server.domain.shape import iso

__all__ = ["Decide", "OrderEdit", "apply_edit", "evidence_edit", "move_edit"]


@dataclass(frozen=True)
class OrderEdit:
    """What one operation changes on one order (wire names throughout).

    `fields`: order fields set (a group, like `delivery`, by its name as an object); `entries`:
    history entries appended (`records.history_entry`); `payments`: fields set on existing payments,
    by payment id; `new_payments`: payment records added. `kind` is the change the live stream
    announces.
    """

    kind: ChangeKind
    fields: Mapping[str, Any] = field(default_factory=dict)
    entries: tuple[Mapping[str, Any], ...] = ()
    payments: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    new_payments: tuple[Mapping[str, Any], ...] = ()


Decide = Callable[[Mapping[str, Any]], OrderEdit]


def apply_edit(record: dict[str, Any], edit: OrderEdit) -> None:
    """Apply an edit to a record in memory (the fallback's, the demo seed's, the writer's answer)."""
    record.update(edit.fields)
    record["history"].extend(dict(entry) for entry in edit.entries)
    for payment in record["payments"]:
        if payment["id"] in edit.payments:
            payment.update(edit.payments[payment["id"]])
    record["payments"].extend(dict(payment) for payment in edit.new_payments)


def move_edit(plan: MovePlan, actor: Principal | None, at: datetime, record: Mapping[str, Any]) -> OrderEdit:
    """A status change: the fields a move sets, its history entry, and — when it confirms the order —
    every payment still REPORTED confirmed by the mover (unless its reference is reused and the move
    is not forced: `desk.check_confirm`); when it rejects the payment, the latest
    REPORTED one rejected by the mover with the move's note as its reason (the earlier ones, if any,
    were superseded by it and stay as they are)."""
    verdict = {"reviewedAt": iso(at), "reviewedBy": reviewer(actor)}
    reported = [p for p in record["payments"] if p["status"] == "REPORTED"]
    payments: dict[str, Mapping[str, Any]] = {}
    if plan.confirms_payments:
        check_confirm(record, forced=plan.forced)
        payments = {p["id"]: {"status": "CONFIRMED", **verdict} for p in reported}
    elif plan.rejects_payment and reported:
        latest = max(reported, key=lambda p: p["reportedAt"])
        payments = {latest["id"]: {"status": "REJECTED", **verdict, "rejectReason": plan.note}}
    fields = moved(plan, at)
    if record.get("dueAt") is not None:
        # A move's `dueAt` (the confirmation's default promise, `planning.Calendar.due_from`) never
        # replaces a day staff already set.
        fields.pop("dueAt", None)
    return OrderEdit("order.status_changed", fields, (move_entry(plan, actor, at),), payments)


def evidence_edit(
    payment: Mapping[str, Any], actor: Principal | None, at: datetime, record: Mapping[str, Any]
) -> OrderEdit:
    """New payment evidence on a PENDING order (else `MoveRefused`, a conflict): the payment added
    as REPORTED (the rejected ones stay), the order back to REPORTED with its clock restarted, and a
    history entry PENDING → REPORTED by the customer (`actor`; None for a token's holder, a guest)."""
    check_new_payment(record["status"])
    entry = history_entry(
        from_status=Status.PENDING, to_status=Status.REPORTED, actor=actor, note="new payment evidence", at=at
    )
    fields = {"status": Status.REPORTED.value, "updatedAt": iso(at), "enteredStatusAt": iso(at)}
    return OrderEdit("order.status_changed", fields, (entry,), new_payments=(payment,))
