"""One meaning per word in the server's names.

* "event" is the SSE message of `GET /api/orders/events` and nothing else: an order's history holds
  *history entries*, the stores report *changes* to their hooks, the change log holds *logged
  changes*. The route module itself (`api/routes/events.py`) is all about events and is not checked.
* "view" is the client's word (`krafta_cli/view.py`: how an order reads on a terminal); what the
  server lets each caller see is its *audience* (`domain/audience.py`). Nor does the server
  "render" (the client's `render.py`): it shows an order to a caller (`shown_to`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SERVER = Path(__file__).resolve().parents[2] / "server"
# A design's preview (the image of what will be printed) is a word of its own, not a "view".
WORDS = re.compile(r"event|(?<!pre)view|render", re.IGNORECASE)
# Names that hold the words in the one meaning they keep, or belong to the libraries we call.
ALLOWED = {
    # the SSE stream: its route module, its service, its settings
    "events", "LiveEvents", "events_heartbeat_seconds", "events_queue_size", "events_retention_hours",
    "events_per_user", "events_subscribers",
    # the standard library and SQLAlchemy's URL
    "Event", "AbstractEventLoop", "render_as_string",
    # a person who looks; the design's own views and previews; payment reviews
    "viewer", "design_views", "design_views_json", "MAX_DESIGN_VIEWS_BYTES", "preview_url",
    "MAX_PREVIEW_BYTES", "_preview", "reviewer", "reviewed_at", "reviewed_by", "reviewedAt", "reviewedBy",
    "memoryview",
}  # fmt: skip
# Library names allowed in one module only: SQLAlchemy's `event.listen`, Starlette's `Response.render`.
ALLOWED_IN = {"event": "storage/db.py", "render": "api/serialize.py"}


def _names(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute):
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.append((node.lineno, node.name))
        elif isinstance(node, ast.arg):
            found.append((node.lineno, node.arg))
        elif isinstance(node, ast.alias):
            found += [(node.lineno, n) for n in (node.name.rsplit(".", 1)[-1], node.asname) if n]
    return found


def test_server_names_use_event_view_and_render_in_one_meaning_only() -> None:
    stray = []
    for path in sorted(SERVER.rglob("*.py")):
        if "migrations" in path.parts or path.match("api/routes/events.py"):
            continue
        stray += [
            f"{path.relative_to(SERVER.parent)}:{line} {name}"
            for line, name in _names(ast.parse(path.read_text()))
            if WORDS.search(name) and name not in ALLOWED and not path.match(ALLOWED_IN.get(name, "-"))
        ]
    assert stray == []


def test_no_server_module_is_named_after_a_client_word() -> None:
    assert [p.name for p in SERVER.rglob("*.py") if p.stem in {"view", "views", "render"}] == []
