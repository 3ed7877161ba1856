"""Issue 8, findings 9 and 10 and the docs switch: the signing key, private files, `/docs`.

In-process where a socket adds nothing; `krafta serve` as a command where its exit is the point.
"""

from __future__ import annotations

import multiprocessing
import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.api.app import create_app
from server.services import Services
from server.settings import ConfigError, Settings, load_jwt_secret
from tests.helpers import ROOT, free_port
from tests.servers import krafta_exe


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---- finding 9: the signing key ----------------------------------------------------------------------


def _serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KRAFTA_")}
    return subprocess.run(
        [krafta_exe(), "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "data")],
        env={**clean, "KRAFTA_LOG_LEVEL": "warning", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_short_key_from_the_environment_stops_the_server_with_one_line(tmp_path: Path) -> None:
    run = _serve(tmp_path, KRAFTA_JWT_SECRET="only-31-bytes-of-key-0123456789")
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "KRAFTA_JWT_SECRET" in lines[0] and "32" in lines[0], lines
    assert "Traceback" not in run.stdout + run.stderr


def test_a_short_key_file_stops_the_server_with_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "jwt-secret").write_text("")  # what the old create-then-write race could leave behind
    run = _serve(tmp_path)
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "jwt-secret" in lines[0] and "0 bytes" in lines[0], run.stderr


def test_a_32_byte_key_is_enough(tmp_path: Path) -> None:
    assert load_jwt_secret(Settings(data_dir=tmp_path, jwt_secret="k" * 32)) == "k" * 32
    with pytest.raises(ConfigError):
        load_jwt_secret(Settings(data_dir=tmp_path, jwt_secret="k" * 31))


def _load_after(barrier: Any, data_dir: str, out: Any) -> None:
    barrier.wait()
    try:
        out.put(load_jwt_secret(Settings(data_dir=Path(data_dir))))
    except Exception as error:  # reported to the test, which fails on it
        out.put(f"error: {error!r}")


def test_servers_starting_at_once_all_read_the_same_full_key(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    starts, trials = 6, 25
    for trial in range(trials):
        data_dir = tmp_path / f"d{trial}"
        barrier, out = ctx.Barrier(starts), ctx.Queue()
        procs = [ctx.Process(target=_load_after, args=(barrier, str(data_dir), out)) for _ in range(starts)]
        for p in procs:
            p.start()
        keys = [out.get(timeout=30) for _ in procs]
        for p in procs:
            p.join(timeout=30)
        assert len(set(keys)) == 1, (trial, keys)
        assert len(keys[0].encode()) >= 32, (trial, keys)
        assert _mode(data_dir / "jwt-secret") == 0o600
        assert not [p for p in data_dir.iterdir() if p.name.endswith(".tmp")]  # no debris


def test_pyjwt_is_required_at_2_10_or_later() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.replace(" ", "").startswith("pyjwt>=2.10") for d in deps), deps


# ---- finding 10: private files -----------------------------------------------------------------------


def test_data_dir_database_and_key_are_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    services = Services.build(settings)
    try:
        assert _mode(settings.data_dir) == 0o700
        assert _mode(settings.data_dir / "krafta.db") == 0o600
        assert _mode(settings.data_dir / "jwt-secret") == 0o600
        assert settings.orders_fallback_dir == settings.data_dir / "fallback"
        assert "public" not in settings.orders_fallback_dir.parts
    finally:
        services.db.dispose()


def test_an_existing_world_readable_data_dir_and_database_are_tightened(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    (data / "krafta.db").touch()
    (data / "krafta.db").chmod(0o644)
    services = Services.build(Settings(data_dir=data))
    try:
        assert _mode(data) == 0o700
        assert _mode(data / "krafta.db") == 0o600
    finally:
        services.db.dispose()


def test_orders_waiting_in_the_old_public_folder_move_to_the_private_one(tmp_path: Path) -> None:
    data = tmp_path / "data"
    old = data / "public" / "orders"
    old.mkdir(parents=True)
    (old / "waiting.json").write_text("{}")
    settings = Settings(data_dir=data)
    Services.build(settings).db.dispose()
    assert (settings.orders_fallback_dir / "waiting.json").read_text() == "{}"
    assert not old.exists()
    assert _mode(settings.orders_fallback_dir) == 0o700


# ---- finding 14: /docs can be turned off ---------------------------------------------------------------


@pytest.mark.parametrize(("docs", "expected"), [(True, 200), (False, 404)])
def test_docs_are_served_unless_turned_off(tmp_path: Path, docs: bool, expected: int) -> None:
    client = TestClient(create_app(Settings(data_dir=tmp_path, docs=docs)))
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == expected, path


def test_krafta_docs_off_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRAFTA_DOCS", "off")
    assert Settings.from_env().docs is False
    monkeypatch.setenv("KRAFTA_DOCS", "on")
    assert Settings.from_env().docs is True


if sys.platform != "linux":  # pragma: no cover
    pytestmark = pytest.mark.skip("file modes are POSIX")
