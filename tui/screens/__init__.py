"""One module per screen or dialog of the board."""

__all__: list[str] = []
