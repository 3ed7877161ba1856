"""Who may call: password hashing and tokens, sessions, users, login and address limits."""

__all__: list[str] = []
