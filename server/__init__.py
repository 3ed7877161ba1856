"""Krafta orders server: `/api/orders` and login over SQLAlchemy, with a JSON-file fallback."""

__all__: list[str] = []
