"""Everything a request needs, built once per app by `create_app` and reached through `deps.py`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection

from server.auth import TokenCodec
from server.catalog import CatalogService
from server.db import Database
from server.fallback import FallbackStore
from server.live import LiveEvents
from server.order_events import OrderChange, OrderHooks
from server.order_numbers import NumberLease
from server.orders import OrderService
from server.replay import Replayer
from server.settings import Settings, load_jwt_secret
from server.users import UserService

__all__ = ["LiveHooks", "Services"]


class LiveHooks(OrderHooks):
    """Order changes into the live event log (in the write transaction) and the fallback's fan-out."""

    def __init__(self, live: LiveEvents) -> None:
        self.live = live

    def in_transaction(self, conn: Connection, change: OrderChange) -> None:
        self.live.record(
            conn,
            kind=change.kind,
            order=dict(change.order or {}),
            from_status=change.from_status,
            replayed=change.replayed,
        )

    def after_fallback(self, change: OrderChange) -> None:
        self.live.record_fallback(
            kind=change.kind, order=dict(change.order or {}), from_status=change.from_status
        )


@dataclass
class Services:
    settings: Settings
    db: Database
    store: FallbackStore
    orders: OrderService
    users: UserService
    catalog: CatalogService
    tokens: TokenCodec
    replayer: Replayer
    live: LiveEvents
    lease: NumberLease
    hooks: OrderHooks

    @classmethod
    def build(cls, settings: Settings) -> Services:
        db = Database(settings.db_url, pool_size=settings.db_pool_size)
        live = LiveEvents(
            db,
            queue_size=settings.events_queue_size,
            heartbeat_seconds=settings.events_heartbeat_seconds,
            retention=timedelta(hours=settings.events_retention_hours),
        )
        # Every order change, database or fallback, goes through these hooks (see `order_events.py`).
        hooks = LiveHooks(live)
        store = FallbackStore(settings.orders_fallback_dir, hooks)
        lease = NumberLease(db)
        return cls(
            settings=settings,
            db=db,
            store=store,
            orders=OrderService(db, store, lease=lease),
            users=UserService(db),
            catalog=CatalogService(db),
            tokens=TokenCodec(load_jwt_secret(settings), settings.token_ttl_seconds),
            replayer=Replayer(db, store, lease=lease, hooks=hooks),
            live=live,
            lease=lease,
            hooks=hooks,
        )
