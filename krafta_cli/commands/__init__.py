"""Typer command groups of `krafta`, one module per group, each with `register(app)`.

The command modules (and `main`) do not use `from __future__ import annotations`: Typer reads every
parameter's annotation when `krafta` starts, and string annotations would be evaluated one by one —
measured 9 ms of the ~60 ms `krafta --help` adds to importing typer, rich and httpx. Keep heavy
imports inside the command bodies for the same reason (the goal is 1.3× those imports).
"""

__all__: list[str] = []
