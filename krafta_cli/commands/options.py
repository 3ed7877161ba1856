"""Options shared by several command groups, declared once so their flags and help read the same."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["JsonOption", "ServerOption"]

JsonOption = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of text.")]
ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server", "-s", help="Server URL (default: KRAFTA_URL, the last login, http://127.0.0.1:8000)."
    ),
]
