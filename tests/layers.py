"""The test layers, and the one rule that keeps them honest: only `live` tests start real processes.

`pytest -m "not live"` is the minute-long layer (pure, in-process API, in-process CLI, board);
`live` tests start `krafta serve` processes, PostgreSQL clusters or databases, cut power and
networks. A test is `live` when it sits under `tests/live/` or carries the mark (a PostgreSQL
parameter is `pytest.param("postgres", marks=pytest.mark.live)`). Forgetting is impossible:
whatever starts a server process or touches PostgreSQL calls `require_live()`, which fails any
test that is not marked — with the line that says how to mark it.
"""

from __future__ import annotations

import pytest

__all__ = ["LIVE_DIR", "mark_current", "require_live"]

LIVE_DIR = "live"

_current: dict[str, object] = {"live": True, "name": ""}


def mark_current(item: pytest.Item) -> None:
    """Called before each test's fixtures are set up (tests/conftest.py)."""
    _current["live"] = item.get_closest_marker("live") is not None
    _current["name"] = item.nodeid


def require_live(what: str) -> None:
    """Fail the current test unless it is `live`: `what` (e.g. "starts `krafta serve`") is for live tests."""
    if not _current["live"]:
        pytest.fail(
            f"{_current['name']} {what}, which only `live` tests may do: move it to tests/live/, or mark "
            "it (`@pytest.mark.live`, or `pytest.param('postgres', marks=pytest.mark.live)`), or use the "
            "in-process fixtures (tests/api: `server`; tests/cli and tests/tui: `sqlite_server`).",
            pytrace=False,
        )
