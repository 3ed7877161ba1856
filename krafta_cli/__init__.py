"""The `krafta` staff command and the HTTP client shared with the board.

Kept import-free on purpose: `krafta --help` must start without loading the server stack.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
