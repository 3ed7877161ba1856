"""Package attributes loaded on first use (PEP 562), for `krafta_cli.client` and `krafta_cli.workflows`.

`krafta --help` and a piped `orders list` import only what they use (issue 19's start-up): each
package names where every public name lives (`homes`) and imports that submodule when the name is
first asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    package: str, homes: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], Any]:
    """The `__getattr__` of `package`: `name` from its submodule `homes[name]`, kept in `namespace`."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        namespace[name] = value
        return value

    return __getattr__
