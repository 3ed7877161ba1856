"""The HTTP edge: `create_app`, routes, dependencies, middleware, errors → responses, OpenAPI."""

__all__: list[str] = []
