"""`krafta login`, `logout`, `whoami` and the session errors, against a live server."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta

import jwt

from tests.cli.conftest import Krafta, assert_error, run_on_tty
from tests.helpers import PASSWORD
from tests.servers import JWT_SECRET, Server


def test_login_saves_a_0600_token_and_never_shows_the_password(krafta: Krafta, sqlite_server: Server) -> None:
    run = krafta("login", "--email", "admin@test.krafta", "--password-stdin", input=PASSWORD + "\n")

    assert run.code == 0, run
    assert f"Logged in to {sqlite_server.url} as admin@test.krafta (ADMIN)" in run.out
    assert PASSWORD not in run.out + run.err
    mode = stat.S_IMODE(krafta.credentials.stat().st_mode)
    assert mode == 0o600, oct(mode)
    saved = json.loads(krafta.credentials.read_text())
    assert PASSWORD not in krafta.credentials.read_text()
    assert saved["current"] == sqlite_server.url
    token = saved["servers"][sqlite_server.url]["token"]
    # The saved token is a real session: the server accepts it.
    with sqlite_server.client(token) as http:
        assert http.get("/api/auth/me").json()["user"]["email"] == "admin@test.krafta"


def test_login_to_a_server_makes_it_the_default(krafta: Krafta, sqlite_server: Server) -> None:
    run = krafta(
        "login",
        "--server",
        sqlite_server.url + "/",
        "--email",
        "taller@test.krafta",
        "--password-stdin",
        input=PASSWORD + "\n",
        KRAFTA_URL=None,
    )
    assert run.code == 0, run

    whoami = krafta("whoami", "--json", KRAFTA_URL=None)

    assert whoami.code == 0, whoami
    assert json.loads(whoami.out)["server"] == sqlite_server.url


def test_wrong_password_is_an_auth_error(krafta: Krafta) -> None:
    run = krafta("login", "--email", "admin@test.krafta", "--password-stdin", input="not-the-password\n")

    line = assert_error(run, 3, "login to", "failed")
    assert "not-the-password" not in line
    assert not krafta.credentials.exists()


def test_login_without_a_terminal_needs_password_stdin(krafta: Krafta) -> None:
    run = krafta("login", "--email", "admin@test.krafta")

    assert_error(run, 2, "--password-stdin")


def test_not_logged_in_says_to_run_krafta_login(krafta: Krafta, sqlite_server: Server) -> None:
    for args in (("orders", "list"), ("whoami",), ("orders", "show", "KRFT-000001")):
        assert_error(krafta(*args), 3, "not logged in", sqlite_server.url, "krafta login")


def test_expired_token_says_to_log_in_again(krafta: Krafta, sqlite_server: Server) -> None:
    krafta.login("admin@test.krafta")
    saved = json.loads(krafta.credentials.read_text())
    entry = saved["servers"][sqlite_server.url]
    claims = jwt.decode(entry["token"], options={"verify_signature": False})
    claims["exp"] = int((datetime.now(UTC) - timedelta(minutes=5)).timestamp())
    entry["token"] = jwt.encode(claims, JWT_SECRET, algorithm="HS256")
    krafta.credentials.write_text(json.dumps(saved))

    run = krafta("orders", "list")

    line = assert_error(run, 3, "no longer valid", "krafta login")
    assert sqlite_server.url in line


def test_rejected_env_token_names_krafta_token(krafta: Krafta) -> None:
    assert_error(krafta("whoami", KRAFTA_TOKEN="not.a.jwt"), 3, "KRAFTA_TOKEN")


def test_env_token_overrides_and_empty_means_unset(krafta: Krafta, sqlite_server: Server) -> None:
    krafta.login("admin@test.krafta")

    as_taller = krafta("whoami", "--json", KRAFTA_TOKEN=sqlite_server.taller_token)
    as_saved = krafta("whoami", "--json", KRAFTA_TOKEN="")

    assert as_taller.code == 0, as_taller
    assert json.loads(as_taller.out)["user"]["role"] == "TALLER"
    assert as_saved.code == 0, as_saved
    assert json.loads(as_saved.out)["user"]["role"] == "ADMIN"


def test_whoami_shows_server_email_role_and_expiry(krafta: Krafta, sqlite_server: Server) -> None:
    krafta.login("taller@test.krafta")

    text = krafta("whoami")
    as_json = krafta("whoami", "--json")

    assert text.code == 0, text
    for fragment in (sqlite_server.url, "taller@test.krafta", "TALLER", "Expires", "UTC (in 23 h)"):
        assert fragment in text.out, text
    data = json.loads(as_json.out)
    assert data["server"] == sqlite_server.url
    assert data["user"]["email"] == "taller@test.krafta" and data["user"]["role"] == "TALLER"
    expires = datetime.fromisoformat(data["expiresAt"])
    assert timedelta(hours=23) < expires - datetime.now(UTC) <= timedelta(hours=24)


def test_logout_forgets_the_token(krafta: Krafta, sqlite_server: Server) -> None:
    krafta.login("admin@test.krafta")

    run = krafta("logout")

    assert run.code == 0, run
    assert f"Logged out of {sqlite_server.url}" in run.out
    assert sqlite_server.url not in json.loads(krafta.credentials.read_text())["servers"]
    assert stat.S_IMODE(krafta.credentials.stat().st_mode) == 0o600
    assert_error(krafta("orders", "list"), 3, "krafta login")
    again = krafta("logout")
    assert again.code == 0 and "Not logged in" in again.out, again


def test_unreachable_server_names_the_url(krafta: Krafta, unreachable_url: str) -> None:
    for args in (("orders", "list"), ("whoami",), ("orders", "advance", "KRFT-000001", "--yes")):
        assert_error(
            krafta(*args, KRAFTA_URL=unreachable_url),
            6,
            f"cannot reach {unreachable_url}: connection refused — is `krafta serve` running?",
        )
    login = krafta(
        "login", "--server", unreachable_url, "--email", "a@b.c", "--password-stdin", input="whatever-123\n"
    )
    assert_error(login, 6, unreachable_url)


def test_a_url_that_is_not_http_is_a_usage_error(krafta: Krafta) -> None:
    assert_error(krafta("orders", "list", KRAFTA_URL="ftp://example.org"), 2, "not a valid server URL")
    assert_error(krafta("whoami", "--server", "http://host:notaport"), 2, "not a valid server URL")


def test_a_corrupt_credentials_file_is_one_line_not_a_traceback(krafta: Krafta) -> None:
    krafta.credentials.parent.mkdir(parents=True, exist_ok=True)
    krafta.credentials.write_text("{ this is not json")

    assert_error(krafta("orders", "list"), 1, str(krafta.credentials))


def test_login_on_a_terminal_asks_for_email_and_a_hidden_password(
    krafta: Krafta, sqlite_server: Server
) -> None:
    run = run_on_tty(
        krafta,
        "login",
        # Wait for the space getpass writes after turning echo off: typing sooner races it.
        script=[("E-mail:", "admin@test.krafta\n"), ("Password: ", PASSWORD + "\n")],
    )

    assert run.code == 0, run
    assert "Logged in to" in run.screen and "admin@test.krafta (ADMIN)" in run.screen
    # The terminal echoes what is typed at the e-mail prompt, but not the password.
    assert "admin@test.krafta" in run.screen.split("Password:")[0]
    assert PASSWORD not in run.screen + run.err
    assert stat.S_IMODE(krafta.credentials.stat().st_mode) == 0o600
