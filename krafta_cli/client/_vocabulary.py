"""The API's names for order statuses and user roles: the clients' one copy of them.

The server's `server/domain/lifecycle.py` is where they are defined; clients cannot import it (the CLI
must start without the server stack), so they keep this copy and `tests/unit/test_vocabulary.py`
fails the moment the two differ. Which moves are allowed is *not* here: the server says it per
order in `nextStatuses`.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CLOSED_STATUSES", "OPEN_STATUSES", "PIPELINE", "STATUS_MEANINGS", "Role", "Status"]


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
"""Statuses with staff work left: the board's columns. PENDING carries no payment yet, so no
staff member can act on it (`POST /api/orders` never creates one)."""

CLOSED_STATUSES: tuple[Status, ...] = (Status.COMPLETED, Status.CANCELLED)

STATUS_MEANINGS: dict[Status, str] = {
    Status.PENDING: "created without payment evidence (POST /api/orders never makes one: nothing to do)",
    Status.REPORTED: "the customer reported a payment, an ADMIN checks it",
    Status.CONFIRMED: "payment verified, waiting for production",
    Status.IN_PRODUCTION: "the workshop is producing it",
    Status.READY: "produced, ready for pickup or dispatch",
    Status.HANDED_TO_DELIVERY: "handed to a courier",
    Status.COMPLETED: "delivered and closed",
    Status.CANCELLED: "cancelled by an ADMIN",
}
"""One line per status, for help texts (`krafta orders list --help`)."""
