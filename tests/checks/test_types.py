"""The type checker, with the rest of the suite: mypy over the server, the CLI and the board
(pyproject.toml says where it is strict: the server, the shared client package, the view module,
ServerProcess and the board's pure modules; the rest gets mypy's default checks with check_untyped_defs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_finds_nothing() -> None:
    result = subprocess.run(
        # The checkout's own cache (.mypy_cache, as `mypy` on the command line): mypy re-checks every
        # module whose source or dependencies changed, so a warm run costs ~1 s instead of ~10 s and
        # sees the same errors; no other checkout shares it.
        [sys.executable, "-m", "mypy"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout, result.stdout


def test_mypy_would_see_an_error(tmp_path: Path) -> None:
    # Guard against a check that can never fail (wrong config, nothing checked).
    bad = tmp_path / "bad.py"
    bad.write_text("from krafta_cli.view import usd\n\nx: int = usd(3)\n")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache"), str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=600,
    )
    assert result.returncode == 1 and "Incompatible types in assignment" in result.stdout, result.stdout
