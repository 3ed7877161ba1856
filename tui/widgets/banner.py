"""The "offline — retrying" strip shown across the board while the server does not answer."""

from __future__ import annotations

from textual.widgets import Static

from krafta_cli.literal import literal

__all__ = ["OfflineBanner"]


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
