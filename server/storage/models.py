"""Database tables as SQLAlchemy 2.0 typed models. Wire shapes live in `schemas.py`, not here."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from server.domain.shape import new_id, utcnow

__all__ = [
    "Base",
    "DesignUpload",
    "DeviceToken",
    "HistoryEntry",
    "IdempotencyKey",
    "LoggedChangeRow",
    "LoginFailure",
    "Order",
    "OrderItem",
    "OrderNumber",
    "PaymentSubmission",
    "Product",
    "ProductVariant",
    "RevokedToken",
    "User",
]


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite would otherwise hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        # SQLite stores text; a naive UTC value sorts correctly there.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Money = Numeric(12, 2)
MoneyBs = Numeric(16, 2)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Signed into every token issued; deactivating, a password reset or change raise it, so every
    # session issued before stops counting at once (tokens are JWTs: nothing else holds them).
    sessions_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DeviceToken(Base):
    """A long-lived token for a shared screen (the workshop's board PC): its own name and role, no
    password, listed and revocable. Its id is the token's `jti` and subject."""

    __tablename__ = "device_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str | None] = mapped_column(String(254), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    variants: Mapped[list[ProductVariant]] = relationship(order_by="ProductVariant.id")


class ProductVariant(Base):
    __tablename__ = "product_variants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    base_price: Mapped[Decimal] = mapped_column(Money)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DesignUpload(Base):
    __tablename__ = "design_uploads"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        # The list query: newest first with id as tie-break, optionally filtered by status.
        Index("ix_orders_created_id", "created_at", "id"),
        Index("ix_orders_status_created", "status", "created_at"),
        # A board's refresh asks only for what changed (`updatedSince`).
        Index("ix_orders_updated_at", "updated_at"),
        # `stuck=true|false`: per ruled status, the orders that entered it before a cut-off.
        Index("ix_orders_status_entered", "status", "entered_status_at"),
        # The day's plan (`sort=due`, `late=true`) and the holds that end by themselves.
        Index("ix_orders_due_at", "due_at"),
        Index("ix_orders_hold_until", "hold_until"),
        # `search_text` has a pg_trgm GIN index on PostgreSQL where the extension could be created
        # (migration 0008); not declared here, as it exists only where the database can have it.
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    order_number: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[str | None] = mapped_column(String(36), index=True, nullable=True)
    guest_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    customer_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    status: Mapped[str] = mapped_column(String(24))
    shipping_address: Mapped[str] = mapped_column(String(300))
    shipping_city: Mapped[str] = mapped_column(String(100))
    shipping_state: Mapped[str] = mapped_column(String(100))
    shipping_cost: Mapped[Decimal] = mapped_column(Money)
    subtotal: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    total_bs: Mapped[Decimal] = mapped_column(MoneyBs)
    exchange_rate: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    price_check: Mapped[str] = mapped_column(String(16))
    price_expected: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    entered_status_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # `q` looks here: the order's searched fields folded (`server.domain.search.search_text`),
    # written with the order (`database.insert_rows`) and whenever a searched field changes.
    search_text: Mapped[str] = mapped_column(Text)
    # The order's staff JSON, children included, as the database builds it (`storage/order_json.py`),
    # rewritten in every write's transaction: a list reads it as it is instead of building it per
    # order per request. `list_shape` says which builder made it (`order_json.shape_key`): a text
    # missing or made by another one (an earlier release, a row written around the server) is built
    # again when read, and stored again by `fill_missing` at the next upgrade.
    list_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    list_shape: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The SHA-256 of the order's token (`server.domain.order_token`), never the token; null for an
    # order placed before tokens existed. Storage only: no view of the order carries it.
    order_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Who receives the parcel (server/domain/recipient.py): optional, for the courier's form.
    recipient_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    recipient_phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    recipient_id_number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # Set by the move to HANDED_TO_DELIVERY (courier and tracking number are optional, as in the seed).
    delivery_courier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    delivery_tracking_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    delivery_handed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Planning (server/domain/planning.py): the day promised, rush or normal, and a hold.
    due_at: Mapped[date | None] = mapped_column(Date, nullable=True)
    priority: Mapped[str] = mapped_column(String(8), default="normal", server_default="normal")
    hold_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    hold_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    hold_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    hold_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    hold_by: Mapped[str | None] = mapped_column(String(254), nullable=True)


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[str] = mapped_column(String(64))
    product_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    variant_label: Mapped[str | None] = mapped_column(Text, nullable=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    design_upload_id: Mapped[str | None] = mapped_column(
        ForeignKey("design_uploads.id", ondelete="SET NULL"), nullable=True
    )
    preview_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    design_views_json: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)


class PaymentSubmission(Base):
    __tablename__ = "payment_submissions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    amount_reported: Mapped[Decimal] = mapped_column(MoneyBs)
    amount_expected: Mapped[Decimal] = mapped_column(MoneyBs)
    reference: Mapped[str] = mapped_column(String(64))
    origin_bank: Mapped[str] = mapped_column(String(120))
    payer_name: Mapped[str] = mapped_column(String(120))
    receipt_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="REPORTED")
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(254), nullable=True)
    reject_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Who else paid with this? Method and the reference's digits (`server.domain.desk.reference_key`),
    # written with the payment and indexed: `sameReference` is one lookup, not a scan.
    reference_key: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)


class HistoryEntry(Base):
    """One entry of an order's history: a status change (or a renumbering on fallback replay).

    The table keeps its first name: renaming it would cost every shop a migration for no reader's gain.
    """

    __tablename__ = "order_events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    # Position within the order's history; timestamps alone can tie.
    seq: Mapped[int] = mapped_column(Integer)
    from_status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    to_status: Mapped[str] = mapped_column(String(24))
    user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    user_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    user_role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    # `move`, or a planning change (`note`, `due`, `priority`, `hold`, `release`): shape.HISTORY_KINDS.
    kind: Mapped[str] = mapped_column(String(16), default="move", server_default="move")


class OrderNumber(Base):
    """Every order number ever handed out or held in a lease: the registry that keeps numbers unique.

    A server instance leases a small block of unused numbers (`lessee` = that instance) and spends them
    on new orders, also while the database is down, so an outage order's number cannot collide.
    Rows stay after their number is spent; unspent ones are released when the server stops.
    """

    __tablename__ = "order_numbers"

    number: Mapped[str] = mapped_column(String(16), primary_key=True)
    lessee: Mapped[str] = mapped_column(String(80))
    leased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyKey(Base):
    """A request's Idempotency-Key, scoped to its caller: `key` is a hash of (caller, key)."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginFailure(Base):
    """Failed logins, kept in the database so the rate limit holds across server processes.

    Counted per (email, client), per client and per email: see `users.LoginLimits`.
    """

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_email_at", "email", "at"),
        Index("ix_login_failures_client_at", "client", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254))
    # The client address (the socket's, or X-Forwarded-For from a trusted proxy); "" before 0003.
    client: Mapped[str] = mapped_column(String(64), default="", server_default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoggedChangeRow(Base):
    """One logged change: a committed order change, for the live event stream (`live/log.py`); kept
    at least 24 h. (The table keeps its first name, `live_events`.)

    The id is the stream's cursor: handed out in commit order (see `live/log.py::append`). The order is
    kept as it was right after the change (as staff are shown it), so a subscriber resuming later reads each
    change as it happened, not the order's state at the time it reconnects.
    """

    __tablename__ = "live_events"
    # AUTOINCREMENT: SQLite would otherwise reuse the ids of pruned rows once the table empties.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str] = mapped_column(String(36))
    owner_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    from_status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    to_status: Mapped[str] = mapped_column(String(24))
    # The server process that published it: its own subscribers already saw a replayed fallback change.
    origin: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    order_json: Mapped[str] = mapped_column(Text)


class RevokedToken(Base):
    """Session tokens ended by logout, by their `jti`, kept until they would have expired anyway."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


# The Core tables of the models, typed as `Table` (the declarative `__table__` is typed as a plain
# `FromClause`), named once for the modules that work on rows rather than ORM objects.
orders_t: Table = cast(Table, Order.__table__)
payments_t: Table = cast(Table, PaymentSubmission.__table__)
idem_t: Table = cast(Table, IdempotencyKey.__table__)
variants_t: Table = cast(Table, ProductVariant.__table__)
products_t: Table = cast(Table, Product.__table__)
uploads_t: Table = cast(Table, DesignUpload.__table__)
numbers_t: Table = cast(Table, OrderNumber.__table__)
change_log_t: Table = cast(Table, LoggedChangeRow.__table__)
