"""Shell completion (Typer's `--install-completion` machinery) and the entry points."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import Krafta
from tests.servers import krafta_exe


def complete_bash(krafta: Krafta, line: str) -> list[str]:
    """What bash completion offers for the last word of `line` (as the installed script asks)."""
    words = line.split(" ")
    proc = subprocess.run(
        [krafta_exe()],
        capture_output=True,
        text=True,
        timeout=30,
        env=krafta.env(_KRAFTA_COMPLETE="complete_bash", COMP_WORDS=line, COMP_CWORD=str(len(words) - 1)),
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def test_completion_offers_commands_options_and_statuses(tmp_path: Path) -> None:
    krafta = Krafta(tmp_path, None)

    assert complete_bash(krafta, "krafta ord") == ["orders"]
    assert complete_bash(krafta, "krafta orders ") == [
        "list",
        "show",
        "advance",
        "batches",
        "cancel",
        "reject",
        "pay",
        "create",
        "watch",
        "ticket",
        "manifest",
        "due",
        "rush",
        "hold",
        "release",
        "note",
    ]
    assert complete_bash(krafta, "krafta orders list --st") == ["--status", "--stuck"]
    assert complete_bash(krafta, "krafta orders hold KRFT-000001 --reason M") == ["MATERIAL"]
    assert complete_bash(krafta, "krafta orders list --sa") == ["--same-reference"]
    assert complete_bash(krafta, "krafta orders advance KRFT-000001 HAN") == ["HANDED_TO_DELIVERY"]
    assert complete_bash(krafta, "krafta orders list --status RE") == ["REPORTED", "READY"]
    assert complete_bash(krafta, "krafta users add x --role T") == ["TALLER"]


def test_show_completion_prints_a_script_for_the_shell(tmp_path: Path) -> None:
    krafta = Krafta(tmp_path, None)

    # Typed in bash: Typer finds the shell among the command's parents, so the test makes bash the
    # parent (`; exit` keeps bash from exec-ing krafta in its place) instead of inheriting whichever
    # shell started pytest (under `sh` it said "Shell sh not supported").
    shell = subprocess.run(
        ["bash", "-c", '"$0" --show-completion bash; exit $?', krafta_exe()],
        capture_output=True,
        text=True,
        env=krafta.env(),
        timeout=60,
    )

    assert shell.returncode == 0, shell.stderr
    assert "_krafta_completion" in shell.stdout and "_KRAFTA_COMPLETE=complete_bash" in shell.stdout


def test_version_and_python_dash_m(tmp_path: Path) -> None:
    krafta = Krafta(tmp_path, None)

    version = krafta("--version")
    module = subprocess.run(
        [sys.executable, "-m", "krafta_cli", "--version"], capture_output=True, text=True, env=krafta.env()
    )

    assert version.code == 0 and version.out == "krafta 0.1.0\n", version
    assert module.returncode == 0 and module.stdout == version.out, module
