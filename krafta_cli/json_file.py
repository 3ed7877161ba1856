"""Reading the JSON files commands take (`orders create --file`, `catalog import`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from krafta_cli.errors_cli import InputError

__all__ = ["MAX_FILE_BYTES", "read_json_file"]

# The server refuses bodies over 5 MB; refusing bigger files here saves the upload.
MAX_FILE_BYTES = 5 * 1024 * 1024


def read_json_file(path: str, *, what: str) -> Any:
    """The parsed JSON in `path` (`-` = stdin); any problem is an InputError naming the file."""
    name = "stdin" if path == "-" else path
    try:
        if path == "-":
            text = sys.stdin.read(MAX_FILE_BYTES + 1)
        else:
            file = Path(path)
            if file.is_dir():
                raise InputError(f"cannot read {what} {name}: it is a directory")
            with file.open(encoding="utf-8") as handle:
                text = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError as exc:
        raise InputError(f"cannot read {what} {name}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} {name} is not UTF-8 text") from exc
    except OSError as exc:
        raise InputError(f"cannot read {what} {name}: {exc.strerror or exc}") from exc
    if len(text) > MAX_FILE_BYTES:
        raise InputError(f"{what} {name} is larger than 5 MB")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{what} {name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
