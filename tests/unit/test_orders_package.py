"""`server/orders/` says what each module holds: the service's docstring maps every operation the
routes call to the module that does it, and that claim is checked here against the code."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from pathlib import Path

from server.orders import service
from server.orders.service import OrderService
from server.storage.db import Database
from server.storage.files import FallbackStore
from server.storage.seam import OrderStorage

ROW = re.compile(r"^\s{4}(\w+)\s+(\w+)\.py\s+\S", re.MULTILINE)


def _handed_to(front: OrderService, operation: str) -> str:
    """The module an operation of the front hands over to (its one statement calls into it)."""
    source = textwrap.dedent(inspect.getsource(getattr(OrderService, operation)))
    function = ast.parse(source).body[0]
    assert isinstance(function, ast.FunctionDef) and len(function.body) == 1, f"{operation} only hands over"
    call = function.body[0].value  # type: ignore[attr-defined]
    target = call.func.value  # `moves` in moves.advance(...), `self._lists` in self._lists.page(...)
    if isinstance(target, ast.Name):
        return str(target.id)
    return type(getattr(front, target.attr)).__module__.rsplit(".", 1)[-1]


def test_each_operation_lives_in_the_module_the_service_docstring_names(tmp_path: Path) -> None:
    table = dict(ROW.findall(service.__doc__ or ""))
    operations = {n for n, member in vars(OrderService).items() if inspect.isfunction(member)} - {"__init__"}
    assert set(table) == operations
    db = Database(f"sqlite:///{tmp_path / 'k.db'}", pool_size=1)
    try:
        front = OrderService(OrderStorage(db, FallbackStore(tmp_path / "fallback")))
        assert {operation: _handed_to(front, operation) for operation in operations} == table
    finally:
        db.dispose()
