"""Who is shown what of an order: its audience. Staff are shown all of every order; customers only
their own orders, trimmed (history entries with from, to and when — no who, no notes; payments
without `reviewedBy`); everyone the `nextStatuses` their role may pick. Used by every endpoint and
by live events.

What staff are shown also says whether the order is `stuck` by the server's rules
(`KRAFTA_STUCK_AFTER`, `server.domain.stuck`), so the CLI and the board agree; customers are not.
(The client's `krafta_cli/view.py` is another thing: how an order reads on a terminal.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

import orjson

from server.domain.lifecycle import STAFF_ROLES, next_statuses
from server.domain.principal import Principal
from server.domain.shape import CHILDREN, ORDER
from server.domain.stuck import StuckRules

__all__ = ["is_staff", "shown_to", "staff_json", "visible_to"]

_HIDDEN = {part.key: frozenset(f.wire for f in part.fields if f.staff_only) for part in CHILDREN}
_HIDDEN_OWN = tuple(f.wire for f in ORDER.fields if f.staff_only)


def is_staff(viewer: Principal) -> bool:
    return viewer.role in STAFF_ROLES


def visible_to(order: dict[str, Any], viewer: Principal) -> bool:
    return is_staff(viewer) or order.get("userId") == viewer.id


@cache
def _next(status: str, role: str) -> tuple[str, ...]:
    return tuple(str(s) for s in next_statuses(status, role))


def shown_to(
    order: dict[str, Any],
    viewer: Principal,
    stuck: StuckRules | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The order (a fresh record, changed in place) as `viewer` is shown it, with `nextStatuses`.

    With `stuck` rules, what staff are shown also carries `stuck: true|false` as of `now`.
    """
    if not is_staff(viewer):
        for wire in _HIDDEN_OWN:
            order.pop(wire, None)
        for key, hidden in _HIDDEN.items():
            if hidden and key:
                order[key] = [{k: v for k, v in row.items() if k not in hidden} for row in order[key]]
    elif stuck is not None:
        order["stuck"] = stuck.is_stuck(order, now or datetime.now(UTC))
    order["nextStatuses"] = list(_next(order["status"], str(viewer.role)))
    return order


@cache
def _next_json(status: str, role: str) -> bytes:
    return b',"nextStatuses":' + orjson.dumps(list(_next(status, role))) + b"}"


def staff_json(order_json: str, status: str, viewer: Principal, stuck: bool) -> bytes:
    """What staff are shown, from the order's JSON text as the database built it (`order_json.py`):
    the same fields `shown_to` adds for staff, spliced in before the closing brace."""
    flag = b',"stuck":true' if stuck else b',"stuck":false'
    return order_json.encode()[:-1] + flag + _next_json(status, str(viewer.role))
