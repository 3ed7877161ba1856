"""Issue 14: `krafta` never passes a partial list off as the whole shop while the database is down.

A PostgreSQL this module started is stopped under a running `krafta serve`; the CLI runs as its
console script. `orders list` (each format, `--all` too) prints the orders the server has — only the
fallback's — then one warning line on stderr naming the outage, and exits 6; `orders show` and
`orders advance` of a database order print the server's sentence (it cannot look the order up)
and exit 6. On main the list exited 0 with no word and `show` said `no order 'KRFT-…'` (exit 4).
Once the database is back, the same commands see every order and exit 0.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.cli.conftest import Krafta, Run
from tests.helpers import create_order
from tests.pgcluster import OwnPostgres
from tests.servers import LiveServer

WARNING = "warning: the server's database is down: this list holds only the 1 order in its fallback store"


def _database_up(live: LiveServer) -> bool:
    with live.client() as http:
        return bool(http.get("/api/health").json().get("database") == "up")


def _numbers_tsv(run: Run) -> list[str]:
    return [line.split("\t")[0] for line in run.out.splitlines()]


def _one_line(run: Run) -> str:
    assert "Traceback" not in run.err, run
    lines = run.err.splitlines()
    assert len(lines) == 1, run
    return lines[0]


def test_lists_say_they_are_partial_and_lookups_say_why(
    live: LiveServer, pg: OwnPostgres, tmp_path: Path
) -> None:
    krafta = Krafta(tmp_path / "home", live.url)
    krafta.login("admin@test.krafta")
    in_db = [create_order(live)["orderNumber"] for _ in range(2)]

    pg.stop()
    try:
        fallback = create_order(live)["orderNumber"]

        tsv = krafta("orders", "list", "--format", "tsv")
        assert tsv.code == 6, tsv
        assert _numbers_tsv(tsv) == [fallback]  # what the server has is printed…
        assert _one_line(tsv).startswith(WARNING), tsv  # … and said to be only part of the shop

        every = krafta("orders", "list", "--all", "--format", "tsv")
        assert every.code == 6 and _numbers_tsv(every) == [fallback], every
        assert _one_line(every).startswith(WARNING), every

        as_json = krafta("orders", "list", "--json")
        assert as_json.code == 6, as_json
        assert [o["orderNumber"] for o in json.loads(as_json.out)] == [fallback]
        assert _one_line(as_json).startswith(WARNING), as_json

        table = krafta("orders", "list", "--format", "table")
        assert table.code == 6 and fallback in table.out, table
        assert _one_line(table).startswith(WARNING), table

        for args in (("orders", "show", in_db[0]), ("orders", "advance", in_db[0], "--yes")):
            run = krafta(*args)
            assert run.code == 6, run
            assert run.out == "", run
            line = _one_line(run)
            # The server's sentence: not "no order", but why it cannot say.
            assert line.startswith(f"error: No order {in_db[0]} in the fallback store"), run
            assert "the database is unavailable" in line, run

        # Batches need the catalog, which has no fallback: refused whole (exit 6), never partial.
        batches = krafta("orders", "batches", "--format", "tsv")
        assert batches.code == 6 and batches.out == "", batches
        assert "database is unavailable" in _one_line(batches).lower(), batches

        # An order the fallback holds is shown as usual.
        shown = krafta("orders", "show", fallback)
        assert shown.code == 0 and fallback in shown.out, shown
    finally:
        pg.start()

    deadline = time.monotonic() + 30
    # Up, and the fallback's order replayed (a list taken while the replay moves it can miss it:
    # noted in honest's report, not this test's subject).
    while not _database_up(live) or list(live.fallback_dir.glob("*.json")):
        assert time.monotonic() < deadline, "the database did not come back"
        time.sleep(0.2)
    back = krafta("orders", "list", "--format", "tsv")
    assert back.code == 0 and back.err == "", back
    assert {*in_db, fallback} <= set(_numbers_tsv(back))
    shown = krafta("orders", "show", in_db[0])
    assert shown.code == 0 and in_db[0] in shown.out, shown
