"""Demo data for `krafta serve --demo` and `krafta demo`: a catalog, two staff users and ~40 orders.

Seeded once per database (the demo admin's presence is the marker), through the same record
builder the order endpoint uses, so demo orders look exactly like real ones.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from server.accounts.auth import hash_password
from server.accounts.users import user_json
from server.catalog import CatalogService
from server.domain.edits import apply_edit, move_edit
from server.domain.handover import delivery_of
from server.domain.lifecycle import PIPELINE, Status, plan_move
from server.domain.numbers import draw_number
from server.domain.principal import Principal
from server.domain.records import PriceInfo, build_record
from server.domain.schemas import CatalogIn, OrderIn
from server.domain.shape import utcnow
from server.storage.database import insert_rows
from server.storage.db import Database
from server.storage.models import User
from server.storage.numbers import claim_number

__all__ = ["DEMO_ADMIN", "DEMO_TALLER", "DemoSeed", "seed_demo"]

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
    """Seed the demo data unless it is already there. Returns the password used (new seeds only).

    `password_hash` hashes the demo password (`krafta serve --demo` passes one that was started in
    a thread while the server was still importing).
    """
    with db.session() as session:
        if session.scalar(select(User.id).where(User.email == DEMO_ADMIN)) is not None:
            return DemoSeed(password="", created=False, orders=0)
    password = password or secrets.token_urlsafe(9)
    CatalogService(db).upsert(CatalogIn.model_validate(CATALOG))
    admin, taller = _demo_users(db, password_hash(password))
    admin_p = Principal(id=admin["id"], email=DEMO_ADMIN, role="ADMIN", expires_at=utcnow())
    taller_p = Principal(id=taller["id"], email=DEMO_TALLER, role="TALLER", expires_at=utcnow())

    rnd = random.Random(rng_seed)
    variants = [
        (v["id"], Decimal(str(v["basePrice"])), p["name"]) for p in CATALOG["products"] for v in p["variants"]
    ]
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
            variant_id, base, name = rnd.choice(variants)
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
            number = draw_number()
            while not claim_number(conn, number):
                number = draw_number()
            age = timedelta(hours=rnd.randint(1, 24 * 6), minutes=rnd.randint(0, 59))
            created = now - age
            record = build_record(
                body,
                owner=None,
                price=PriceInfo("OK", product_name=name, unit_price=base),
                number=number,
                at=created,
            )
            _walk(record, target, created, age, admin_p, taller_p)
            insert_rows(conn, record)
    return DemoSeed(password=password, created=True, orders=orders)


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
