"""The strips shown across the board: "offline — retrying" while the server does not answer, and
"database down" while it answers without its database."""

from __future__ import annotations

from datetime import datetime

from textual.widgets import Static

from krafta_cli.literal import literal

__all__ = ["DatabaseBanner", "OfflineBanner"]


class OfflineBanner(Static):
    """Hidden while the server answers; the board keeps showing its last picture underneath."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, classes="banner")
        self.display = False

    def show_offline(self, reason: str, retry_seconds: float | None) -> None:
        every = f" every {retry_seconds:g} s" if retry_seconds else ""
        # `reason` is the client's or the server's sentence: literal text, never markup.
        self.update(literal(f"offline — retrying{every} · {reason} · the board shows the last known orders"))
        self.display = True

    def clear(self) -> None:
        self.display = False


class DatabaseBanner(Static):
    """Shown while the server answers but its database does not (issue 14): the board's orders
    are the last known ones, with what the server took meanwhile (its fallback) laid over."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, classes="banner")
        self.display = False

    def show_since(self, since: datetime | None) -> None:
        if since is None:
            self.display = False
            return
        self.update(
            literal(
                f"the server's database is down since {since:%H:%M} · the board shows the last known "
                "orders and those taken meanwhile · it reloads everything when the database is back"
            )
        )
        self.display = True
