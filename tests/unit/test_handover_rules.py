"""`server.domain.handover`: the courier and tracking number fields, on their own (no server)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ValidationError

from server.domain.errors import Invalid
from server.domain.handover import (
    COURIER_MAX,
    TRACKING_MAX,
    Courier,
    TrackingNumber,
    check_handover,
    delivery_of,
)
from server.domain.lifecycle import Status


class _Body(BaseModel):
    courier: Courier | None = None
    tracking: TrackingNumber | None = None


def test_good_values_are_kept_trimmed() -> None:
    body = _Body(courier="  MRW ", tracking="1234-5678-ÑA")
    assert (body.courier, body.tracking) == ("MRW", "1234-5678-ÑA")
    assert _Body(courier="x" * COURIER_MAX, tracking="9" * TRACKING_MAX).courier == "x" * COURIER_MAX


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("courier", "x" * (COURIER_MAX + 1), "at most 40"),
        ("tracking", "9" * (TRACKING_MAX + 1), "at most 64"),
        ("courier", "", "at least 1"),
        ("courier", "   ", "at least 1"),
        ("courier", "MRW\x1b[31m", "control characters"),
        ("tracking", "12\n34", "control characters"),
        ("tracking", "12\u202e34", "control characters"),  # right-to-left override
        ("tracking", "12\u200b34", "control characters"),  # zero-width space
        ("courier", "\x7f", "control characters"),
        ("courier", 12, "valid string"),
    ],
)
def test_bad_values_are_refused(field: str, value: object, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _Body(**{field: value})
    assert says in str(caught.value)


def test_courier_and_tracking_only_with_the_handover() -> None:
    check_handover(Status.HANDED_TO_DELIVERY, courier="MRW", tracking_number="1")
    check_handover(Status.HANDED_TO_DELIVERY, courier=None, tracking_number=None)
    check_handover(Status.READY, courier=None, tracking_number=None)
    with pytest.raises(Invalid) as caught:
        check_handover(Status.READY, courier=None, tracking_number="1")
    assert caught.value.fields == {"trackingNumber": "only with a move to HANDED_TO_DELIVERY"}
    with pytest.raises(Invalid) as caught:
        check_handover(Status.COMPLETED, courier="MRW", tracking_number="1")
    assert set(caught.value.fields) == {"courier", "trackingNumber"}


def test_delivery_object() -> None:
    at = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert delivery_of(None, None, None) is None
    assert delivery_of("MRW", "123", at) == {
        "courier": "MRW",
        "trackingNumber": "123",
        "handedAt": "2026-11-30T16:00:00+00:00",
    }
    assert delivery_of(None, None, at.isoformat()) == {
        "courier": None,
        "trackingNumber": None,
        "handedAt": at.isoformat(),
    }
