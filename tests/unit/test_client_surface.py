"""The client package's one public surface: names exported once, errors drawn once (as httpx does)."""

from __future__ import annotations

import re

import krafta_cli.client as client
from krafta_cli.client import _exceptions


def _tree() -> dict[str, str | None]:
    """{error name: its parent's name} as drawn in the `::` block of `_exceptions`' docstring."""
    doc = _exceptions.__doc__ or ""
    block = doc.split("::\n\n", 1)[1].split("\n\n", 1)[0]
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in block.splitlines():
        found = re.search(r"[A-Z][A-Za-z]+", line)
        assert found, line
        depth, name = found.start(), found.group()
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[name] = stack[-1][1] if stack else None
        stack.append((depth, name))
    return parents


def test_every_error_is_drawn_once_under_its_real_parent() -> None:
    errors = {
        name: obj
        for name in client.__all__
        if isinstance(obj := getattr(client, name), type) and issubclass(obj, Exception)
    }
    tree = _tree()
    assert set(tree) == set(errors), set(tree) ^ set(errors)
    for name, parent in tree.items():
        base = errors[name].__bases__[0]
        assert (base.__name__ if parent else Exception.__name__) == (parent or "Exception"), name


def test_the_package_exports_only_from_its_private_modules() -> None:
    classes = [obj for name in client.__all__ if isinstance(obj := getattr(client, name), type)]
    assert len(classes) > 10
    for cls in classes:
        assert cls.__module__.startswith("krafta_cli.client._"), cls
