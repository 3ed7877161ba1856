"""Start-up at the floor (issue 19): `krafta --help` loads no command module, `krafta orders list`
only what a list uses, and the root's list of commands (`krafta_cli.main.COMMANDS`, what `--help`
shows without loading them) says what each command's own help says. How fast: bench/startup_bench.py
(timing is measured there, never asserted here)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from krafta_cli.main import COMMANDS, load_command
from tests.cli.conftest import Krafta

# Runs krafta's main() as the console script does, then names the krafta_cli modules it imported.
_MODULES = (
    "import sys; from krafta_cli.main import main\n"
    "try: main(sys.argv[1:])\n"
    "except SystemExit: pass\n"
    "print(' '.join(sorted(m for m in sys.modules if m.startswith('krafta_cli'))), file=sys.stderr)"
)


def _own_modules(runner: Krafta, *args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _MODULES, *args], capture_output=True, text=True, env=runner.env(), timeout=60
    )
    return set(done.stderr.strip().splitlines()[-1].split())


def test_help_loads_no_command_module(krafta: Krafta) -> None:
    assert _own_modules(krafta, "--help") == {"krafta_cli", "krafta_cli.main", "krafta_cli.exit_codes"}


def test_orders_list_loads_no_moves_paper_or_events(admin: Krafta) -> None:
    loaded = _own_modules(admin, "orders", "list", "--limit", "5", "--format", "tsv")

    assert "krafta_cli.commands.orders" in loaded and "krafta_cli.client._client" in loaded  # it did run
    unused = {
        "krafta_cli.client._events",
        "krafta_cli.workflows._moves",
        "krafta_cli.workflows._batches",
        "krafta_cli.workflows._detail",
        "krafta_cli.workflows._paper",
        "krafta_cli.workflows._station",
        "krafta_cli.commands.users",
        "krafta_cli.commands.board",
        "krafta_cli.commands.server_admin",
    }
    assert loaded & unused == set()


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_listed_command_reads_as_its_own_help(name: str) -> None:
    from typer.core import TyperCommand

    loaded = load_command(name)
    listed = TyperCommand(name, help=COMMANDS[name].help)

    for width in (30, 60, 200):
        assert listed.get_short_help_str(width) == loaded.get_short_help_str(width), name


def test_the_root_help_lists_every_command(krafta: Krafta) -> None:
    run = krafta("--help", COLUMNS="200")

    listed = [line.split()[0] for line in run.out.split("Commands:")[1].splitlines() if line.strip()]
    assert listed == list(COMMANDS), run
