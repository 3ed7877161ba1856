"""`create_app(settings)`: the only place routers, error handlers and the lifespan are wired."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI

from server.api.errors import install_handlers
from server.api.middleware import BodyDeadline, SecurityHeaders
from server.api.openapi import install_openapi
from server.api.routes import auth, catalog, events, health, orders, tickets, users
from server.orders.planning import HoldsLoop
from server.services import Services
from server.settings import Settings
from server.storage.migrate import upgrade
from server.storage.replay import ReplayLoop
from server.storage.seam import attempt

__all__ = ["create_app"]

log = logging.getLogger("krafta.server")


class _NoQueryInAccessLog(logging.Filter):
    """uvicorn's access log line without the query string: a staff search (`?q=`) is often a payer's
    name, and no order field may reach the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


_ACCESS_FILTER = _NoQueryInAccessLog()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    services = Services.build(settings)
    logging.getLogger("uvicorn.access").addFilter(_ACCESS_FILTER)  # the same object: added once

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        migrate = (lambda: upgrade(settings.db_url)) if settings.migrate_when_reachable else None
        # The fallback's index is built from its directory now, not on the first order; the number
        # lease is filled while the database answers (the replay loop keeps it topped up).
        await anyio.to_thread.run_sync(services.store.count)
        # Before the first order: the numbers a predecessor reserved and left unspent are ours now.
        await anyio.to_thread.run_sync(services.lease.open)
        if migrate is None:
            try:
                await anyio.to_thread.run_sync(lambda: attempt(services.lease.refill))
            except Exception:
                log.exception("could not fill the order number lease; will retry")
        loop = ReplayLoop(services.replayer, settings.replay_interval_seconds, migrate=migrate)
        loop.start()
        orders = services.orders
        holds = HoldsLoop(orders.storage, orders.calendar, settings.holds_interval_seconds)
        holds.start()
        services.live.start(asyncio.get_running_loop())
        restore_signals = _close_streams_on_exit(services.live.close_streams)
        try:
            yield
        finally:
            restore_signals()
            services.live.stop()
            holds.stop()
            loop.stop()
            services.lease.release()
            services.db.dispose()

    # The API description is public by default (it documents nothing secret); KRAFTA_DOCS=off hides it.
    docs: dict[str, Any] = {} if settings.docs else {"docs_url": None, "redoc_url": None, "openapi_url": None}
    app = FastAPI(title="Krafta orders", version="0.1.0", lifespan=lifespan, **docs)
    app.state.services = services
    install_handlers(app)
    install_openapi(app)
    app.add_middleware(BodyDeadline, seconds=settings.body_timeout_seconds)
    app.add_middleware(SecurityHeaders)
    # events first: `/api/orders/events` must not be taken for an order named "events".
    for module in (events, orders, tickets, auth, users, catalog, health):
        app.include_router(module.router)
    return app


def _close_streams_on_exit(close: Callable[[], None]) -> Callable[[], None]:
    """Chain `close` in front of the server's SIGINT/SIGTERM handlers; returns the undo.

    uvicorn's graceful shutdown waits for open responses to finish before it runs the lifespan's
    exit, and an event stream never finishes by itself: without this, every stop would wait out
    the graceful timeout. Only where uvicorn (or another server) installed Python-level handlers,
    and only from the main thread (where signal handlers live).
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous: dict[int, Callable[..., object]] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(sig)
        if not callable(handler) or handler is signal.default_int_handler:
            continue
        previous[sig] = handler

        def chained(signum: int, frame: object, _prev: Callable[..., object] = handler) -> None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(close)
            _prev(signum, frame)

        signal.signal(sig, chained)

    def restore() -> None:
        for sig, handler in previous.items():
            if signal.getsignal(sig) is not handler:
                signal.signal(sig, handler)

    return restore
