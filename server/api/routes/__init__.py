"""One router module per resource: orders, auth, users, catalog, health."""

__all__: list[str] = []
