"""Typer command groups of `krafta`, one module per group, each with `register(app)`."""

__all__: list[str] = []
