"""`krafta board --token-file FILE` (issue 19, accounts: a workshop screen that stays logged in).

The file's format is the one `krafta users device-token -o FILE` writes (BOARD.md, cli19): the token
alone on its first line, mode 0600. On main there was no `--token-file` (exit 2, "No such option").
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli.conftest import Krafta, assert_error
from tests.servers import Server


def token_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "taller-pc.token"
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_the_board_runs_on_the_token_in_the_file_and_saves_nothing(
    krafta: Krafta, sqlite_server: Server, tmp_path: Path
) -> None:
    path = token_file(tmp_path, f"  {sqlite_server.taller_token}\n\n")
    run = krafta.process("board", "--token-file", str(path), "--headless")
    assert run.code == 0, run
    assert "board showed" in run.out and "as TALLER" in run.out, run
    assert not krafta.credentials.exists()  # a device's token is not a login to remember


def test_a_device_token_written_by_krafta_users_device_token_opens_the_board(
    admin: Krafta, krafta: Krafta, tmp_path: Path
) -> None:
    """The agreed format end to end: what `device-token -o` writes, `board --token-file` reads."""
    path = tmp_path / "taller-pc.token"
    made = admin(
        "users", "device-token", "--role", "TALLER", "--name", "taller-pc", "--days", "90", "-o", str(path)
    )
    assert made.code == 0, made
    run = krafta.process("board", "--token-file", str(path), "--headless")
    assert run.code == 0, run
    assert "as TALLER" in run.out, run
    assert not krafta.credentials.exists()


@pytest.mark.parametrize(
    ("text", "mode", "says"),
    [
        (None, 0o600, "no token file"),
        ("t0ken\n", 0o644, "may be read by others (mode 0644): chmod 600"),
        ("t0ken\n", 0o640, "may be read by others (mode 0640)"),
        ("\n  \n", 0o600, "holds no token"),
        ("t0ken\nother\n", 0o600, "holds more than a token"),
        ("Bearer t0ken\n", 0o600, "holds more than a token"),
    ],
)
def test_a_token_file_that_cannot_be_used_is_one_line_and_exit_2(
    krafta: Krafta, tmp_path: Path, text: str | None, mode: int, says: str
) -> None:
    path = tmp_path / "missing.token" if text is None else token_file(tmp_path, text, mode)
    line = assert_error(krafta("board", "--token-file", str(path)), 2, says)
    assert str(path) in line
