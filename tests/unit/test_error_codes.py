"""Domain refusals carry an `ErrorCode`; the HTTP edge maps each code to one status (`api.errors.STATUS`).

The table in docs/API.md is what clients read: it must name every code with the status the server
answers, so a code added or re-mapped without the docs (or the docs without the code) fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from server.api.errors import STATUS, NoStaffSession, error_response, status_of
from server.domain.errors import (
    ApiError,
    Conflict,
    ErrorCode,
    Invalid,
    NotStored,
    RateLimited,
)
from server.domain.handover import check_handover
from server.domain.lifecycle import MoveRefused, Status, plan_move
from server.domain.schemas import OrderIn
from server.orders.service import OrderService
from server.storage.db import Database
from server.storage.files import FallbackStore
from server.storage.migrate import upgrade
from server.storage.seam import OrderStorage
from tests.helpers import order_body

API_MD = Path(__file__).resolve().parents[2] / "docs" / "API.md"
# The codes clients saw before the codes became an enum: none may change its value or its status.
BEFORE = {
    "invalid": 400,
    "not_authenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "timeout": 408,
    "conflict": 409,
    "idempotency_conflict": 409,
    "exists": 409,
    "too_large": 413,
    "unsupported_media_type": 415,
    "rate_limited": 429,
    "unavailable": 503,
    "error": 500,
}


def _documented() -> dict[str, int]:
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d{3})", API_MD.read_text(), flags=re.MULTILINE)
    return {code: int(status) for code, status in rows}


def test_every_code_has_one_status_and_the_docs_say_which() -> None:
    assert set(STATUS) == set(ErrorCode)
    assert _documented() == {code.value: status for code, status in STATUS.items()}


def test_no_code_clients_knew_changed_its_value_or_status() -> None:
    assert {code: STATUS[ErrorCode(code)] for code in BEFORE} == BEFORE


def test_every_error_class_names_its_code_and_answers_with_its_status() -> None:
    classes = [ApiError, *_subclasses(ApiError)]
    assert {cls.code for cls in classes} == set(ErrorCode) - {ErrorCode.METHOD_NOT_ALLOWED}
    response = error_response(RateLimited("slow down", retry_after=7))
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    assert b'"code":"rate_limited"' in response.body


def _subclasses(cls: type[ApiError]) -> list[type[ApiError]]:
    found = []
    for sub in cls.__subclasses__():
        if sub is not NoStaffSession:
            found += [sub, *_subclasses(sub)]
    return found


def test_a_missing_staff_session_is_the_seeds_403_with_its_own_code() -> None:
    error = NoStaffSession("Not logged in.")
    assert error.code is ErrorCode.NOT_AUTHENTICATED and status_of(error) == 403


@pytest.mark.parametrize(
    ("current", "target", "role", "code"),
    [
        (Status.REPORTED, Status.CONFIRMED, "TALLER", ErrorCode.FORBIDDEN),
        (Status.REPORTED, Status.READY, "ADMIN", ErrorCode.CONFLICT),
    ],
)
def test_the_lifecycle_refuses_with_a_code_not_an_http_error(
    current: Status, target: Status, role: str, code: ErrorCode
) -> None:
    with pytest.raises(MoveRefused) as refused:
        plan_move(current, target, role)
    assert refused.value.code is code
    assert not isinstance(refused.value, ApiError)


def test_the_hand_over_check_refuses_with_the_invalid_code() -> None:
    with pytest.raises(Invalid) as refused:
        check_handover(Status.READY, courier="Zoom", tracking_number=None)
    assert refused.value.code is ErrorCode.INVALID and status_of(refused.value) == 400
    assert refused.value.fields == {"courier": "only with a move to HANDED_TO_DELIVERY"}


def test_an_order_that_cannot_be_stored_is_not_stored_not_a_status_conflict(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    upgrade(url)
    db = Database(url, pool_size=2)
    service = OrderService(OrderStorage(db, FallbackStore(tmp_path / "fallback")))

    def always_taken(*_: object, **__: object) -> None:
        raise IntegrityError("INSERT", None, Exception("UNIQUE constraint failed"))

    service.storage.database.insert = always_taken  # type: ignore[method-assign]
    try:
        with pytest.raises(NotStored) as refused:
            service.create(
                OrderIn.model_validate(order_body()), owner=None, idempotency_key=None, request_hash="a"
            )
    finally:
        db.dispose()
    assert not isinstance(refused.value, Conflict)
    assert refused.value.body() == {
        "success": False,
        "error": "Could not store the order; try again.",
        "code": "not_stored",
    }
    assert status_of(refused.value) == 409
