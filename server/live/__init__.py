"""Live events: the change log, the feed that reads it, the hub that fans it out to subscribers."""

__all__: list[str] = []
