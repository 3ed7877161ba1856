"""Typer command groups of `krafta`, one module per group, loaded by name (`krafta_cli.main.COMMANDS`).

The command modules (and `main`) do not use `from __future__ import annotations`: Typer reads every
parameter's annotation when `krafta` starts, and string annotations would be evaluated one by one —
measured 9 ms of the ~60 ms `krafta --help` adds to importing typer, rich and httpx. Keep heavy
imports inside the command bodies for the same reason (`krafta --help` loads no command module; the
goal is 1.15× those imports, kept by bench/client_bench.py).
"""

__all__: list[str] = []
