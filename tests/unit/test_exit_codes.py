"""The exit codes are declared once (`krafta_cli/exit_codes.py`) and documented twice: the module's
own table and the README's. Both tables list exactly the declared codes."""

from __future__ import annotations

import re
from pathlib import Path

import krafta_cli.exit_codes
from krafta_cli.exit_codes import ExitCode

ROOT = Path(__file__).resolve().parents[2]
_ROW = re.compile(r"^\| (\d+) \| ", re.MULTILINE)


def _codes(text: str) -> list[int]:
    return [int(code) for code in _ROW.findall(text)]


def test_the_module_and_the_readme_document_every_exit_code() -> None:
    declared = sorted(int(code) for code in ExitCode)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| exit code | meaning |") :]
    table = table[: table.index("\n\n")]

    assert _codes(krafta_cli.exit_codes.__doc__ or "") == declared
    assert _codes(table) == declared
