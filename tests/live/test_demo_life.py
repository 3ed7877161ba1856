"""`krafta serve --demo` as a command (issue 19, finding 8): the shop lives (a new order and one moved
every few seconds; KRAFTA_DEMO_EVERY makes the 20-40 s quick here), `--still` stands it still, and
every start prints the demo accounts with a password that logs in.

On main the demo stood still (no order placed nor moved while it ran), and a second start printed
"the password was printed when it was first seeded" instead of one.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx

from krafta_cli.server_process import ServerProcess
from tests.helpers import free_port
from tests.live.test_demo import demo_env

ACCOUNTS = re.compile(
    r"demo accounts: admin@krafta\.demo \(ADMIN\), taller@krafta\.demo \(TALLER\); password: (\S+)"
)


def serve_demo(tmp_path: Path, name: str, *extra: str, every: str = "0.2-0.4") -> ServerProcess:
    env = {**demo_env(tmp_path / name), "KRAFTA_DEMO_EVERY": every}
    env.pop("KRAFTA_DEMO_PASSWORD", None)
    return ServerProcess(
        port=free_port(),
        log_path=tmp_path / f"{name}.log",
        args=[
            "--demo",
            *extra,
            "--db",
            f"sqlite:///{tmp_path / 'k.db'}",
            "--data-dir",
            str(tmp_path / "data"),
        ],
        env=env,
    )


def login(url: str, printed: str) -> str:
    found = ACCOUNTS.search(printed)
    assert found, printed
    answer = httpx.post(f"{url}/api/auth/login", json={"email": "admin@krafta.demo", "password": found[1]})
    assert answer.status_code == 200, answer.text
    return str(answer.cookies["krafta-token"])


def orders(url: str, token: str) -> dict[str, dict[str, Any]]:
    answer = httpx.get(
        f"{url}/api/orders", params={"limit": 200}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    return {o["id"]: o for o in answer.json()["orders"]}


def test_the_demo_lives_stands_still_when_asked_and_prints_its_accounts_every_start(tmp_path: Path) -> None:
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    with serve_demo(tmp_path, "first") as server:
        server.wait_ready(timeout=60)
        printed = (tmp_path / "first.log").read_text()
        assert "demo shop is live: a new order and one moved every 0.2-0.4 s" in printed, printed
        token = login(server.url, printed)
        start = orders(server.url, token)
        deadline = time.monotonic() + 20
        now = start
        while time.monotonic() < deadline:
            now = orders(server.url, token)
            new = [o for id_, o in now.items() if id_ not in start]
            moved = [o for id_, o in now.items() if id_ in start and o["status"] != start[id_]["status"]]
            if len(new) >= 3 and moved:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the demo did not live: {len(now) - len(start)} new orders, none moved")
        first_password = ACCOUNTS.search(printed)

    # Started again on the same database, standing still: the accounts again, with a password that works.
    with serve_demo(tmp_path, "second", "--still") as server:
        server.wait_ready(timeout=60)
        printed = (tmp_path / "second.log").read_text()
        assert "demo data: already there" in printed, printed
        assert "is live" not in printed, printed
        token = login(server.url, printed)
        assert first_password and ACCOUNTS.search(printed)[1] != first_password[1]  # type: ignore[index]
        still = orders(server.url, token)
        time.sleep(2)  # ten beats' worth at the demo's pace above
        assert orders(server.url, token) == still


def test_krafta_demo_still_prints_its_accounts_and_logs_in_by_itself(tmp_path: Path) -> None:
    import subprocess

    from tests.servers import krafta_exe

    result = subprocess.run(
        [krafta_exe(), "demo", "--still", "--headless"],
        env=demo_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    found = re.search(
        r"accounts admin@krafta\.demo \(ADMIN\), taller@krafta\.demo \(TALLER\); password (\S+)",
        result.stderr,
    )
    assert found, result.stderr
    assert "board showed" in result.stdout and "as ADMIN" in result.stdout, result.stdout  # no login asked
