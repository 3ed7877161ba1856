"""The HTTP client shared by the `krafta` CLI and the board: one public surface.

    from krafta_cli.client import KraftaClient, Conflict, Status

* `KraftaClient` (`_client.py`): login/logout/me/viewer/health, `list_orders` (an `OrderPage`,
  with the server's stuck rules), `iter_pages`, `iter_orders`, `get_order`, `advance`, `cancel`,
  `create_order`, `tickets` and `manifest` (as `Paper`), users and catalog — every call one method.
* The errors it raises (`_exceptions.py`, whose docstring draws the tree): `KraftaError` at the
  root, `Unreachable` and `ApiError` below it, then `NotLoggedIn`, `Forbidden`, `NotFound`,
  `Conflict`, `ValidationFailed`, `RateLimited`, `ServerError`.
* Live events (`_events.py`): `KraftaClient.events()` opens the stream once (`EventStream`),
  `KraftaClient.follow_events()` keeps it open across drops; both give `OrderEvent`s.
* The API's vocabulary (`_vocabulary.py`): `Status`, `Role`, the pipeline, the open and closed
  statuses — the clients' one copy of the server's names, tied to them by a test — and the one
  reading of what people type: `order_ref` (`246177` is `KRFT-246177`), `parse_status`
  (`in production`), `parse_role`, with "did you mean" in `UnknownName`.

The private modules may move; import from here.
"""

from typing import TYPE_CHECKING

from krafta_cli.client._client import (
    DEFAULT_TIMEOUT,
    TOKEN_COOKIE,
    KraftaClient,
    LoginResult,
    Order,
    OrderPage,
    Paper,
    Viewer,
)
from krafta_cli.client._exceptions import (
    ApiError,
    Conflict,
    DatabaseDown,
    Forbidden,
    KraftaError,
    NotFound,
    NotLoggedIn,
    RateLimited,
    ServerError,
    UnknownName,
    Unreachable,
    ValidationFailed,
    error_from_response,
)
from krafta_cli.client._lazy import lazy_attributes
from krafta_cli.client._vocabulary import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    PIPELINE,
    STATUS_MEANINGS,
    Role,
    Status,
    order_ref,
    parse_role,
    parse_status,
)

if TYPE_CHECKING:
    from krafta_cli.client._events import CREATED, RESYNC, STATUS_CHANGED, EventStream, OrderEvent

_HOMES = {
    "CREATED": "_events",
    "RESYNC": "_events",
    "STATUS_CHANGED": "_events",
    "EventStream": "_events",
    "OrderEvent": "_events",
}

__all__ = [
    "CLOSED_STATUSES",
    "CREATED",
    "DEFAULT_TIMEOUT",
    "OPEN_STATUSES",
    "PIPELINE",
    "RESYNC",
    "STATUS_CHANGED",
    "STATUS_MEANINGS",
    "TOKEN_COOKIE",
    "ApiError",
    "Conflict",
    "DatabaseDown",
    "EventStream",
    "Forbidden",
    "KraftaClient",
    "KraftaError",
    "LoginResult",
    "NotFound",
    "NotLoggedIn",
    "Order",
    "OrderEvent",
    "OrderPage",
    "Paper",
    "RateLimited",
    "Role",
    "ServerError",
    "Status",
    "UnknownName",
    "Unreachable",
    "ValidationFailed",
    "Viewer",
    "error_from_response",
    "order_ref",
    "parse_role",
    "parse_status",
]


__getattr__ = lazy_attributes(__name__, _HOMES, globals())
