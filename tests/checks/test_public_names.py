"""Every module of the three packages says what it exports (`__all__`), and exports only what it has."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import krafta_cli
import server
import tui

MODULES = sorted(
    info.name
    for package in (server, krafta_cli, tui)
    for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + ".")
    if ".migrations" not in info.name and not info.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_module_declares_all_and_defines_each_name(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert isinstance(exported, list), f"{name} has no __all__"
    missing = [n for n in exported if not hasattr(module, n)]
    assert missing == [], f"{name}.__all__ names what it does not define: {missing}"
