"""The footer, fitted to its width: keys give way whole, the least important first.

Textual's `Footer` lays its keys out in a row and clips the row at the terminal's edge: at 80
columns the board's footer stopped after `s`, so `?` (help) and `q` (quit) were never offered.
This one measures the row after each layout and hides keys until what is left fits, in the order
the screen gives: the keys it names first stay longest, the others give way first (the rightmost
of them first), and the command-palette key (the header's icon opens the palette too) before all.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

__all__ = ["FittedFooter"]


class FittedFooter(Footer):
    """A `Footer` that never cuts a key: `keep` names the actions that matter most, in order."""

    def __init__(self, *, keep: Sequence[str] = (), **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.keep = tuple(keep)

    async def recompose(self) -> None:
        await super().recompose()
        self.call_after_refresh(self._fit)

    def on_resize(self) -> None:
        # Wider again: what was hidden may fit now, so start from every key.
        self.call_after_refresh(self.recompose)

    def _rank(self, key: FooterKey, position: int) -> tuple[int, int]:
        """Lower gives way first: the palette, then unnamed keys right to left, then named ones."""
        if key.has_class("-command-palette"):
            return (-1, 0)
        if key.action in self.keep:
            return (1, -self.keep.index(key.action))
        return (0, -position)

    def _fit(self, tries: int = 20) -> None:
        if not self.is_attached:
            return
        if self.size.width == 0 or any(
            child.outer_size.width == 0 for child in self.children if child.display
        ):
            # Not laid out yet (a screen in the background is laid out later): look again then.
            if tries:
                self.call_after_refresh(self._fit, tries - 1)
            return
        keys = [child for child in self.children if isinstance(child, FooterKey)]
        ranked = sorted(range(len(keys)), key=lambda i: self._rank(keys[i], i))
        for index in ranked:
            if self._used() <= self.size.width:
                break
            keys[index].display = False

    def _used(self) -> int:
        """The cells the shown children take, the docked palette key included."""
        return sum(
            child.outer_size.width + child.styles.margin.width for child in self.children if child.display
        )
