"""The board against a real `krafta serve` (SQLite), driven with Textual's Pilot.

Orders are created and moved over HTTP as a customer and an admin would; what the board shows
and what it sends are checked on the screen and on the server.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Coroutine
from typing import Any

import pytest
from rich.console import Console
from textual.css.query import NoMatches
from textual.widgets import Input, Static

from krafta_cli.client import KraftaClient, LoginResult
from krafta_cli.workflows import order_panel
from tests.helpers import PASSWORD
from tests.servers import Server
from tests.tui.pilot_helpers import (
    RecordingBoard,
    board_screen,
    move,
    place_order,
    select_order,
    server_status,
    wait_until,
)
from tui.screens.cancel_note import CancelDialog
from tui.screens.confirm import ConfirmDialog
from tui.screens.detail import DetailScreen
from tui.screens.help import HelpScreen
from tui.screens.login import LoginScreen

SIZE = (160, 40)


def run(scenario: Coroutine[Any, Any, None]) -> None:
    asyncio.run(scenario)


def board(server: Server, token: str | None = None, **kwargs: Any) -> RecordingBoard:
    kwargs.setdefault("refresh_interval", None)
    client = KraftaClient(server.url, token if token is not None else server.admin_token)
    return RecordingBoard(client, **kwargs)


async def select_on_board(pilot: Any, app: RecordingBoard, number: str, status: str) -> None:
    """Wait for order `number` in `status`'s column, then put the cursor on it."""
    await wait_until(pilot, lambda: on_board(app, number, status), what=f"{number} in {status}")
    await select_order(pilot, number)


async def ask_to_advance(pilot: Any, app: RecordingBoard) -> None:
    """Press `a` and wait for the confirm dialog."""
    await pilot.press("a")
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm dialog")


def login_message(app: RecordingBoard) -> str:
    """The login screen's message line, or "" while it is not (yet) on screen."""
    screen = app.screen
    if not isinstance(screen, LoginScreen):
        return ""
    try:
        return str(screen.query_one("#message", Static).render())
    except NoMatches:
        return ""


def on_board(app: RecordingBoard, number: str, status: str) -> bool:
    return number in board_screen(app).numbers_in(status)


@pytest.fixture(scope="module")
def shop(sqlite_server: Server) -> dict[str, dict[str, Any]]:
    """One order in each open status, plus a completed one, with cities the filter test can find."""
    return {
        status: place_order(sqlite_server, status, shippingCity=city, shippingState="Lara")
        for status, city in [
            ("REPORTED", "Carora"),
            ("CONFIRMED", "Quíbor"),
            ("IN_PRODUCTION", "Duaca"),
            ("READY", "El Tocuyo"),
            ("HANDED_TO_DELIVERY", "Sanare"),
            ("COMPLETED", "Siquisique"),
        ]
    }


def test_orders_appear_in_their_columns(sqlite_server: Server, shop: dict[str, dict[str, Any]]) -> None:
    async def scenario() -> None:
        app = board(sqlite_server)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.first_paint is not None, what="first paint")
            screen = board_screen(app)
            assert [c.status for c in screen.columns] == [
                "REPORTED", "CONFIRMED", "IN_PRODUCTION", "READY", "HANDED_TO_DELIVERY",
            ]  # fmt: skip
            for status, created in shop.items():
                if status == "COMPLETED":
                    assert not any(
                        created["orderNumber"] in screen.numbers_in(c.status) for c in screen.columns
                    )
                    continue
                assert on_board(app, created["orderNumber"], status), status
                others = [c.status for c in screen.columns if c.status != status]
                assert not any(on_board(app, created["orderNumber"], s) for s in others)
            # Column titles carry the counts.
            for column in screen.columns:
                assert column.border_subtitle == str(len(column.orders))
            # `t` shows the closed columns, with the completed order in its place.
            await pilot.press("t")
            await wait_until(
                pilot,
                lambda: on_board(app, shop["COMPLETED"]["orderNumber"], "COMPLETED"),
                what="closed columns",
            )
            assert [c.status for c in screen.columns][-2:] == ["COMPLETED", "CANCELLED"]
            await pilot.press("t")
            await wait_until(pilot, lambda: len(screen.columns) == 5, what="closed columns hidden again")

    run(scenario())


def test_advance_with_a_then_y_moves_the_order_on_the_server(sqlite_server: Server) -> None:
    created = place_order(sqlite_server, "CONFIRMED")
    number = created["orderNumber"]

    async def scenario() -> None:
        app = board(sqlite_server)
        async with app.run_test(size=SIZE) as pilot:
            await select_on_board(pilot, app, number, "CONFIRMED")
            # `n` backs out: nothing is sent.
            await ask_to_advance(pilot, app)
            await pilot.press("n")
            await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmDialog), what="dialog closed")
            assert server_status(sqlite_server, created["orderId"]) == "CONFIRMED"
            # `a` then `y` moves it.
            await ask_to_advance(pilot, app)
            await pilot.press("y")
            await wait_until(
                pilot, lambda: on_board(app, number, "IN_PRODUCTION"), what="card in IN_PRODUCTION"
            )
            assert not on_board(app, number, "CONFIRMED")
            assert ("information", f"{number}: CONFIRMED → IN PRODUCTION") in app.notices

    run(scenario())
    assert server_status(sqlite_server, created["orderId"]) == "IN_PRODUCTION"


def test_filter_by_city_number_or_payer_and_escape_clears(
    sqlite_server: Server, shop: dict[str, dict[str, Any]]
) -> None:
    payer = place_order(sqlite_server, "READY", payment={"payerName": "Yolanda Ñáñez"})

    async def scenario() -> None:
        app = board(sqlite_server)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.first_paint is not None, what="first paint")
            screen = board_screen(app)
            total = sum(len(c.orders) for c in screen.columns)
            assert total >= 6
            await pilot.press("slash")
            assert isinstance(app.focused, Input)
            await pilot.press(*"quibor")  # accents and case do not matter
            shown = [o.number for c in screen.columns for o in c.orders]
            assert shown == [shop["CONFIRMED"]["orderNumber"]]
            await pilot.press("enter")  # keeps the filter, gives the keys back to the board
            assert app.focused is None
            await pilot.press("escape")
            assert sum(len(c.orders) for c in screen.columns) == total
            # By order number, then by payer.
            await pilot.press("slash", *shop["READY"]["orderNumber"][-6:])
            assert [o.number for c in screen.columns for o in c.orders] == [shop["READY"]["orderNumber"]]
            await pilot.press("escape")
            await pilot.press("slash", *"yolanda", "enter")
            assert [o.number for c in screen.columns for o in c.orders] == [payer["orderNumber"]]
            await pilot.press("escape")
            assert sum(len(c.orders) for c in screen.columns) == total

    run(scenario())


def test_a_move_made_meanwhile_gives_the_409_message_and_a_refreshed_board(sqlite_server: Server) -> None:
    created = place_order(sqlite_server, "CONFIRMED")
    number = created["orderNumber"]

    async def scenario() -> None:
        app = board(sqlite_server)
        async with app.run_test(size=SIZE) as pilot:
            await select_on_board(pilot, app, number, "CONFIRMED")
            await ask_to_advance(pilot, app)
            # Someone else gets there first, through the API.
            move(
                sqlite_server,
                created["orderId"],
                "CONFIRMED",
                "IN_PRODUCTION",
                token=sqlite_server.taller_token,
            )
            await pilot.press("y")
            await wait_until(
                pilot,
                lambda: any("moved by someone else — refreshed" in m for _, m in app.notices),
                what="409 notice",
            )
            await wait_until(pilot, lambda: on_board(app, number, "IN_PRODUCTION"), what="refreshed board")
            assert not on_board(app, number, "CONFIRMED")
            expected = f"{number} was not moved: moved by someone else — refreshed (now IN_PRODUCTION)"
            assert ("warning", expected) in app.notices

    run(scenario())
    # The board's stale move did not go through twice: the order is where the other user put it.
    assert server_status(sqlite_server, created["orderId"]) == "IN_PRODUCTION"


def test_taller_does_not_see_the_reported_column(
    sqlite_server: Server, shop: dict[str, dict[str, Any]]
) -> None:
    async def scenario() -> None:
        app = board(sqlite_server, token=sqlite_server.taller_token)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.first_paint is not None, what="first paint")
            screen = board_screen(app)
            assert [c.status for c in screen.columns] == [
                "CONFIRMED", "IN_PRODUCTION", "READY", "HANDED_TO_DELIVERY",
            ]  # fmt: skip
            assert app.first_paint is not None and app.first_paint.role == "TALLER"
            shown = {o.number for c in screen.columns for o in c.orders}
            assert shop["REPORTED"]["orderNumber"] not in shown
            assert shop["CONFIRMED"]["orderNumber"] in shown
            # The server offers TALLER no cancellation, so `c` is not offered either.
            await select_order(pilot, shop["CONFIRMED"]["orderNumber"])
            assert screen.check_action("cancel_order", ()) is False
            assert screen.check_action("advance", ()) is True

    run(scenario())


def test_a_403_explains_the_role_and_the_board_follows_the_new_role(sqlite_server: Server) -> None:
    sqlite_server.make_user("jefa@test.krafta", role="ADMIN")
    token = sqlite_server.login("jefa@test.krafta")
    created = place_order(sqlite_server, "REPORTED")
    number = created["orderNumber"]

    async def scenario() -> None:
        app = board(sqlite_server, token=token)
        async with app.run_test(size=SIZE) as pilot:
            await select_on_board(pilot, app, number, "REPORTED")
            # Demoted while the board still offers the payment check.
            await asyncio.to_thread(sqlite_server.set_role, "jefa@test.krafta", "TALLER")
            await ask_to_advance(pilot, app)
            await pilot.press("y")
            await wait_until(pilot, lambda: any(sev == "error" for sev, _ in app.notices), what="403 notice")
            message = next(m for sev, m in app.notices if sev == "error")
            assert "taller role may not" in message.lower(), message  # the server names the role
            screen = board_screen(app)
            await wait_until(
                pilot, lambda: "REPORTED" not in [c.status for c in screen.columns], what="new role"
            )

    run(scenario())
    assert server_status(sqlite_server, created["orderId"]) == "REPORTED"


def test_admin_cancels_with_a_note(sqlite_server: Server) -> None:
    created = place_order(sqlite_server, "READY")
    number = created["orderNumber"]

    async def scenario() -> None:
        app = board(sqlite_server)
        async with app.run_test(size=SIZE) as pilot:
            await select_on_board(pilot, app, number, "READY")
            await pilot.press("c")
            await wait_until(pilot, lambda: isinstance(app.screen, CancelDialog), what="cancel dialog")
            await pilot.press("enter")  # an empty note is refused in place
            assert isinstance(app.screen, CancelDialog)
            await pilot.press(*"cliente desistio", "enter")
            await wait_until(pilot, lambda: not on_board(app, number, "READY"), what="card gone from READY")

    run(scenario())
    with sqlite_server.client(sqlite_server.admin_token) as http:
        order = http.get(f"/api/orders/{created['orderId']}").json()["order"]
    assert order["status"] == "CANCELLED"
    assert order["history"][-1]["note"] == "cliente desistio"
    assert order["history"][-1]["fromStatus"] == "READY"


def test_enter_opens_the_detail_and_help_lists_the_keys(sqlite_server: Server) -> None:
    created = place_order(sqlite_server, "IN_PRODUCTION", payment={"payerName": "Detalle Prueba"})
    number = created["orderNumber"]

    async def scenario() -> None:
        app = board(sqlite_server)
        async with app.run_test(size=SIZE) as pilot:
            await select_on_board(pilot, app, number, "IN_PRODUCTION")
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), what="detail screen")
            detail = app.screen
            assert isinstance(detail, DetailScreen)
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert detail.order is not None and detail.order["orderNumber"] == number
            console = Console(width=SIZE[0], record=True, file=io.StringIO())
            console.print(order_panel(detail.order, app.clock()))
            text = console.export_text()
            for expected in (
                "Detalle Prueba",
                "https://cdn.example.com/previews/",
                "CONFIRMED → IN_PRODUCTION",  # the API's names, as the CLI prints them
                "Franela blanca (var-1)",  # the product's name, its variant id beside it
            ):
                assert expected in text, expected
            await pilot.press("escape")
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            assert not isinstance(app.screen, HelpScreen)

    run(scenario())


def test_command_palette_offers_the_board_actions(sqlite_server: Server) -> None:
    created = place_order(sqlite_server, "CONFIRMED")

    async def scenario() -> None:
        app = board(sqlite_server)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(
                pilot, lambda: on_board(app, created["orderNumber"], "CONFIRMED"), what="first paint"
            )
            await select_order(pilot, created["orderNumber"])
            titles = {command.title for command in app.get_system_commands(app.screen)}
            for title in (
                "Advance",
                "Cancel",
                "Details",
                "Filter",
                "Refresh",
                "Closed",
                "Help",
                "Card below",
            ):
                assert title in titles, title
            # Running one from the palette does what the key does.
            command = next(c for c in app.get_system_commands(app.screen) if c.title == "Help")
            result = command.callback()
            if asyncio.iscoroutine(result):
                await result
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)

    run(scenario())


def test_login_screen_logs_in_and_keeps_the_token(sqlite_server: Server) -> None:
    saved: list[LoginResult] = []

    async def scenario() -> None:
        app = board(sqlite_server, token="", save_login=saved.append)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen), what="login screen")
            password = app.screen.query_one("#password", Input)
            assert password.password  # typed characters are hidden
            await pilot.press(*"admin@test.krafta", "enter", *"wrong-password", "enter")
            await wait_until(
                pilot, lambda: "Wrong email or password" in login_message(app), what="wrong password message"
            )
            assert saved == []
            await pilot.press(*PASSWORD, "enter")
            await wait_until(pilot, lambda: app.first_paint is not None, what="board after login")
            assert not isinstance(app.screen, LoginScreen)
            assert app.first_paint is not None and app.first_paint.role == "ADMIN"

    run(scenario())
    assert len(saved) == 1
    with KraftaClient(sqlite_server.url, saved[0].token) as client:
        assert client.me()["email"] == "admin@test.krafta"


def test_an_invalid_token_shows_the_login_screen(sqlite_server: Server) -> None:
    async def scenario() -> None:
        app = board(sqlite_server, token="not-a-jwt")
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(
                pilot, lambda: "log in again" in login_message(app), what="login screen with reason"
            )
            assert isinstance(app.screen, LoginScreen)
            assert app.first_paint is None

    run(scenario())
