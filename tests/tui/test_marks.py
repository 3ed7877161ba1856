"""`tui.marks`: marked cards and the stuck-first order (pure, no Textual)."""

from __future__ import annotations

from dataclasses import dataclass

from tui.marks import Marks, stuck_first


@dataclass(frozen=True)
class _Card:
    id: str
    number: str
    status: str
    next_statuses: tuple[str, ...] = ()


A = _Card("a", "KRFT-000001", "CONFIRMED", ("IN_PRODUCTION", "CANCELLED"))
B = _Card("b", "KRFT-000002", "READY", ("HANDED_TO_DELIVERY",))
C = _Card("c", "KRFT-000003", "HANDED_TO_DELIVERY", ())


def test_marks_toggle_replace_and_follow_the_board() -> None:
    marks = Marks()
    assert marks.toggle("b") is True and marks.toggle("a") is True
    assert len(marks) == 2 and "a" in marks
    # In marking order, and only those still on the board.
    assert marks.on_board([A, B, C]) == [B, A]
    assert marks.on_board([A]) == [A]
    assert marks.toggle("b") is False and marks.ids == {"a"}
    marks.replace(["c", "b"])
    assert marks.on_board([A, B, C]) == [C, B]
    marks.discard(["c", "zzz"])
    assert marks.ids == {"b"}
    marks.clear()
    assert len(marks) == 0


def test_stuck_first_is_stable() -> None:
    assert stuck_first(["n1", "s1", "n2", "s2"], [False, True, False, True]) == ["s1", "s2", "n1", "n2"]
    assert stuck_first([], []) == []
