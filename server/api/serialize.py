"""JSON out: orders and answers serialised straight to bytes with orjson.

The order's fields and their conversions live in `server/domain/shape.py`; what each caller is
shown in `server/domain/audience.py`. This module only turns finished values into response bytes.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response

__all__ = ["JsonBytes", "dump"]


def dump(value: Any) -> str:
    return orjson.dumps(value).decode()


class JsonBytes(Response):
    """A JSON answer rendered by orjson (FastAPI's default encoder walks every value in Python)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
