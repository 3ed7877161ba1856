"""Demo data for `krafta serve --demo` and `krafta demo`: a catalog, two staff users and ~40 orders,
and a shop that keeps living while the server runs.

Seeded once per database (the demo admin's presence is the marker), through the same record
builder the order endpoint uses, so demo orders look exactly like real ones. On every later start
the demo users get a fresh password (`reset_demo_password`), so the accounts can be printed on every
start, not only the first (issue 19: the password was printed once and never again).

`DemoLife` is the living part (issue 19: the "living demo shop" was static): every 20-40 s it
places a new order and moves one order a step, through the order service as requests do, so the
board sees them arrive on its live stream. `krafta serve --demo --still` leaves it off.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from server.accounts.auth import hash_password
from server.accounts.users import user_json
from server.catalog import CatalogService
from server.domain.edits import apply_edit, move_edit
from server.domain.errors import ApiError
from server.domain.handover import delivery_of
from server.domain.lifecycle import PIPELINE, Status, plan_move
from server.domain.numbers import draw_number
from server.domain.principal import Principal
from server.domain.records import PriceInfo, build_record, variant_label
from server.domain.schemas import AdvanceIn, CatalogIn, OrderIn
from server.domain.shape import utcnow
from server.storage.database import insert_rows
from server.storage.db import Database
from server.storage.models import Order, User
from server.storage.numbers import claim_number

if TYPE_CHECKING:
    from server.services import Services

__all__ = ["DEMO_ADMIN", "DEMO_EVERY", "DEMO_TALLER", "DemoLife", "DemoSeed", "seed_demo"]

log = logging.getLogger("krafta.server")

DEMO_EVERY = (20.0, 40.0)
"""Seconds between two beats of the living demo, drawn between these two each time."""

DEMO_ADMIN = "admin@krafta.demo"
DEMO_TALLER = "taller@krafta.demo"

CATALOG: dict[str, Any] = {
    "products": [
        {
            "id": "franela",
            "name": "Franela blanca",
            "variants": [
                {
                    "id": "var-1",
                    "sku": "FRA-BLA-M",
                    "basePrice": 12.00,
                    "attributes": {"talla": "M", "color": "blanco"},
                },
                {
                    "id": "var-2",
                    "sku": "FRA-BLA-L",
                    "basePrice": 12.00,
                    "attributes": {"talla": "L", "color": "blanco"},
                },
                {
                    "id": "var-3",
                    "sku": "FRA-NEG-M",
                    "basePrice": 13.50,
                    "attributes": {"talla": "M", "color": "negro"},
                },
            ],
        },
        {
            "id": "taza",
            "name": "Taza de cerámica",
            "variants": [
                {"id": "var-4", "sku": "TAZ-11OZ", "basePrice": 8.00, "attributes": {"capacidad": "11oz"}},
            ],
        },
        {
            "id": "gorra",
            "name": "Gorra bordada",
            "variants": [
                {"id": "var-5", "sku": "GOR-AJU", "basePrice": 15.00, "attributes": {"ajuste": "snapback"}},
            ],
        },
        {
            "id": "poster",
            "name": "Póster A3",
            "variants": [
                {"id": "var-6", "sku": "POS-A3", "basePrice": 6.50, "attributes": {"papel": "mate"}},
            ],
        },
    ]
}

PLACES = [
    ("Caracas", "Distrito Capital"),
    ("Maracaibo", "Zulia"),
    ("Valencia", "Carabobo"),
    ("Barquisimeto", "Lara"),
    ("Maracay", "Aragua"),
    ("Mérida", "Mérida"),
    ("San Cristóbal", "Táchira"),
    ("Puerto La Cruz", "Anzoátegui"),
    ("Ciudad Guayana", "Bolívar"),
    ("Maturín", "Monagas"),
    ("Barinas", "Barinas"),
    ("Cumaná", "Sucre"),
    ("Porlamar", "Nueva Esparta"),
    ("Coro", "Falcón"),
    ("Valera", "Trujillo"),
]
PAYERS = [
    "María Pérez",
    "José Rodríguez",
    "Ana González",
    "Luis Hernández",
    "Carmen Díaz",
    "Carlos Martínez",
    "Daniela Rojas",
    "Miguel Suárez",
    "Valentina Torres",
    "Andrés Ramírez",
    "Gabriela Morales",
    "Jesús Castillo",
]
BANKS = ["Banesco", "Banco de Venezuela", "Mercantil", "Provincial", "BNC", "Bancamiga"]
STREETS = [
    "Av. Libertador",
    "Calle Bolívar",
    "Av. Urdaneta",
    "Calle Sucre",
    "Av. Las Delicias",
    "Calle Miranda",
]


@dataclass
class DemoSeed:
    password: str
    created: bool
    orders: int


def seed_demo(
    db: Database,
    *,
    password: str | None = None,
    orders: int = 40,
    rng_seed: int = 7,
    password_hash: Callable[[str], str] = hash_password,
) -> DemoSeed:
    """Seed the demo data unless it is already there, else give the demo users `password` (or a new
    random one). Returns the password they have now.

    `password_hash` hashes the demo password (`krafta serve --demo` passes one that was started in
    a thread while the server was still importing).
    """
    with db.session() as session:
        present = session.scalar(select(User.id).where(User.email == DEMO_ADMIN)) is not None
    password = password or secrets.token_urlsafe(9)
    if present:
        reset_demo_password(db, password_hash(password))
        return DemoSeed(password=password, created=False, orders=0)
    CatalogService(db).upsert(CatalogIn.model_validate(CATALOG))
    admin, taller = _demo_users(db, password_hash(password))
    admin_p = Principal(id=admin["id"], email=DEMO_ADMIN, role="ADMIN", expires_at=utcnow())
    taller_p = Principal(id=taller["id"], email=DEMO_TALLER, role="TALLER", expires_at=utcnow())

    rnd = random.Random(rng_seed)
    # Spread over the pipeline: a living shop has more early orders than finished ones.
    statuses = (
        [Status.REPORTED] * 7
        + [Status.CONFIRMED] * 8
        + [Status.IN_PRODUCTION] * 8
        + [Status.READY] * 6
        + [Status.HANDED_TO_DELIVERY] * 5
        + [Status.COMPLETED] * 4
        + [Status.CANCELLED] * 2
    )
    now = utcnow()
    with db.order_write() as conn:
        for n in range(orders):
            target = statuses[n % len(statuses)]
            body, name, base = _order_body(rnd, n)
            number = draw_number()
            while not claim_number(conn, number):
                number = draw_number()
            age = timedelta(hours=rnd.randint(1, 24 * 6), minutes=rnd.randint(0, 59))
            created = now - age
            record = build_record(
                body,
                owner=None,
                price=PriceInfo(
                    "OK", product_name=name, unit_price=base, variant_label=_LABELS[body.variant_id]
                ),
                number=number,
                at=created,
            )
            _walk(record, target, created, age, admin_p, taller_p)
            insert_rows(conn, record)
    return DemoSeed(password=password, created=True, orders=orders)


_VARIANTS = [
    (v["id"], Decimal(str(v["basePrice"])), p["name"]) for p in CATALOG["products"] for v in p["variants"]
]
_LABELS = {v["id"]: variant_label(v.get("attributes")) for p in CATALOG["products"] for v in p["variants"]}


def _order_body(rnd: random.Random, n: int) -> tuple[OrderIn, str, Decimal]:
    """A plausible customer's order (and its product's name and unit price), drawn from `rnd`."""
    variant_id, base, name = rnd.choice(_VARIANTS)
    qty = rnd.choice([1, 1, 1, 2, 3, 5])
    city, state = rnd.choice(PLACES)
    shipping = Decimal(rnd.choice(["0.00", "3.00", "4.50", "6.00"]))
    subtotal = base * qty
    rate = Decimal("40.00")
    total = subtotal + shipping
    body = OrderIn.model_validate(
        {
            "variantId": variant_id,
            "quantity": qty,
            "shippingAddress": f"{rnd.choice(STREETS)} {rnd.randint(1, 300)}",
            "shippingCity": city,
            "shippingState": state,
            "shippingCost": float(shipping),
            "subtotal": float(subtotal),
            "total": float(total),
            "totalBs": float(total * rate),
            "exchangeRate": float(rate),
            "previewUrl": f"https://cdn.krafta.demo/previews/{variant_id}-{n}.png",
            "payment": {
                "method": rnd.choice(["PAGO_MOVIL", "TRANSFERENCIA"]),
                "reference": f"{rnd.randint(10**10, 10**11 - 1)}",
                "originBank": rnd.choice(BANKS),
                "payerName": rnd.choice(PAYERS),
            },
        }
    )
    return body, name, base


def reset_demo_password(db: Database, password_hash: str) -> None:
    """Give both demo users this password: a demo database started again prints working accounts."""
    with db.write() as session:
        session.execute(
            update(User).where(User.email.in_([DEMO_ADMIN, DEMO_TALLER])).values(password_hash=password_hash)
        )


def _demo_users(db: Database, password_hash: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The demo ADMIN and TALLER, sharing one password hash: Argon2 costs ~0.2 s of CPU per hash, and
    `krafta demo` waits for this seed before its board can show anything."""
    admin = User(email=DEMO_ADMIN, password_hash=password_hash, role="ADMIN", active=True)
    taller = User(email=DEMO_TALLER, password_hash=password_hash, role="TALLER", active=True)
    with db.write() as session:
        session.add_all([admin, taller])
    return user_json(admin), user_json(taller)


_COURIERS = ("MRW", "Zoom", "Tealca", "Domesa")


def _walk(
    record: dict[str, Any],
    target: Status,
    created: datetime,
    age: timedelta,
    admin: Principal,
    taller: Principal,
) -> None:
    """Move a fresh record along the pipeline to `target` with the lifecycle's own plans."""
    path = [s for s in PIPELINE if PIPELINE.index(Status.REPORTED) < PIPELINE.index(s)]
    steps = [] if target in (Status.REPORTED, Status.CANCELLED) else path[: path.index(target) + 1]
    moves = [*steps, Status.CANCELLED] if target is Status.CANCELLED else steps
    for i, to in enumerate(moves, start=1):
        at = created + age * i / (len(moves) + 1)
        actor = admin if to in (Status.CONFIRMED, Status.CANCELLED) else taller
        note = "cliente pidió cancelar" if to is Status.CANCELLED else None
        extra = None
        if to is Status.HANDED_TO_DELIVERY:
            # Most parcels go out with a tracking number; one in five without, as happens.
            number = record["orderNumber"][-4:]
            tracking = None if int(number) % 5 == 0 else f"{number}{i:02d}77"
            extra = {"delivery": delivery_of(_COURIERS[int(number) % len(_COURIERS)], tracking, at)}
        plan = plan_move(record["status"], to, actor.role, note=note, extra=extra)
        apply_edit(record, move_edit(plan, actor, at, record))


_OPEN = [s for s in PIPELINE if s is not Status.COMPLETED]


class DemoLife:
    """The living demo: a new order and one order moved a step, every `every` seconds (drawn between
    the two bounds each time), through the order service so the board sees them live.

    The orders come as a guest's would; the moves are the demo staff's (the ADMIN confirms payments,
    the TALLER does the rest, handing parcels over with a courier and a tracking number). An order
    someone moved meanwhile is a conflict, logged and left: the next beat picks another.
    """

    def __init__(
        self, services: Services, *, every: tuple[float, float] = DEMO_EVERY, rng_seed: int | None = None
    ) -> None:
        self.services = services
        self.every = every
        self._rnd = random.Random(rng_seed)
        self._beats = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="krafta-demo", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._rnd.uniform(*self.every)):
            try:
                self.beat()
            except Exception:  # a beat that failed (database down…) must not end the demo
                log.exception("demo: a beat failed; the next one tries again")

    def beat(self) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """One new order and one moved: (the new order's answer, the moved order or None)."""
        self._beats += 1
        body, _, _ = _order_body(self._rnd, 10_000 + self._beats)
        _, created = self.services.orders.create(
            body, owner=None, idempotency_key=None, request_hash=f"demo-{self._beats}"
        )
        log.info("demo: a new order %s", created.get("orderNumber"))
        return created, self.move_one()

    def _staff(self) -> dict[str, Principal]:
        with self.services.db.session() as session:
            users = session.execute(
                select(User.id, User.email, User.role).where(User.email.in_([DEMO_ADMIN, DEMO_TALLER]))
            ).all()
        return {
            role: Principal(id=id_, email=email, role=role, expires_at=utcnow()) for id_, email, role in users
        }

    def move_one(self) -> dict[str, Any] | None:
        """Move one of the orders that have waited longest in their status one step on."""
        with self.services.db.session() as session:
            waiting = session.execute(
                select(Order.id, Order.order_number, Order.status)
                .where(Order.status.in_([s.value for s in _OPEN]))
                .order_by(Order.entered_status_at)
                .limit(12)
            ).all()
        if not waiting:
            return None
        order_id, number, status = self._rnd.choice(waiting)
        target = PIPELINE[PIPELINE.index(Status(status)) + 1]
        staff = self._staff()
        actor = staff.get("ADMIN" if target is Status.CONFIRMED else "TALLER")
        if actor is None:
            return None
        move: dict[str, Any] = {"orderId": order_id, "status": target.value, "expectedStatus": status}
        if target is Status.HANDED_TO_DELIVERY:
            move |= {
                "courier": self._rnd.choice(_COURIERS),
                "trackingNumber": f"{self._rnd.randint(10**9, 10**10 - 1)}",
            }
        try:
            moved = self.services.orders.advance(actor, AdvanceIn.model_validate(move))
        except ApiError as error:
            log.info("demo: %s not moved: %s", number, error)
            return None
        log.info("demo: moved %s %s -> %s", number, status, target.value)
        return moved
