"""One order card, painted as a few lines of a column rather than mounted as a widget.

Why not a widget per card: mounting 5,000 `Static` cards in four scrolling columns took 5.1 s
before the first paint and ~0.6 s per key press on this machine (Textual 8.2.8), against the
1.5 s / 50 ms goal. A card is therefore a fixed-height block of `Strip`s that `OrderColumn`
paints only while it is on screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from tui.presentation import CardText

__all__ = ["CARD_HEIGHT", "CARD_LINES", "CardStyles", "item_name", "paint_card"]

CARD_LINES = 4
"""Text lines of a card: number (+ RUSH) + age, place + due day, items, total + stuck or hold."""
CARD_HEIGHT = CARD_LINES + 1
"""Rows a card takes in its column, the last one a gap so cards read as separate blocks."""

_BAR = "▌ "
# A marked card (space) keeps its bar's width, so nothing on the card moves when it is marked.
_MARK = "◆ "


@dataclass(frozen=True)
class CardStyles:
    """The rich styles a column resolved from its component classes (so the .tcss decides colours)."""

    base: Style
    cursor: Style
    number: Style
    muted: Style
    old: Style
    stuck: Style
    bar: Style
    bar_stuck: Style
    marked: Style
    # Planning badges; plain unless the column resolved them (`card--rush`, `card--hold`).
    rush: Style = field(default_factory=Style)
    hold: Style = field(default_factory=Style)


def _line(console: Console, left: Text, right: Text, inner: int, background: Style) -> Strip:
    """`left` then `right` flush right on one line of `inner` cells; `left` gives way when narrow."""
    room = max(0, inner - right.cell_len - (1 if right.cell_len else 0))
    left.truncate(room, overflow="ellipsis")
    gap = max(0, inner - left.cell_len - right.cell_len)
    line = Text(no_wrap=True, end="")
    line.append_text(left)
    line.append(" " * gap)
    line.append_text(right)
    line.truncate(inner)
    strip = Strip(list(line.render(console)), line.cell_len)
    return strip.apply_style(background).extend_cell_length(inner, background)


# Below this many cells for the product's name, its variant gives way too (the name alone, cut).
_NAME_ROOM = 6


def item_name(card: CardText, room: int) -> str:
    """The item's name in `room` cells: the product is cut before its variant (`Taza de c… · L`),
    and only a card too narrow for both shows the product alone."""
    full = card.name
    if cell_len(full) <= room or not card.variant:
        return full
    tail = f" · {card.variant}"
    if room - cell_len(tail) >= _NAME_ROOM:
        head = Text(card.item)
        head.truncate(room - cell_len(tail), overflow="ellipsis")
        return head.plain + tail
    return card.item


def _shows_variant(card: CardText, room: int) -> bool:
    return cell_len(card.name) <= room or room - cell_len(f" · {card.variant}") >= _NAME_ROOM


def _item_parts(card: CardText, inner: int) -> tuple[Text, Text]:
    """The item line in `inner` cells as (name, count): the count (`× 3 +1 more`) whole, flush right
    when the name is cut. What gives way, first to last: the product's name, the word "more" (`+1`),
    the variant."""
    count = card.count
    if card.more:
        short = f"{card.quantity} +{card.more}"
        full_room, short_room = inner - cell_len(count) - 1, inner - cell_len(short) - 1
        if full_room < _NAME_ROOM or (
            not _shows_variant(card, full_room) and _shows_variant(card, short_room)
        ):
            count = short
    room = inner - cell_len(count) - 1
    if cell_len(card.name) <= room:
        # It all fits: one phrase, the count right after the name.
        return Text(f"{card.name} {count}" if count else card.name), Text()
    return Text(item_name(card, room)), Text(count)


def paint_card(
    console: Console, card: CardText, width: int, styles: CardStyles, *, cursor: bool, marked: bool = False
) -> list[Strip]:
    """The `CARD_HEIGHT` strips of one card, `width` cells wide (`marked`: picked with space)."""
    background = styles.base + styles.cursor if cursor else styles.base
    bar_style = styles.marked if marked else styles.bar_stuck if card.stuck else styles.bar
    glyph = _MARK if marked else _BAR
    if width - len(glyph) < cell_len(card.number) + 1 + cell_len(card.age):
        # Too narrow for number and age whole (a column at its narrowest, less its scrollbar): the
        # bar gives up its space, not the number.
        glyph = glyph.rstrip()
    inner = max(0, width - len(glyph))
    # assemble() makes the style a span: Text.render() ignores a Text's own base style.
    bar = Strip(list(Text.assemble((glyph, bar_style)).render(console)), len(glyph)).apply_style(background)
    age_style = styles.old if card.old else styles.muted
    # The last line's right end: a reused payment reference first (confirming it would be refused),
    # then stuck (red); a held order is never stuck, so it says why it waits.
    if card.same_reference and cell_len(card.total) + 1 + cell_len(card.same_reference) <= inner:
        flag = Text(card.same_reference, style=styles.stuck)
    elif card.same_reference:
        flag = Text("ref =", style=styles.stuck)
    elif card.stuck_for:
        flag = Text(f"stuck {card.stuck_for}", style=styles.stuck)
    elif card.hold:
        flag = Text(f"held {card.hold}", style=styles.hold)
    else:
        flag = Text()
    if card.stuck_for and not card.same_reference and cell_len(card.total) + 1 + flag.cell_len > inner:
        # The total stays whole; the red bar and colour still say stuck, the time says how long.
        flag = Text(card.stuck_for, style=styles.stuck)
    number = Text(card.number, style=styles.number)
    # The badge gives way before the number does: RUSH, else a bare "!", else nothing.
    room = inner - cell_len(card.number) - 1 - cell_len(card.age)
    badge = "RUSH" if room >= 5 else "!" if room >= 2 else ""
    if card.rush and badge:
        number.append(" ")
        number.append(badge, style=styles.rush)
    due = Text(card.due, style=styles.stuck if card.late else styles.muted)
    rows = [
        _line(console, number, Text(card.age, style=age_style), inner, background),
        _line(console, Text(card.place, style=styles.muted), due, inner, background),
        _line(console, *_item_parts(card, inner), inner, background),
        _line(console, Text(card.total), flag, inner, background),
    ]
    strips = [Strip.join([bar, row]).crop_extend(0, width, background) for row in rows]
    strips.append(Strip.blank(width, styles.base))
    return strips
