"""`ServerProcess` (krafta serve as a child) and how `krafta demo` reports a server that never answers."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from krafta_cli.server_process import ServerProcess, ServerStartFailed
from tests.helpers import free_port
from tests.live.test_demo import demo_env
from tests.servers import krafta_exe


def test_start_wait_stop(tmp_path: Path) -> None:
    server = ServerProcess(
        port=free_port(),
        log_path=tmp_path / "server.log",
        args=["--db", f"sqlite:///{tmp_path / 'k.db'}", "--data-dir", str(tmp_path / "data")],
    )
    with server:
        server.wait_ready(timeout=60)
        assert server.running and server.pid is not None
        pid = server.pid
    assert not server.running and server.process is None
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


def test_an_early_exit_is_one_line_saying_why(tmp_path: Path) -> None:
    server = ServerProcess(port=free_port(), log_path=tmp_path / "server.log", args=["--bogus-flag"])
    server.start()
    with pytest.raises(ServerStartFailed) as failed:
        server.wait_ready(timeout=60)
    message = str(failed.value)
    assert message == (
        "`krafta serve` exited with code 2 before answering: "
        "No such option: --bogus-flag (see `krafta serve --help`)"
    )
    assert failed.value.returncode == 2 and "--bogus-flag" in failed.value.log_tail


def test_kill_leaves_no_process(tmp_path: Path) -> None:
    server = ServerProcess(
        port=free_port(),
        log_path=tmp_path / "server.log",
        args=["--db", f"sqlite:///{tmp_path / 'k.db'}", "--data-dir", str(tmp_path / "data")],
    )
    server.start()
    server.wait_ready(timeout=60)
    process = server.process
    assert process is not None
    server.kill()
    assert process.returncode == -9 and server.process is None


def test_demo_whose_server_dies_says_so_in_one_line(tmp_path: Path) -> None:
    env = {**demo_env(tmp_path), "KRAFTA_LOG_LEVEL": "no-such-level"}  # uvicorn refuses it at start

    result = subprocess.run(
        [krafta_exe(), "demo", "--headless"], env=env, capture_output=True, text=True, timeout=180
    )

    assert result.returncode == 1, result
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert errors[0].startswith("error: the demo server did not start: `krafta serve` exited with code 1"), (
        errors
    )
    assert "RuntimeError" not in result.stderr
    assert list((tmp_path / "tmp").iterdir()) == []  # its temp dir is gone all the same


def test_serve_demo_writes_the_demo_admins_token_when_asked(tmp_path: Path) -> None:
    """`krafta demo` skips a login (an Argon2 check) with this token; it must be private and valid."""
    import httpx

    token_file = tmp_path / "demo-token"
    server = ServerProcess(
        port=free_port(),
        log_path=tmp_path / "server.log",
        args=["--demo", "--db", f"sqlite:///{tmp_path / 'k.db'}", "--data-dir", str(tmp_path / "data")],
        env={**demo_env(tmp_path), "KRAFTA_DEMO_TOKEN_FILE": str(token_file)},
    )
    with server:
        server.wait_ready(timeout=60)
        assert token_file.stat().st_mode & 0o777 == 0o600
        me = httpx.get(
            f"{server.url}/api/auth/me", headers={"Authorization": f"Bearer {token_file.read_text()}"}
        )
    assert me.status_code == 200, me.text
    assert (me.json()["user"]["email"], me.json()["user"]["role"]) == ("admin@krafta.demo", "ADMIN")
