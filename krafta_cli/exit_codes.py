"""Exit codes of `krafta`, one place for the code, the README and the tests.

| code | meaning |
|---|---|
| 0 | success (also when the reader of stdout stopped early, as `head -1` does) |
| 1 | any other error (server error, unexpected reply, aborted; `serve`: port in use, failed start) |
| 2 | usage: a bad option or argument, or a prompt impossible without a terminal (`advance` without `--yes`) |
| 3 | authentication: not logged in, wrong password, expired or rejected token, rate limited |
| 4 | not found: no such order or user |
| 5 | conflict: the order is not in the status you expected (the message shows the current one) |
| 6 | the server cannot be reached, or its database is down (a partial list; an order out of reach) |
| 7 | forbidden: your role may not do this (a move refused by your role says why) |
| 8 | invalid input: a bad field (named in the message) or an unreadable / non-JSON input file |
| 130 | interrupted: Ctrl-C (at a prompt nothing changed; in a bulk move, what moved stays moved) |
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode"]


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    # Click/Typer already exit with 2 on usage errors; we keep that meaning for our own.
    USAGE = 2
    AUTH = 3
    NOT_FOUND = 4
    CONFLICT = 5
    UNREACHABLE = 6
    # The same code: the shop cannot be reached whole. A script must never take the fallback's
    # few orders for the whole list, nor an order out of reach for one that does not exist.
    DATABASE_DOWN = 6
    FORBIDDEN = 7
    INVALID = 8
    # 128 + SIGINT, as shells report a process ended by Ctrl-C.
    INTERRUPTED = 130
