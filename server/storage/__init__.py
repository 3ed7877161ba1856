"""Where orders and accounts are kept: the database, the fallback files, the seam between them."""

__all__: list[str] = []
