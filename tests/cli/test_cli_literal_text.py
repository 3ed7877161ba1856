"""Issue 14: every string the server sends is shown as literal text by `krafta`, never as markup.

Customers (and staff) put rich markup, a terminal hyperlink escape, a right-to-left override and
zero-width characters into every text field an order, a catalog and an account can hold; a real
server on SQLite stores them; every renderer of the CLI prints them: `orders list` as a table (on
a terminal, where rich draws), as TSV and as JSON, `orders show` on a terminal and in a pipe,
`orders watch`, `orders batches`, `users list` and `catalog list`. What reaches the terminal must
carry the markup as the text the customer typed, no hyperlink (OSC 8), no bidi control, no
zero-width character, and no MarkupError. On main, `orders list` at a terminal exited 1 with
`error: unexpected error: MarkupError` and the others styled `[bold red]PAID[/]` or linked.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cli.conftest import Krafta, run_on_tty
from tests.conftest import started
from tests.helpers import create_order
from tests.hostile_text import (
    DETAIL,
    EMAIL,
    EMAIL_SHOWN,
    assert_inert,
    hostile,
    hostile_shop,
    short_shown,
    shown,
    visible,
)
from tests.servers import ThreadedServer, krafta_exe


@pytest.fixture(scope="module")
def shop(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ThreadedServer]:
    server = started(ThreadedServer, "sqlite", request, tmp_path_factory)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def orders(shop: ThreadedServer) -> dict[str, dict[str, Any]]:
    made = hostile_shop(shop)
    return {"confirmed": made.confirmed, "handed": made.handed}


@pytest.fixture(scope="module")
def krafta(shop: ThreadedServer, tmp_path_factory: pytest.TempPathFactory) -> Krafta:
    runner = Krafta(tmp_path_factory.mktemp("home"), shop.url)
    runner.login("admin@test.krafta")
    return runner


def number(orders: dict[str, dict[str, Any]], name: str) -> str:
    return str(orders[name]["orderNumber"])


# On a terminal wide enough that no cell wraps: every value must appear whole.
WIDE = 1200


def test_orders_list_table_shows_markup_as_text(krafta: Krafta, orders: dict[str, dict[str, Any]]) -> None:
    run = run_on_tty(krafta, "orders", "list", columns=WIDE)
    assert run.code == 0, run
    screen = visible(run.screen)
    assert_inert(run.screen + run.err, "orders list (table)")
    for name in ("confirmed", "handed"):
        assert number(orders, name) in screen
    for text in (shown("Caracas"), shown("Miranda"), shown("Franela"), short_shown("var")):
        assert text in screen, (text, screen)


def test_orders_list_tsv_and_json(krafta: Krafta, orders: dict[str, dict[str, Any]]) -> None:
    tsv = krafta("orders", "list", "--format", "tsv")
    assert tsv.code == 0, tsv
    assert_inert(tsv.out + tsv.err, "orders list (tsv)")
    row = next(line for line in tsv.out.splitlines() if line.startswith(number(orders, "confirmed")))
    assert f"{shown('Caracas')}, {shown('Miranda')}" in row.split("\t")
    assert f"{shown('Franela')} · {shown('L')} ({short_shown('var')}) × 1" in row.split("\t")

    raw = krafta("orders", "list", "--json")
    assert raw.code == 0, raw
    # JSON carries the server's values exactly (\\u escapes are the same characters) …
    listed = {o["orderNumber"]: o for o in json.loads(raw.out)}
    confirmed = listed[number(orders, "confirmed")]
    assert confirmed["shippingCity"] == hostile("Caracas")
    assert confirmed["payments"][0]["payerName"] == hostile("Eve")
    # … and its bytes hold no raw escape or bidi control a terminal would act on.
    assert_inert(raw.out, "orders list --json")
    assert "\\u202e" in raw.out and "\\u001b]8;;" in raw.out


def test_orders_show_on_a_terminal_and_in_a_pipe(krafta: Krafta, orders: dict[str, dict[str, Any]]) -> None:
    expected = DETAIL
    tty = run_on_tty(krafta, "orders", "show", number(orders, "handed"), columns=WIDE)
    assert tty.code == 0, tty
    assert_inert(tty.screen + tty.err, "orders show (terminal)")
    screen = visible(tty.screen)
    for text in expected:
        assert text in screen, (text, screen)

    piped = krafta("orders", "show", number(orders, "handed"))
    assert piped.code == 0, piped
    assert_inert(piped.out + piped.err, "orders show (pipe)")
    for text in [*expected, f"{shown('Franela')} · {shown('L')} ({short_shown('var')})"]:
        assert text in piped.out, (text, piped.out)


def test_orders_batches_users_and_catalog_tables(krafta: Krafta, orders: dict[str, dict[str, Any]]) -> None:
    batches = run_on_tty(krafta, "orders", "batches", columns=WIDE)
    assert batches.code == 0, batches
    assert_inert(batches.screen + batches.err, "orders batches")
    screen = visible(batches.screen)
    assert shown("Franela") in screen and shown("L") in screen and number(orders, "confirmed") in screen

    users = run_on_tty(krafta, "users", "list", columns=WIDE)
    assert users.code == 0, users
    assert_inert(users.screen + users.err, "users list")
    assert EMAIL_SHOWN in visible(users.screen)

    catalog = run_on_tty(krafta, "catalog", "list", columns=WIDE)
    assert catalog.code == 0, catalog
    assert_inert(catalog.screen + catalog.err, "catalog list")
    screen = visible(catalog.screen)
    for text in (shown("Franela"), short_shown("var"), short_shown("sku")):
        assert text in screen, (text, screen)


def test_orders_watch_prints_who_moved_it_as_text(
    krafta: Krafta, shop: ThreadedServer, orders: dict[str, dict[str, Any]]
) -> None:
    proc = subprocess.Popen(
        [krafta_exe(), "orders", "watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=krafta.env(),
    )
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or []], daemon=True).start()
    token = shop.login(EMAIL)
    try:
        # Orders until the watch prints (it has then subscribed), then the hostile admin moves one.
        deadline = time.monotonic() + 20
        while lines.empty() and time.monotonic() < deadline:
            create_order(shop)
            time.sleep(0.3)
        assert not lines.empty(), "the watch printed nothing"
        fresh = create_order(shop)
        with shop.client(token) as http:
            move = {"orderId": fresh["orderId"], "status": "CONFIRMED"}
            assert http.put("/api/orders", json=move).status_code == 200
        seen: list[str] = []
        while time.monotonic() < deadline + 10:
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                continue
            if fresh["orderNumber"] in seen[-1] and "CONFIRMED" in seen[-1]:
                break
        line = seen[-1]
        assert fresh["orderNumber"] in line and "CONFIRMED" in line, seen
        assert EMAIL_SHOWN in line, line
        assert_inert("".join(seen), "orders watch")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()
        if proc.stdout:
            proc.stdout.close()
