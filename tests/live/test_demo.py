"""`krafta demo`, run as a command (headless): it shows a living shop and leaves nothing behind."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path

from tests.servers import krafta_exe

OTHER_LOGIN = {"servers": {"http://shop.example:8000": {"token": "keep-me", "email": "me@shop"}},
               "current": "http://shop.example:8000"}  # fmt: skip


def demo_env(tmp_path: Path) -> dict[str, str]:
    """A private TMPDIR (to find leftovers) and config dir (to check the user's logins stay)."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    config = tmp_path / "config"
    (config / "krafta").mkdir(parents=True)
    (config / "krafta" / "credentials.json").write_text(json.dumps(OTHER_LOGIN))
    env = {**os.environ, "TMPDIR": str(temp), "XDG_CONFIG_HOME": str(config)}
    for name in ("KRAFTA_URL", "KRAFTA_TOKEN", "KRAFTA_DATABASE_URL", "KRAFTA_DATA_DIR"):
        env.pop(name, None)
    return env


def server_pid(stderr: str) -> int:
    found = re.search(r"\(pid (\d+)\)", stderr)
    assert found, stderr
    return int(found.group(1))


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # Still in the process table: only acceptable as a zombie nobody waits for (it is not).
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


def test_demo_shows_the_demo_shop_and_cleans_up(tmp_path: Path) -> None:
    env = demo_env(tmp_path)
    result = subprocess.run(
        [krafta_exe(), "demo", "--headless"], env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr
    shown = re.search(r"board showed (\d+) orders as ADMIN: (.*)", result.stdout)
    assert shown, result.stdout
    assert int(shown.group(1)) >= 20  # ~40 demo orders, the open ones on the board
    columns = dict(part.rsplit(" ", 1) for part in shown.group(2).split(", "))
    assert list(columns) == ["REPORTED", "CONFIRMED", "IN_PRODUCTION", "READY", "HANDED_TO_DELIVERY"]
    assert all(int(count) > 0 for count in columns.values()), columns

    assert gone(server_pid(result.stderr))
    assert list((tmp_path / "tmp").iterdir()) == []
    # The user's saved login for another server is untouched; the demo token was never written.
    saved = json.loads((tmp_path / "config" / "krafta" / "credentials.json").read_text())
    assert saved == OTHER_LOGIN


def test_demo_stopped_by_sigterm_while_starting_cleans_up(tmp_path: Path) -> None:
    env = demo_env(tmp_path)
    process = subprocess.Popen(
        [krafta_exe(), "demo", "--headless"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        first_line = process.stderr.readline()
        pid = server_pid(first_line)
        assert list((tmp_path / "tmp").iterdir()) != []  # the demo data dir exists while it runs
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 128 + signal.SIGTERM, rest
    assert "Traceback" not in rest
    assert gone(pid)
    assert list((tmp_path / "tmp").iterdir()) == []
