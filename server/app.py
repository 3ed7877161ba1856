"""`create_app(settings)`: the only place routers, error handlers and the lifespan are wired."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from server.errors import install_handlers
from server.migrate import upgrade
from server.replay import ReplayLoop
from server.routes import auth, catalog, health, orders, users
from server.services import Services
from server.settings import Settings

__all__ = ["create_app"]

log = logging.getLogger("krafta.server")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    services = Services.build(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        migrate = (lambda: upgrade(settings.db_url)) if settings.migrate_when_reachable else None
        loop = ReplayLoop(services.replayer, settings.replay_interval_seconds, migrate=migrate)
        loop.start()
        try:
            yield
        finally:
            loop.stop()
            services.db.dispose()

    app = FastAPI(title="Krafta orders", version="0.1.0", lifespan=lifespan)
    app.state.services = services
    install_handlers(app)
    for module in (orders, auth, users, catalog, health):
        app.include_router(module.router)
    return app
