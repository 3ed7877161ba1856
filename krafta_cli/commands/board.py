"""Placeholder until its owner writes the real commands; `krafta_cli.main` registers it."""

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app (none yet)."""
