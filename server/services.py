"""Everything a request needs, built once per app by `create_app` and reached through `deps.py`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from server.auth import TokenCodec
from server.catalog import CatalogService
from server.db import Database
from server.fallback import FallbackStore
from server.live import LiveEvents
from server.order_queries import OrderQueries
from server.orders import OrderService
from server.replay import Replayer
from server.settings import Settings, load_jwt_secret
from server.users import UserService

__all__ = ["Services"]


@dataclass
class Services:
    settings: Settings
    db: Database
    store: FallbackStore
    orders: OrderService
    queries: OrderQueries
    users: UserService
    catalog: CatalogService
    tokens: TokenCodec
    replayer: Replayer
    live: LiveEvents

    @classmethod
    def build(cls, settings: Settings) -> Services:
        db = Database(settings.db_url, pool_size=settings.db_pool_size)
        store = FallbackStore(settings.orders_fallback_dir)
        live = LiveEvents(
            db,
            queue_size=settings.events_queue_size,
            heartbeat_seconds=settings.events_heartbeat_seconds,
            retention=timedelta(hours=settings.events_retention_hours),
        )
        return cls(
            settings=settings,
            db=db,
            store=store,
            orders=OrderService(db, store, live=live),
            queries=OrderQueries(db, store),
            users=UserService(db),
            catalog=CatalogService(db),
            tokens=TokenCodec(load_jwt_secret(settings), settings.token_ttl_seconds),
            replayer=Replayer(db, store, live=live),
            live=live,
        )
