"""Board widgets: a status column of order cards, the card painter, the offline banner."""

__all__: list[str] = []
