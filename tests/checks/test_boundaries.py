"""Architecture boundaries: what each part may import, checked statically and at run time.

* `lint-imports` runs the contracts in pyproject.toml, plus one kept here for the CLI core: no
  module of `krafta_cli` other than `main` and the server/board command modules may reach the
  server stack, the TUI or Textual, even indirectly.
* In a subprocess, `krafta --help` and `krafta orders list` (against a server that is not there)
  must leave fastapi, sqlalchemy, uvicorn and textual out of `sys.modules`: start-up stays fast.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import krafta_cli
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
HEAVY = ("fastapi", "starlette", "sqlalchemy", "alembic", "uvicorn", "textual", "server", "tui")
# The only CLI modules allowed to reach the server or the board (lazily, inside command bodies).
# (`__main__` only runs main.)
CLI_GATEWAYS = {
    "krafta_cli.main",
    "krafta_cli.__main__",
    "krafta_cli.commands.server_admin",
    "krafta_cli.commands.board",
}
FORBIDDEN_FOR_CLI_CORE = ("server", "tui", "fastapi", "sqlalchemy", "uvicorn", "textual")

PROBE = """
import json, sys
from krafta_cli.main import main
code = 0
try:
    main(sys.argv[1:])
except SystemExit as exit_:
    code = exit_.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
sys.stderr.write("\\nPROBE " + json.dumps({"code": code, "heavy": heavy}) + "\\n")
"""


def _probe(tmp_path: Path, *args: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRAFTA_")}
    env.update(
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        KRAFTA_URL=f"http://127.0.0.1:{free_port()}",
    )
    code = f"HEAVY = {HEAVY!r}\n{PROBE}"
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )
    line = next((ln for ln in proc.stderr.splitlines() if ln.startswith("PROBE ")), None)
    assert line, proc.stderr
    return json.loads(line.removeprefix("PROBE "))


@pytest.mark.parametrize(
    ("args", "exit_code"),
    [(("--help",), 0), (("orders", "list"), 6), (("orders", "show", "KRFT-000001", "--json"), 6)],
)
def test_light_commands_do_not_import_the_server_stack(
    tmp_path: Path, args: tuple[str, ...], exit_code: int
) -> None:
    result = _probe(tmp_path, *args)

    # The exit code proves the command really ran (6: it tried the unreachable server).
    assert result["code"] == exit_code, result
    assert result["heavy"] == [], f"`krafta {' '.join(args)}` imported {result['heavy']}"


def test_the_probe_would_see_a_heavy_import(tmp_path: Path) -> None:
    # Guard against a probe that can never fail: importing the server package must show up.
    env = {**os.environ, "HOME": str(tmp_path)}
    code = (
        "import server.settings, sys\n"
        f"HEAVY = {HEAVY!r}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in HEAVY))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert "server" in proc.stdout, proc


def _cli_core_modules() -> list[str]:
    # Plain modules only: import-linter reads a package as "the package and all it contains",
    # which would pull the gateway modules back in.
    names = [m.name for m in pkgutil.walk_packages(krafta_cli.__path__, prefix="krafta_cli.") if not m.ispkg]
    return sorted(set(names) - CLI_GATEWAYS)


def test_import_contracts(tmp_path: Path) -> None:
    core = _cli_core_modules()
    assert {"krafta_cli.client._client", "krafta_cli.commands.orders", "krafta_cli.render"} <= set(core)
    assert {"krafta_cli.view", "krafta_cli.server_process"} <= set(core)
    config = tmp_path / "importlinter.ini"
    indent = "\n    "
    config.write_text(
        "[importlinter]\n"
        f"root_packages ={indent}server{indent}krafta_cli{indent}tui\n"
        "include_external_packages = True\n\n"
        "[importlinter:contract:cli-core]\n"
        "name = the CLI core never reaches the server stack, the TUI or Textual\n"
        "type = forbidden\n"
        f"source_modules ={indent}{indent.join(core)}\n"
        f"forbidden_modules ={indent}{indent.join(FORBIDDEN_FOR_CLI_CORE)}\n"
    )

    project = subprocess.run([str(LINT_IMPORTS)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    cli_core = subprocess.run(
        [str(LINT_IMPORTS), str(config)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )

    assert project.returncode == 0, project.stdout + project.stderr
    assert "broken" in project.stdout and " 0 broken" in project.stdout, project.stdout
    assert cli_core.returncode == 0, cli_core.stdout + cli_core.stderr
    assert "the CLI core never reaches the server stack, the TUI or Textual KEPT" in cli_core.stdout, (
        cli_core.stdout
    )


# What the board may use of the CLI package: its HTTP client, the shared words and the workflows.
BOARD_MAY_IMPORT = ("krafta_cli.client", "krafta_cli.literal", "krafta_cli.view", "krafta_cli.workflows")


def test_the_board_contract_forbids_every_other_cli_module() -> None:
    # The contract in pyproject.toml lists what the board may not import; a new CLI module must
    # land on that list, or the board could start reaching into it unnoticed.
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    board = next(c for c in contracts if c["name"].startswith("the board imports from krafta_cli only"))
    top_level = {
        info.name
        for info in pkgutil.iter_modules(krafta_cli.__path__, prefix="krafta_cli.")
        if info.name != "krafta_cli.__main__"
    }

    assert board["source_modules"] == ["tui"]
    assert set(board["forbidden_modules"]) == top_level - set(BOARD_MAY_IMPORT), (
        top_level - set(BOARD_MAY_IMPORT)
    ) ^ set(board["forbidden_modules"])
