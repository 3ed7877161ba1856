"""Who receives the parcel: the name, phone and ID number (cédula or RIF) a courier's form asks for.

Optional on `POST /api/orders` (null or absent when unknown), kept with the order, shown to staff
and to the order's owner, printed on tickets and manifests. Like the courier's fields, they end up
on terminals and paper, so control and format characters are refused (400 naming the field)
rather than stored.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints, WithJsonSchema

from server.domain.handover import printable
from server.domain.text import NOT_BLANK, printable_schema

__all__ = [
    "ID_NUMBER_MAX",
    "NAME_MAX",
    "PHONE_MAX",
    "RecipientIdNumber",
    "RecipientName",
    "RecipientPhone",
]

NAME_MAX = 120
PHONE_MAX = 32
ID_NUMBER_MAX = 20

_PHONE = re.compile(r"[0-9 +\-]+")
# A Venezuelan cédula (V-12345678, E-…) or RIF (J-12345678-9), with or without dots; a passport too.
_ID_NUMBER = re.compile(r"[A-Za-z0-9.\- ]+")


def _with_digits(pattern: re.Pattern[str], allowed: str) -> Any:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"may hold only {allowed}")
        if not any(ch.isdigit() for ch in value):
            raise ValueError("must contain digits")
        return value

    return check


def _text(max_length: int) -> StringConstraints:
    return StringConstraints(
        strict=True, strip_whitespace=True, min_length=1, max_length=max_length, pattern=NOT_BLANK
    )


RecipientName = Annotated[
    str, _text(NAME_MAX), AfterValidator(printable), WithJsonSchema(printable_schema(NAME_MAX))
]
RecipientPhone = Annotated[
    str, _text(PHONE_MAX), AfterValidator(_with_digits(_PHONE, "digits, spaces, + and -"))
]
RecipientIdNumber = Annotated[
    str,
    _text(ID_NUMBER_MAX),
    AfterValidator(_with_digits(_ID_NUMBER, "letters, digits, '-', '.' and spaces")),
]
