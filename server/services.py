"""Everything a request needs, built once per app by `create_app` and reached through `deps.py`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Connection

from server.accounts.auth import TokenCodec
from server.accounts.devices import DeviceTokens
from server.accounts.limits import ClientAddresses, RateWindow
from server.accounts.sessions import Sessions
from server.accounts.users import LoginLimits, UserService
from server.catalog import CatalogService
from server.domain.changes import OrderChange
from server.domain.planning import Calendar
from server.live.events import LiveEvents
from server.orders.service import OrderService
from server.settings import Settings, load_jwt_secret, private_dir
from server.storage.db import Database
from server.storage.files import FallbackStore
from server.storage.hooks import OrderHooks
from server.storage.numbers import NumberLease
from server.storage.replay import Replayer
from server.storage.seam import OrderStorage

__all__ = ["LiveHooks", "Services"]


class LiveHooks(OrderHooks):
    """Order changes into the change log (in the write transaction) and the fallback's fan-out."""

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

    def after_commit(self, change: OrderChange) -> None:
        self.live.committed()

    def after_fallback(self, change: OrderChange) -> None:
        self.live.record_fallback(
            kind=change.kind, order=dict(change.order or {}), from_status=change.from_status
        )


log = logging.getLogger("krafta.server")


@dataclass
class Services:
    settings: Settings
    db: Database
    store: FallbackStore
    orders: OrderService
    users: UserService
    devices: DeviceTokens
    catalog: CatalogService
    tokens: TokenCodec
    replayer: Replayer
    live: LiveEvents
    lease: NumberLease
    hooks: OrderHooks
    sessions: Sessions
    addresses: ClientAddresses
    order_rate: RateWindow

    @classmethod
    def build(cls, settings: Settings) -> Services:
        private_dir(settings.data_dir)
        tokens = TokenCodec(load_jwt_secret(settings), settings.token_ttl_seconds)
        if settings.fallback_dir is None:
            _move_old_fallback(settings.data_dir)
        db = Database(settings.db_url, pool_size=settings.db_pool_size)
        limits = LoginLimits(
            per_client=settings.login_failures_per_client,
            per_address=settings.login_failures_per_address,
            per_email=settings.login_failures_per_email,
        )
        # The shop's days and clock, one for every planning rule (due dates, `late`, holds ending).
        calendar = Calendar(settings.timezone, settings.lead_days, settings.holidays)
        live = LiveEvents(
            db,
            queue_size=settings.events_queue_size,
            heartbeat_seconds=settings.events_heartbeat_seconds,
            retention=timedelta(hours=settings.events_retention_hours),
            stuck=settings.stuck_rules,
            per_user=settings.events_per_user,
            most=settings.events_subscribers,
            calendar=calendar,
        )
        # Every order change, database or fallback, goes through these hooks (`storage/hooks.py`).
        hooks = LiveHooks(live)
        store = FallbackStore(settings.orders_fallback_dir, hooks)
        # Kept on disk beside the database's other private files: a restart spends what is reserved.
        lease = NumberLease(db, directory=settings.data_dir / "leases")
        # One seam for every order operation: the service and the replay share its stores.
        storage = OrderStorage(db, store)
        # Another server replays its fallback within its replay interval of the database's return
        # (5 s by default, a retry or two more when busy): a minute covers it.
        storage.recent_outage = lambda: live.feed.outage_within(OTHERS_REPLAY_SECONDS)
        return cls(
            settings=settings,
            db=db,
            store=store,
            orders=OrderService(storage, lease=lease, stuck=settings.stuck_rules, calendar=calendar),
            users=UserService(db, limits),
            devices=DeviceTokens(db, tokens),
            catalog=CatalogService(db),
            tokens=tokens,
            replayer=Replayer(storage, lease=lease),
            live=live,
            lease=lease,
            hooks=hooks,
            # Logouts the database could not store yet wait here too (a restart must not forget them).
            sessions=Sessions(db, pending_dir=settings.data_dir / "logouts"),
            addresses=ClientAddresses(settings.trusted_proxies),
            order_rate=RateWindow(settings.rate_limit_orders),
        )


OTHERS_REPLAY_SECONDS = 60.0


def _move_old_fallback(data_dir: Path) -> None:
    """Bring orders left in the old default fallback folder (`public/orders`) to `fallback/`.

    A server upgraded while orders waited there would otherwise never replay them. One rename on the
    same file system: the files (and `imported/`, `invalid/`) move together or not at all.
    """
    old, new = data_dir / "public" / "orders", data_dir / "fallback"
    if old.is_dir() and not new.exists():
        old.rename(new)
        new.chmod(0o700)
        log.warning("moved the fallback folder %s to %s (no longer under public/)", old, new)
