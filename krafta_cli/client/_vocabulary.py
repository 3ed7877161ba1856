"""The API's names for order statuses and user roles: the clients' one copy of them.

The server's `server/domain/lifecycle.py` is where they are defined; clients cannot import it (the CLI
must start without the server stack), so they keep this copy and `tests/unit/test_vocabulary.py`
fails the moment the two differ. Which moves are allowed is *not* here: the server says it per
order in `nextStatuses`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TypeVar

from krafta_cli.client._exceptions import UnknownName

__all__ = [
    "CLOSED_STATUSES",
    "OPEN_STATUSES",
    "PIPELINE",
    "STATUS_MEANINGS",
    "Role",
    "Status",
    "order_ref",
    "parse_role",
    "parse_status",
]


class Status(StrEnum):
    """Order statuses in pipeline order, upper-case as the server writes them."""

    PENDING = "PENDING"
    REPORTED = "REPORTED"
    CONFIRMED = "CONFIRMED"
    IN_PRODUCTION = "IN_PRODUCTION"
    READY = "READY"
    HANDED_TO_DELIVERY = "HANDED_TO_DELIVERY"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class Role(StrEnum):
    """User roles as the API names them."""

    ADMIN = "ADMIN"
    TALLER = "TALLER"
    CLIENTE = "CLIENTE"
    CREADOR = "CREADOR"


PIPELINE: tuple[Status, ...] = (
    Status.PENDING,
    Status.REPORTED,
    Status.CONFIRMED,
    Status.IN_PRODUCTION,
    Status.READY,
    Status.HANDED_TO_DELIVERY,
    Status.COMPLETED,
)
"""Forward order of the statuses (CANCELLED leaves the pipeline from any open status)."""

OPEN_STATUSES: tuple[Status, ...] = (
    Status.REPORTED,
    Status.CONFIRMED,
    Status.IN_PRODUCTION,
    Status.READY,
    Status.HANDED_TO_DELIVERY,
)
"""Statuses with staff work left: the board's columns. A PENDING order waits for its customer's
new payment evidence (its payment was rejected), so no staff member can act on it but to cancel."""

CLOSED_STATUSES: tuple[Status, ...] = (Status.COMPLETED, Status.CANCELLED)

STATUS_MEANINGS: dict[Status, str] = {
    Status.PENDING: "its payment was rejected: waiting for the customer's new evidence",
    Status.REPORTED: "the customer reported a payment, an ADMIN checks it",
    Status.CONFIRMED: "payment verified, waiting for production",
    Status.IN_PRODUCTION: "the workshop is producing it",
    Status.READY: "produced, ready for pickup or dispatch",
    Status.HANDED_TO_DELIVERY: "handed to a courier",
    Status.COMPLETED: "delivered and closed",
    Status.CANCELLED: "cancelled by an ADMIN",
}
"""One line per status, for help texts (`krafta orders list --help`)."""


# An order number as people type or scan it: `246177`, `krft-246177`, `KRFT 246177`, `KRFT-246177`.
# The server reads them with the same rule (`server/domain/numbers.py::parse_number`; a test holds
# the two to one table of cases).
_ORDER_NUMBER = re.compile(r"(?:KRFT[-\s]?)?([0-9]{6})", re.IGNORECASE)


def order_ref(text: str) -> str:
    """The order an operator means: `KRFT-NNNNNN` for a number typed any of the ways people type it,
    else the text itself, stripped (an order uuid, or something the server will say it lacks)."""
    stripped = text.strip()
    number = _ORDER_NUMBER.fullmatch(stripped)
    return f"KRFT-{number.group(1)}" if number else stripped


_E = TypeVar("_E", bound=StrEnum)


def _key(text: str) -> str:
    """`in production`, `in-production`, `In_Production` → `IN_PRODUCTION`."""
    return "_".join(re.split(r"[\s_-]+", text.strip().upper())).strip("_")


def _named(kind: type[_E], text: str, what: str) -> _E:
    key = _key(text)
    for member in kind:
        if member.value == key:
            return member
    names = [member.value for member in kind]
    # Only on a miss, and rarely: difflib is not worth loading on every start.
    import difflib

    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    raise UnknownName(text, what, names, close[0] if close else None)


def parse_status(text: str) -> Status:
    """A status as people type it: any case, words joined by spaces, hyphens or underscores
    (`in production`, `in-production`, `IN_PRODUCTION`); `UnknownName` (with "did you mean") else."""
    return _named(Status, text, "status")


def parse_role(text: str) -> Role:
    """A role in any case; `UnknownName` (with "did you mean") else."""
    return _named(Role, text, "role")
