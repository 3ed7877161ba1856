"""What an order is and how it may change: pure Python, no FastAPI, no SQLAlchemy, no I/O."""

__all__: list[str] = []
