"""The order service: every order operation, over the storage seam."""

__all__: list[str] = []
