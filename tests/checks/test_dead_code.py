"""No dead code in the server: every name a server module defines at its top level is used by a
module other than its own definition (the product, or a test that drives it), and every ORM
relationship is one the product loads. Routes and handlers, registered by decorator, count as used.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from server.storage.models import Base

ROOT = Path(__file__).resolve().parents[2]
READERS = [p for d in ("server", "krafta_cli", "tui", "tests", "bench") for p in (ROOT / d).rglob("*.py")]
# Conventional names something outside the code reads: the module's logger, its router, its exports.
CONVENTIONAL = {"log", "router", "__all__"}


def _defined(tree: ast.Module) -> list[str]:
    names = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(getattr(b, "id", "") == "Base" for b in node.bases):
            continue  # a table: the metadata holds it, whatever names it in Python
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if not node.decorator_list:
                names.append(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name):
                names.append(target.id)
    return [n for n in names if n not in CONVENTIONAL]


def test_every_top_level_name_of_the_server_is_used() -> None:
    texts = {path: path.read_text() for path in READERS}
    unused = []
    for path in sorted((ROOT / "server").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        own = texts[path]
        for name in _defined(ast.parse(own)):
            word = re.compile(rf"\b{re.escape(name)}\b")
            # Used in its own module beyond the definition and `__all__`, or anywhere else.
            inside = len(word.findall(own)) - 1 - (f'"{name}"' in own)
            if inside <= 0 and not any(word.search(t) for p, t in texts.items() if p != path):
                unused.append(f"{path.relative_to(ROOT)}: {name}")
    assert unused == []


def test_every_orm_relationship_is_one_the_product_loads() -> None:
    # The order paths work on Core rows (`storage/database.py`); the catalog loads products with
    # their variants. A relationship nothing loads only suggests a way of reading orders that is not used.
    relationships = {
        f"{mapper.class_.__name__}.{rel.key}"
        for mapper in Base.registry.mappers
        for rel in mapper.relationships
    }
    assert relationships == {"Product.variants"}
