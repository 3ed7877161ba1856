"""Accounts from the command line (issue 19): `krafta users deactivate|reset-password|device-token|
device-tokens|revoke-device-token`, `krafta passwd`, `krafta auth token`. Prompts on a pty, exit codes
from the installed `krafta` as a process; none of these commands exists on main."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.cli.conftest import Krafta, assert_error, run_on_tty
from tests.helpers import PASSWORD
from tests.servers import Server, ThreadedServer, krafta_exe


def _account(server: Server, home: Path, role: str = "TALLER") -> tuple[str, Krafta]:
    """A new account and a `krafta` logged in as it."""
    email = f"cuenta-{uuid.uuid4().hex[:8]}@test.krafta"
    server.make_user(email, role=role)
    runner = Krafta(home, server.url)
    runner.login(email)
    return email, runner


def _streams_of(server: ThreadedServer, email: str) -> int:
    hub = server.app.state.services.live.hub
    return sum(sub.viewer.email == email for sub in list(hub.subscriptions))


def test_deactivate_needs_yes_without_a_terminal(
    admin: Krafta, sqlite_server: Server, tmp_path: Path
) -> None:
    email, user = _account(sqlite_server, tmp_path / "user")

    run = admin.process("users", "deactivate", email)

    assert_error(run, 2, "--yes")
    assert user.process("whoami").code == 0  # nothing changed


def test_deactivate_ends_sessions_and_live_streams_at_once(
    admin: Krafta, sqlite_server: ThreadedServer, tmp_path: Path
) -> None:
    email, user = _account(sqlite_server, tmp_path / "user")
    watch = subprocess.Popen(
        [krafta_exe(), "orders", "watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=user.env(),
    )
    try:
        deadline = time.monotonic() + 20
        while _streams_of(sqlite_server, email) == 0:
            assert watch.poll() is None and time.monotonic() < deadline, "the watch never subscribed"
            time.sleep(0.05)

        run = admin.process("users", "deactivate", email, "--yes")
        ended = time.monotonic()
        # The heartbeat's session check (15 s here) would end it too, late: closed by the deactivation.
        code = watch.wait(timeout=8)
        took = time.monotonic() - ended
    finally:
        watch.kill()
        watch.communicate()

    assert run.code == 0 and f"Deactivated {email}" in run.out, run
    assert code == 3 and took < 8
    assert_error(user.process("orders", "list"), 3, "no longer valid")
    users = json.loads(admin("users", "list", "--json").out)
    assert next(u for u in users if u["email"] == email)["active"] is False


def test_deactivate_at_a_terminal_asks_first(admin: Krafta, sqlite_server: Server, tmp_path: Path) -> None:
    email, user = _account(sqlite_server, tmp_path / "user")

    declined = run_on_tty(admin, "users", "deactivate", email, prompt=f"Deactivate {email}?", answer="n\n")
    still = user.process("whoami")
    accepted = run_on_tty(admin, "users", "deactivate", email, prompt=f"Deactivate {email}?", answer="y\n")

    assert declined.code == 1 and still.code == 0, (declined.screen, declined.err)
    assert accepted.code == 0 and f"Deactivated {email}" in accepted.screen, accepted.screen
    assert user.process("whoami").code == 3


def test_reset_password_asks_twice_and_logs_the_old_sessions_out(
    admin: Krafta, sqlite_server: Server, tmp_path: Path
) -> None:
    email, user = _account(sqlite_server, tmp_path / "user")

    run = run_on_tty(
        admin,
        "users", "reset-password", email,
        script=[
            ("Password (at least 8 characters): ", "clave-nueva-9\n"),
            ("Repeat for confirmation: ", "clave-nueva-9\n"),
        ],
    )  # fmt: skip

    assert run.code == 0 and f"New password set for {email}" in run.screen, (run.screen, run.err)
    assert "clave-nueva-9" not in run.screen
    assert user.process("whoami").code == 3
    fresh = Krafta(tmp_path / "fresh", sqlite_server.url)
    assert fresh("login", "-e", email, "--password-stdin", input=PASSWORD + "\n").code == 3
    assert fresh("login", "-e", email, "--password-stdin", input="clave-nueva-9\n").code == 0


def test_reset_password_of_nobody_is_not_found(admin: Krafta) -> None:
    run = admin.process(
        "users", "reset-password", "nadie@test.krafta", "--password-stdin", input="clave-nueva-9\n"
    )

    assert_error(run, 4, "nadie@test.krafta")


def test_passwd_changes_ones_own_password_and_keeps_this_session(
    sqlite_server: Server, tmp_path: Path
) -> None:
    email, user = _account(sqlite_server, tmp_path / "user", role="CLIENTE")
    other_machine = Krafta(tmp_path / "other", sqlite_server.url)
    other_machine.login(email)

    wrong = user.process("passwd", "--password-stdin", input="not-it\nclave-propia-7\n")
    run = run_on_tty(
        user,
        "passwd",
        script=[
            ("Current password: ", PASSWORD + "\n"),
            ("Password (at least 8 characters): ", "clave-propia-7\n"),
            ("Repeat for confirmation: ", "clave-propia-7\n"),
        ],
    )

    assert_error(wrong, 3, "password not changed", "current password is wrong")
    assert run.code == 0 and "Password changed" in run.screen, (run.screen, run.err)
    assert user.process("whoami").code == 0  # this session was renewed and saved
    assert other_machine.process("whoami").code == 3  # every other one ended


def test_auth_token_prints_the_saved_token_alone(admin: Krafta, krafta: Krafta) -> None:
    saved = json.loads(admin.credentials.read_text())
    tokens = [s["token"] for s in saved["servers"].values()] if "servers" in saved else []

    run = admin.process("auth", "token")
    from_env = admin.process("auth", "token", KRAFTA_TOKEN="abc.def.ghi")
    nobody = krafta.process("auth", "token")

    assert run.code == 0 and run.out.count("\n") == 1 and run.err == "", run
    assert run.out.strip() in tokens or run.out.strip() in admin.credentials.read_text()
    assert from_env.out == "abc.def.ghi\n"
    assert_error(nobody, 3, "krafta login")


def test_a_device_token_file_logs_a_screen_in_until_it_is_revoked(
    admin: Krafta, sqlite_server: Server, tmp_path: Path
) -> None:
    name = f"taller-pc-{uuid.uuid4().hex[:6]}"
    file = tmp_path / "taller-pc.token"

    issued = admin.process(
        "users", "device-token", "--role", "taller", "--name", name, "--days", "90", "-o", str(file)
    )
    again = admin.process("users", "device-token", "--role", "TALLER", "--name", name + "-2", "-o", str(file))
    token = file.read_text()
    listed = json.loads(admin.process("users", "device-tokens", "--json").out)
    device = next(d for d in listed if d["name"] == name)
    screen = Krafta(tmp_path / "screen", sqlite_server.url)
    before = screen.process("whoami", "--json", KRAFTA_TOKEN=token.strip())
    revoked = admin.process("users", "revoke-device-token", device["id"])
    after = screen.process("orders", "list", KRAFTA_TOKEN=token.strip())

    assert issued.code == 0 and str(file) in issued.out and "krafta board --token-file" in issued.out, issued
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600
    assert token.count("\n") == 1 and token.endswith("\n") and " " not in token
    assert_error(again, 2, "already exists")
    assert not any(d["name"] == name + "-2" for d in listed)  # refused before any token was issued
    assert device["role"] == "TALLER" and device["revokedAt"] is None
    assert json.loads(before.out)["user"]["email"] == f"{name} (device)", before
    assert revoked.code == 0 and "Revoked" in revoked.out, revoked
    assert_error(after, 3)


def test_a_device_token_without_a_file_is_printed_alone(admin: Krafta) -> None:
    run = admin.process("users", "device-token", "--role", "TALLER", "--name", "mostrador")

    assert run.code == 0 and run.out.count("\n") == 1 and run.out.count(".") == 2, run  # a JWT, alone
    assert "not shown again" in run.err


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("--role", "CLIENTE", "--name", "x"), 8, "role"),
        (("--role", "TALLER", "--name", "a\tb"), 8, "name"),
        (("--role", "TALLER", "--name", "x", "--days", "400"), 2, "--days"),
    ],
)
def test_a_bad_device_token_request_is_one_line(
    admin: Krafta, args: tuple[str, ...], code: int, fragment: str
) -> None:
    assert_error(admin.process("users", "device-token", *args), code, fragment)


def test_account_commands_need_an_admin(taller: Krafta) -> None:
    assert_error(taller.process("users", "deactivate", "admin@test.krafta", "--yes"), 7)
    assert_error(taller.process("users", "device-tokens"), 7)
