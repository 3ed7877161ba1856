"""Who is shown what of an order: its audience. Staff are shown all of every order; customers only
their own orders, trimmed (history: the status changes — `move` entries — with from, to and when,
no who, no notes; payments without `reviewedBy`; of a hold, its reason); everyone the
`nextStatuses` their role may pick. Used by every endpoint and
by live events.

What staff are shown also says whether the order is `stuck` by the server's rules
(`KRAFTA_STUCK_AFTER`, `server.domain.stuck`; a held order never is) and `late` (its promised day
has passed, `planning.late_on`), so the CLI and the board agree; customers are not.
(The client's `krafta_cli/view.py` is another thing: how an order reads on a terminal.)
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

import orjson

from server.domain.lifecycle import STAFF_ROLES, next_statuses
from server.domain.planning import Calendar, is_held, is_late
from server.domain.principal import Principal
from server.domain.shape import CHILDREN, ORDER
from server.domain.stuck import StuckRules

__all__ = ["is_staff", "shown_to", "staff_json", "visible_to"]

# What staff are shown beyond the declared fields: a payment's `sameReference` (`domain/desk.py`),
# the other orders that paid with its reference — not the customer's business.
_COMPUTED = {"payments": frozenset({"sameReference"})}
_HIDDEN = {
    part.key: frozenset(f.wire for f in part.fields if f.staff_only)
    | _COMPUTED.get(part.key or "", frozenset())
    for part in CHILDREN
}
_HIDDEN_OWN = tuple(f.wire for f in ORDER.fields if f.staff_only and f.group is None)
# Groups of the order with staff-only members (`hold`: customers see its reason only).
_HIDDEN_IN_GROUPS: dict[str, frozenset[str]] = {}
for _f in ORDER.fields:
    if _f.group and _f.staff_only:
        _HIDDEN_IN_GROUPS[_f.group] = _HIDDEN_IN_GROUPS.get(_f.group, frozenset()) | {_f.wire}
_UTC_DAYS = Calendar()


def is_staff(viewer: Principal) -> bool:
    return viewer.role in STAFF_ROLES


def visible_to(order: dict[str, Any], viewer: Principal) -> bool:
    if viewer.order_id:
        return order.get("id") == viewer.order_id  # an order token opens its order, no other
    return is_staff(viewer) or order.get("userId") == viewer.id


@cache
def _next(status: str, role: str) -> tuple[str, ...]:
    return tuple(str(s) for s in next_statuses(status, role))


def shown_to(
    order: dict[str, Any],
    viewer: Principal,
    stuck: StuckRules | None = None,
    now: datetime | None = None,
    *,
    calendar: Calendar | None = None,
) -> dict[str, Any]:
    """The order (a fresh record, changed in place) as `viewer` is shown it, with `nextStatuses`.

    What staff are shown also carries `late` as of the `calendar`'s today (the shop's, or UTC's
    without one) and, with `stuck` rules, `stuck: true|false` as of `now`.
    """
    if not is_staff(viewer):
        # Entries written before planning have no kind: every one of them was a move.
        order["history"] = [e for e in order["history"] if e.get("kind", "move") == "move"]
        for wire in _HIDDEN_OWN:
            order.pop(wire, None)
        for key, hidden in _HIDDEN.items():
            if hidden and key:
                order[key] = [{k: v for k, v in row.items() if k not in hidden} for row in order[key]]
        for group, hidden in _HIDDEN_IN_GROUPS.items():
            if order.get(group):
                order[group] = {k: v for k, v in order[group].items() if k not in hidden}
    else:
        calendar = calendar or _UTC_DAYS
        now = now or calendar.now()
        order["late"] = is_late(order, calendar.today(now))
        if stuck is not None:
            order["stuck"] = not is_held(order) and stuck.is_stuck(order, now)
    order["nextStatuses"] = list(_next(order["status"], str(viewer.role)))
    return order


@cache
def _next_json(status: str, role: str) -> bytes:
    return b',"nextStatuses":' + orjson.dumps(list(_next(status, role))) + b"}"


def staff_json(order_json: str, status: str, viewer: Principal, *, stuck: bool, late: bool) -> bytes:
    """What staff are shown, from the order's JSON text as the database built it (`order_json.py`):
    the same fields `shown_to` adds for staff, spliced in before the closing brace."""
    flags = (b',"late":true' if late else b',"late":false') + (
        b',"stuck":true' if stuck else b',"stuck":false'
    )
    return order_json.encode()[:-1] + flags + _next_json(status, str(viewer.role))
