"""`krafta serve` refusing to start: a busy port or an impossible one, as one line and a documented code.

Starting for real is what every live-server fixture does (tests/servers.py `LiveServer`).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Krafta, assert_error
from tests.helpers import free_port


@pytest.fixture
def offline(tmp_path: Path) -> Krafta:
    """krafta without a server URL (serve needs none), its data dir in tmp_path."""
    return Krafta(tmp_path / "home", None)


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something else is already listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def test_a_port_in_use_is_one_line_and_exit_1_before_touching_the_database(
    offline: Krafta, busy_port: int, tmp_path: Path
) -> None:
    database = tmp_path / "krafta.db"

    run = offline(
        "serve", "--port", str(busy_port), "--db", f"sqlite:///{database}", "--data-dir", str(tmp_path / "d")
    )

    # Before: uvicorn's multi-line log and its exit code 3, which `krafta` documents as "authentication".
    assert_error(run, 1, f"port {busy_port} on 127.0.0.1 is already in use")
    assert not database.exists(), "a busy port must be found before migrating"


@pytest.mark.parametrize(
    ("port", "bound"),
    [
        ("99999", "99999 is not in the range 1<=x<=65535"),
        ("0", "0 is not in the range 1<=x<=65535"),
        ("-1", "-1 is not in the range 1<=x<=65535"),
    ],
)
def test_a_port_outside_1_to_65535_is_a_usage_error(
    offline: Krafta, tmp_path: Path, port: str, bound: str
) -> None:
    run = offline("serve", "--port", port, "--data-dir", str(tmp_path / "d"))

    assert_error(run, 2, "--port", bound, "krafta serve --help")


def test_krafta_port_outside_the_range_is_a_usage_error(offline: Krafta, tmp_path: Path) -> None:
    run = offline("serve", "--data-dir", str(tmp_path / "d"), KRAFTA_PORT="70000")

    assert_error(run, 2, "port 70000 is not in 1-65535", "KRAFTA_PORT")


@pytest.mark.parametrize("command", [("serve", "--port", "0"), ("db", "upgrade"), ("fallback", "sync")])
def test_a_sqlite_url_whose_folder_does_not_exist_stops_the_command_and_makes_nothing(
    offline: Krafta, tmp_path: Path, command: tuple[str, ...]
) -> None:
    missing = tmp_path / "shop-typo" / "krafta.db"
    args = [a if a != "0" else str(free_port()) for a in command]

    run = offline(*args, "--db", f"sqlite:///{missing}", "--data-dir", str(tmp_path / "d"))

    # Before: the folder was made and a new, empty shop started in it.
    assert_error(run, 1, f"the folder {missing.parent} of the SQLite database does not exist")
    assert not missing.parent.exists()


def test_without_a_database_url_the_default_data_dir_is_made_private(offline: Krafta, tmp_path: Path) -> None:
    data = tmp_path / "new" / "data"

    run = offline("db", "upgrade", "--data-dir", str(data))

    assert run.code == 0, run
    assert (data / "krafta.db").is_file()
    assert data.stat().st_mode & 0o777 == 0o700
