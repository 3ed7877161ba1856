"""A board column: one status, its count in the title, and its cards painted on demand.

It is a line-API `ScrollView`: `render_line` paints only the rows on screen, so a column of
2,000 orders costs what a column of ten does (see `tui.widgets.card` for the measurement).
The column holds a cursor but never the keyboard focus; the board screen moves it, so the same
keys work whichever column is active.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from krafta_cli.literal import literal
from krafta_cli.view import status_label
from tui.presentation import OrderSummary, card_text
from tui.widgets.card import CARD_HEIGHT, CardStyles, paint_card

__all__ = ["OrderColumn"]


class OrderColumn(ScrollView, can_focus=False):
    """The cards of one status, newest first, with a cursor the board screen drives."""

    COMPONENT_CLASSES = {
        "card--cursor",
        "card--cursor-idle",
        "card--number",
        "card--muted",
        "card--old",
        "card--stuck",
        "card--bar",
        "card--bar-stuck",
        "card--marked",
        "card--rush",
        "card--hold",
    }

    active: reactive[bool] = reactive(False)
    """Is this the column the keys act on (its cursor is drawn bright)?"""

    class Picked(Message):
        """A card was clicked (`open` on a double click)."""

        def __init__(self, column: OrderColumn, index: int, *, open: bool) -> None:
            super().__init__()
            self.column = column
            self.index = index
            self.open = open

    def __init__(
        self,
        status: str,
        *,
        clock: Callable[[], datetime],
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=f"column -{status.lower().replace('_', '-')}")
        self.status = status
        self._more = False
        self._painted_minute: datetime | None = None
        self._clock = clock
        self._orders: list[OrderSummary] = []
        self._cursor = 0
        self._painted: dict[int, list[Strip]] = {}
        self._styles: CardStyles | None = None
        self._marked: frozenset[str] = frozenset()
        self._stuck: frozenset[str] = frozenset()
        self.border_title = literal(status_label(status))
        self._update_title()

    # -- data ----------------------------------------------------------------------------------

    @property
    def orders(self) -> Sequence[OrderSummary]:
        return self._orders

    @property
    def cursor(self) -> int:
        return self._cursor

    @property
    def selected(self) -> OrderSummary | None:
        return self._orders[self._cursor] if 0 <= self._cursor < len(self._orders) else None

    def set_orders(
        self, orders: Sequence[OrderSummary], *, keep_id: str | None = None, more: bool = False
    ) -> None:
        """Show `orders`; the cursor stays on the order `keep_id` if still here, else on its row.

        `more`: these are only the newest orders of the status (the count reads "40+").
        """
        fresh = list(orders)
        minute = self._clock().replace(second=0, microsecond=0)
        if fresh == self._orders and more == self._more and minute == self._painted_minute:
            # Most refreshes change nothing; repainting anyway cost a full frame (~60 ms with
            # five long columns) during which a key press would wait.
            return
        self._painted_minute = minute
        self._orders = fresh
        self._more = more
        if keep_id is not None:
            index = next((i for i, o in enumerate(self._orders) if o.id == keep_id), None)
            if index is not None:
                self._cursor = index
        self._cursor = max(0, min(self._cursor, len(self._orders) - 1))
        self._update_title()
        # Only the height changes: the scroll offset is kept, so an operator reading the middle
        # of a long column is not thrown back to the top by the five-second refresh.
        height = Size(0, len(self._orders) * CARD_HEIGHT)
        if height != self.virtual_size:
            self.virtual_size = height
        self._repaint()
        if self.active:
            self.scroll_to_cursor()

    def set_marked(self, ids: frozenset[str]) -> None:
        """Paint the cards of `ids` as marked (space); repaints only when this column's marks changed."""
        mine = frozenset(o.id for o in self._orders if o.id in ids)
        if mine != self._marked:
            self._marked = mine
            self._repaint()

    def set_stuck(self, ids: frozenset[str]) -> None:
        """Paint the cards of `ids` as stuck; repaints only when this column's stuck cards changed."""
        mine = frozenset(o.id for o in self._orders if o.id in ids)
        if mine != self._stuck:
            self._stuck = mine
            self._repaint()

    def move_cursor(self, delta: int) -> None:
        self.set_cursor(self._cursor + delta)

    def set_cursor(self, index: int) -> None:
        index = max(0, min(index, len(self._orders) - 1))
        if index != self._cursor:
            self._cursor = index
            self._repaint()
        self.scroll_to_cursor()

    def scroll_to_cursor(self) -> None:
        if not self._orders:
            return
        region = Region(0, self._cursor * CARD_HEIGHT, max(1, self.size.width), CARD_HEIGHT)
        self.scroll_to_region(region, animate=False, immediate=True, x_axis=False)

    def _update_title(self) -> None:
        # A capped column says so: "100+" rather than a misleading "100".
        self.border_subtitle = f"{len(self._orders)}{'+' if self._more else ''}"

    # -- painting ------------------------------------------------------------------------------

    def _repaint(self) -> None:
        self._painted.clear()
        self.refresh()

    def repaint(self) -> None:
        """Paint again (the clock moved on, or the theme changed)."""
        self._styles = None
        self._repaint()

    def watch_active(self) -> None:
        self.set_class(self.active, "-active")
        self._styles = None
        self._repaint()

    def on_resize(self) -> None:
        self._repaint()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._painted.clear()

    def _card_styles(self) -> CardStyles:
        if self._styles is None:
            # Resolved in full (so translucent theme colours are blended with the column's
            # background), then split: text styles keep only their colour and weight, so that
            # they never paint over the cursor's background.
            def text(name: str) -> Style:
                full = self.get_component_rich_style(name)
                return Style(color=full.color, bold=full.bold, italic=full.italic, dim=full.dim)

            def background(name: str) -> Style:
                return Style(bgcolor=self.get_component_rich_style(name).bgcolor)

            self._styles = CardStyles(
                base=self.rich_style,
                cursor=background("card--cursor" if self.active else "card--cursor-idle"),
                number=text("card--number"),
                muted=text("card--muted"),
                old=text("card--old"),
                stuck=text("card--stuck"),
                bar=text("card--bar"),
                bar_stuck=text("card--bar-stuck"),
                marked=text("card--marked"),
                rush=text("card--rush"),
                hold=text("card--hold"),
            )
        return self._styles

    def _card(self, index: int, width: int) -> list[Strip]:
        strips = self._painted.get(index)
        if strips is None or (strips and strips[0].cell_length != width):
            order = self._orders[index]
            card = card_text(order, self._clock(), stuck=order.id in self._stuck)
            strips = paint_card(
                self.app.console,
                card,
                width,
                self._card_styles(),
                cursor=index == self._cursor,
                marked=order.id in self._marked,
            )
            self._painted[index] = strips
        return strips

    def render_line(self, y: int) -> Strip:
        # The content region, not self.size: a vertical scrollbar takes cells the card must not count on.
        width = self.scrollable_content_region.width
        row = int(self.scroll_offset.y) + y
        index, line = divmod(row, CARD_HEIGHT)
        if not self._orders:
            return self._note("no orders" if y == 1 else "", width)
        if index >= len(self._orders):
            return Strip.blank(width, self.rich_style)
        return self._card(index, width)[line]

    def _note(self, text: str, width: int) -> Strip:
        styles = self._card_styles()
        line = Text.assemble((f" {text}", styles.muted), no_wrap=True, end="")
        return (
            Strip(list(line.render(self.app.console)))
            .apply_style(styles.base)
            .crop_extend(0, width, styles.base)
        )

    # -- mouse ---------------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = (offset.y + int(self.scroll_offset.y)) // CARD_HEIGHT
        if 0 <= index < len(self._orders):
            event.stop()
            self.post_message(self.Picked(self, index, open=event.chain >= 2))
