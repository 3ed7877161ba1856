"""`krafta users add|list` and `krafta catalog import|list` against a live server."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli.conftest import Krafta, assert_error
from tests.helpers import CATALOG
from tests.servers import Server

NEW_PASSWORD = "brand-new-secret-9"


def test_users_add_then_the_user_can_log_in(admin: Krafta, sqlite_server: Server, tmp_path: Path) -> None:
    run = admin(
        "users", "add", "nuevo@test.krafta", "--role", "taller", "--password-stdin", input=NEW_PASSWORD + "\n"
    )

    assert run.code == 0, run
    assert re.fullmatch(r"Added TALLER nuevo@test\.krafta \(id [0-9a-f-]{36}\)\.\n", run.out), run
    assert NEW_PASSWORD not in run.out + run.err
    fresh = Krafta(tmp_path / "home", sqlite_server.url)
    fresh.login("nuevo@test.krafta", NEW_PASSWORD)
    assert json.loads(fresh("whoami", "--json").out)["user"]["role"] == "TALLER"


def test_users_list_text_and_json(admin: Krafta, sqlite_server: Server) -> None:
    text = admin("users", "list")
    as_json = admin("users", "list", "--json")

    assert text.code == 0 and as_json.code == 0, (text, as_json)
    rows = [line.split("\t") for line in text.out.splitlines()]
    assert rows[[r[0] for r in rows].index("admin@test.krafta")][:3] == ["admin@test.krafta", "ADMIN", "yes"]
    with sqlite_server.client(sqlite_server.admin_token) as http:
        assert json.loads(as_json.out) == http.get("/api/users").json()["users"]


def test_users_add_rejects_a_short_password_naming_the_field(admin: Krafta) -> None:
    run = admin("users", "add", "corto@test.krafta", "--role", "TALLER", "--password-stdin", input="short\n")

    assert_error(run, 8, "password")


def test_users_add_duplicate_and_unknown_role(admin: Krafta) -> None:
    duplicate = admin(
        "users", "add", "admin@test.krafta", "--role", "ADMIN", "--password-stdin", input=NEW_PASSWORD + "\n"
    )
    assert duplicate.code != 0 and len(duplicate.err.splitlines()) == 1 and "Traceback" not in duplicate.err
    bad_role = admin(
        "users", "add", "x@test.krafta", "--role", "JEFE", "--password-stdin", input=NEW_PASSWORD + "\n"
    )
    assert_error(bad_role, 2, "--role", "JEFE")


def test_users_need_an_admin(taller: Krafta) -> None:
    assert_error(taller("users", "list"), 7, "forbidden")
    run = taller(
        "users", "add", "x@test.krafta", "--role", "ADMIN", "--password-stdin", input=NEW_PASSWORD + "\n"
    )
    assert_error(run, 7, "forbidden")


def test_catalog_import_then_list(admin: Krafta, sqlite_server: Server, tmp_path: Path) -> None:
    catalog = {
        "products": [
            {
                "id": "taza",
                "name": "Taza blanca",
                "variants": [
                    {"id": "var-taza-1", "sku": "TAZ-BLA", "basePrice": 7.5},
                    {"id": "var-taza-2", "sku": "TAZ-NEG", "basePrice": 8.25},
                ],
            }
        ]
    }
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog))

    imported = admin("catalog", "import", str(path))
    text = admin("catalog", "list")
    as_json = admin("catalog", "list", "--json")

    assert imported.code == 0 and imported.out == "Imported 1 products, 2 variants.\n", imported
    assert "taza\tTaza blanca\tvar-taza-2\tTAZ-NEG\t8.25\tyes" in text.out.splitlines(), text
    products = {p["id"]: p for p in json.loads(as_json.out)}
    assert {v["id"]: v["basePrice"] for v in products["taza"]["variants"]} == {
        "var-taza-1": 7.5,
        "var-taza-2": 8.25,
    }
    assert set(products) >= {p["id"] for p in CATALOG["products"]}
    with sqlite_server.client(sqlite_server.admin_token) as http:
        assert json.loads(as_json.out) == http.get("/api/catalog").json()["products"]


def test_catalog_import_of_a_bad_file_is_invalid_input(admin: Krafta, tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    not_json = tmp_path / "bad.json"
    not_json.write_text("products: []")
    wrong_shape = tmp_path / "shape.json"
    wrong_shape.write_text('{"items": []}')

    assert_error(admin("catalog", "import", str(missing)), 8, "no such file")
    assert_error(admin("catalog", "import", str(not_json)), 8, "not valid JSON")
    assert_error(admin("catalog", "import", str(wrong_shape)), 8, '"products"')


def test_catalog_import_needs_an_admin(taller: Krafta, tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(CATALOG))

    assert_error(taller("catalog", "import", str(path)), 7, "forbidden")
