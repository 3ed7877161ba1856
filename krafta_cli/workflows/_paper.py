"""Where printed paper goes: a PDF or CSV from the server, saved to a file the operator is told about.

Shared by `krafta orders ticket|manifest` and the board's `p` (sending a file to `lp` is the CLI's).
A file name of our choosing (`tickets-2026-12-05.pdf`) never replaces an earlier file: the next free
`-2`, `-3`… is taken, so the morning's batch is not lost to the afternoon's. A name the operator
gave is theirs to replace.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

__all__ = ["save_new", "save_to", "tickets_name"]


def tickets_name(today: date) -> str:
    return f"tickets-{today.isoformat()}.pdf"


def save_new(content: bytes, name: str, folder: Path) -> Path:
    """Write `content` under `name` in `folder`, or `<stem>-2<suffix>`… when that name is taken."""
    stem, suffix = Path(name).stem, Path(name).suffix
    for n in range(1, 10_000):
        path = folder / (name if n == 1 else f"{stem}-{n}{suffix}")
        try:
            # O_EXCL: two boards printing at once never write into the same file.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        return path.resolve()
    raise FileExistsError(f"{folder / name} and 9,998 numbered copies exist already")


def save_to(content: bytes, path: Path) -> Path:
    """Write `content` to `path` (replacing it), whole or not at all."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)
    return path.resolve()
