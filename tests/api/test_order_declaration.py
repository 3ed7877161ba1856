"""The order's declaration (`server/domain/shape.py`) generates what used to repeat it.

Its docstring claims that adding a field is one `Field(...)` line plus a migration. These tests hold
the parts that read the declaration to it: the OpenAPI order schemas and the record builder take
every declared field (and a field added to the declaration, with nothing else changed), a built
record is an order by the shape's own check and survives a fallback file, and the request model
(`OrderIn`, written by hand for its validation rules) feeds exactly the declared sources.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import BaseModel
from sqlalchemy import JSON as SqlJson
from sqlalchemy import Boolean, Date, Integer, Numeric, String, create_engine

from server.api.app import create_app
from server.api.openapi import part_schema
from server.domain import records
from server.domain.audience import shown_to
from server.domain.principal import Principal
from server.domain.records import PriceInfo, build_record
from server.domain.schemas import OrderIn, PaymentIn
from server.domain.shape import CHILDREN, ORDER, Field, Part, problems, utcnow
from server.domain.stuck import StuckRules
from server.settings import Settings
from server.storage.db import normalize_url
from server.storage.files import META, FallbackStore
from server.storage.migrate import upgrade
from server.storage.models import Base, UTCDateTime
from tests.conftest import DATABASES, database_url
from tests.helpers import order_body

PARTS = (ORDER, *CHILDREN)
NAMES = {None: "Order", "items": "OrderItem", "payments": "Payment", "history": "HistoryEntry"}
OWNER = Principal(id="u-1", email="c@x.y", role="CLIENTE", expires_at=utcnow())


def _keys(part: Part) -> set[str]:
    return {f.group or f.wire for f in part.fields}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("data")))
    return app.openapi()


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.key or "order")
def test_every_declared_field_is_in_the_served_openapi_schema(spec: dict[str, Any], part: Part) -> None:
    schema = spec["components"]["schemas"][NAMES[part.key]]
    assert _keys(part) <= set(schema["properties"])
    staff_only = {f.wire for f in part.fields if f.staff_only}
    assert set(schema["required"]) >= _keys(part) - staff_only
    assert not staff_only & set(schema["required"]), "customers are not shown staff-only fields"
    for f in part.fields:
        holder = schema["properties"][f.group]["anyOf"][0] if f.group else schema
        described = holder["properties"][f.wire]
        assert ("null" in str(described)) == f.nullable, f.wire
        if f.choices:
            assert set((described.get("anyOf") or [described])[0]["enum"]) == f.choices


def test_the_order_answers_refer_to_the_generated_schema(spec: dict[str, Any]) -> None:
    answer = spec["paths"]["/api/orders/{ident}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"]["properties"]["order"] == {"$ref": "#/components/schemas/Order"}
    order = spec["components"]["schemas"]["Order"]
    assert order["properties"]["items"]["items"] == {"$ref": "#/components/schemas/OrderItem"}


@pytest.mark.parametrize(
    "body",
    [
        order_body(),
        # every optional request field left out
        {
            **{
                k: v
                for k, v in order_body().items()
                if k not in ("designUploadId", "previewUrl", "designViews")
            },
            "payment": {
                k: v for k, v in order_body()["payment"].items() if k not in ("receiptUrl", "amountReported")
            },
        },
    ],
    ids=["full", "minimal"],
)
def test_a_built_record_has_every_declared_field_and_is_an_order(body: dict[str, Any]) -> None:
    record = build_record(
        OrderIn.model_validate(body), owner=OWNER, price=PriceInfo("OK"), number="KRFT-123456"
    )
    assert problems(record) == []
    assert set(record) == _keys(ORDER) | {part.key for part in CHILDREN}
    for part in CHILDREN:
        assert [set(row) for row in record[part.key or ""]] == [_keys(part)]
    assert record["shippingCity"] == body["shippingCity"]
    assert record["payments"][0]["payerName"] == body["payment"]["payerName"]
    # Left out, the reported amount is the expected one: what the customer was asked to pay.
    assert record["payments"][0]["amountReported"] == body["payment"].get("amountReported", body["totalBs"])


@pytest.mark.parametrize("role", ["ADMIN", "CLIENTE"])
def test_an_order_as_each_audience_is_shown_it_matches_the_generated_schema(
    spec: dict[str, Any], role: str
) -> None:
    # jsonschema_rs comes with schemathesis (the fuzz test's validator): the same check it makes.
    validator = jsonschema_rs.validator_for(
        {"components": spec["components"], "$ref": "#/components/schemas/Order"}
    )
    record = build_record(OrderIn.model_validate(order_body()), owner=OWNER, price=PriceInfo("OK"))
    viewer = Principal(id=OWNER.id, email=OWNER.email, role=role, expires_at=utcnow())
    shown = shown_to({**record, "storage": "database"}, viewer, StuckRules())
    assert [e.message for e in validator.iter_errors(shown)] == []
    del shown["shippingCity"]
    assert not validator.is_valid(shown)


def test_a_built_record_round_trips_through_a_fallback_file(tmp_path: Path) -> None:
    record = build_record(
        OrderIn.model_validate(order_body()), owner=None, price=PriceInfo("UNKNOWN_VARIANT")
    )
    store = FallbackStore(tmp_path / "fallback")
    store.insert(record, {"numberReserved": False})
    kept = store.read(record["id"])
    assert kept is not None and kept.pop(META) == {"numberReserved": False}
    assert kept == record and problems(kept, expected_id=record["id"]) == []


def test_a_field_added_to_the_declaration_reaches_the_record_and_the_schema(monkeypatch) -> None:
    # What the docstring promises: one Field(...) line, nothing else in these two readers.
    note = Field("giftNote", "gift_note", nullable=True)
    grown = dataclasses.replace(ORDER, fields=(*ORDER.fields, note))
    monkeypatch.setattr(records, "ORDER", grown)
    record = build_record(OrderIn.model_validate(order_body()), owner=None, price=PriceInfo("OK"))
    assert "giftNote" in record and record["giftNote"] is None
    schema = part_schema(grown)
    assert schema["properties"]["giftNote"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert "giftNote" in schema["required"]


def _attributes(model: type[BaseModel], prefix: str = "") -> set[str]:
    found = set()
    for name, info in model.model_fields.items():
        nested = info.annotation if isinstance(info.annotation, type) else None
        if nested is not None and issubclass(nested, BaseModel):
            found |= _attributes(nested, f"{prefix}{name}.")
        else:
            found.add(prefix + name)
    return found


def test_the_request_model_feeds_exactly_the_declared_sources() -> None:
    # OrderIn stays a written class: its rules (caps, decimals, URL and image checks, totals) are the
    # request's, and the service reads its attributes by name. This is where the two must agree.
    sources = {f.source for part in PARTS for f in part.fields if f.source}
    assert _attributes(OrderIn) == sources
    assert {name for name in _attributes(OrderIn) if name.startswith("payment.")} == {
        f"payment.{name}" for name in PaymentIn.model_fields
    }


# ---- the columns: declared in the models, created by the migrations ------------------------------------

# Columns of the order tables that are not wire fields: a child's order and place, and what only
# storage reads (the folded search text and the stored list JSON are written with the order, never
# sent as columns).
STORAGE_ONLY = {
    "order_id",
    "seq",
    "search_text",
    "list_json",
    "list_shape",
    "reference_key",
    "order_token_hash",
}
COLUMN_TYPES = {
    "text": (String,),
    "int": (Integer,),
    "bool": (Boolean,),
    "money": (Numeric,),
    "time": (UTCDateTime,),
    "date": (Date,),
    "json": (SqlJson,),
}


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.key or "order")
def test_every_declared_field_has_its_column_and_every_column_its_field(part: Part) -> None:
    table = Base.metadata.tables[part.table]
    for f in part.fields:
        assert f.column in table.c, f"{part.table}.{f.column} is declared but not in storage/models.py"
        column = table.c[f.column]
        assert isinstance(column.type, COLUMN_TYPES[f.kind.name]), f.column
        assert column.nullable == (f.nullable and not column.primary_key), f.column
    undeclared = set(table.c.keys()) - {f.column for f in part.fields} - STORAGE_ONLY
    assert undeclared == set(), f"columns of {part.table} with no Field(...) in the declaration"


# Migration 0008 adds a pg_trgm index where the database can have it (PostgreSQL with the extension):
# one model index cannot say "only there", so the models leave it out (see models.Order).
DATABASE_ONLY_INDEXES = {"ix_orders_search_trgm"}


def _modelled(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return not (type_ == "index" and name in DATABASE_ONLY_INDEXES)


@pytest.mark.parametrize("backend", DATABASES)
def test_the_migrations_build_the_tables_the_models_describe(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = database_url(backend, tmp_path, request)
    upgrade(url)
    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            options = {"compare_type": True, "include_object": _modelled}
            context = MigrationContext.configure(conn, opts=options)
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
