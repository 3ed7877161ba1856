"""The JSON fallback, for real: a PostgreSQL this test started is stopped while the server runs.

Counts what survives: every 201 during the outage is a file, then exactly one database row after
the replay (by `krafta fallback sync` and by the server's own loop), with its status and history.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from tests.helpers import order_body
from tests.pgcluster import OwnPostgres
from tests.servers import LiveServer, krafta_exe


def _files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


def _all_orders(live: LiveServer) -> list[dict]:  # type: ignore[type-arg]
    with live.client(live.admin_token) as http:
        response = http.get("/api/orders")
    assert response.status_code == 200, response.text
    return response.json()["orders"]


def _sync(live: LiveServer) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [krafta_exe(), "fallback", "sync"], env=live.env, capture_output=True, text=True, timeout=60
    )


def test_outage_orders_land_as_files_and_replay_exactly_once(live: LiveServer, pg: OwnPostgres) -> None:
    before = {o["id"] for o in _all_orders(live)}
    with live.client(live.admin_token) as http:
        in_db = http.post("/api/orders", json=order_body()).json()

    coro = order_body(shippingCity="Coro")  # one body: its retries are the same request
    pg.stop()
    try:
        with live.client() as http:
            created = [
                http.post("/api/orders", json=order_body(shippingCity=f"Ciudad {i}")) for i in range(5)
            ]
            keyed = [
                http.post(
                    "/api/orders",
                    json=coro,
                    headers={"Idempotency-Key": "k-outage"},
                )
                for _ in range(2)
            ]
            other_body = http.post(
                "/api/orders", json=order_body(shippingCity="Mérida"), headers={"Idempotency-Key": "k-outage"}
            )
        assert [r.status_code for r in created] == [201] * 5
        assert [r.status_code for r in keyed] == [201, 201]
        # The retry gets the first answer, without the order token (answered once).
        assert keyed[1].json() == {k: v for k, v in keyed[0].json().items() if k != "orderToken"}
        assert other_body.status_code == 409
        ids = {r.json()["orderId"] for r in created} | {keyed[0].json()["orderId"]}
        assert len(ids) == 6

        # One file per order, named by the server's uuid, complete, and no temporary files left behind.
        files = _files(live.fallback_dir)
        assert {f.stem for f in files} == ids
        assert not list(live.fallback_dir.glob(".*.tmp"))
        stored = json.loads(files[0].read_text())
        assert stored["items"][0]["variantId"] == "var-1" and stored["payments"][0]["reference"]

        with live.client(live.admin_token) as http:
            health = http.get("/api/health").json()
            assert health == {
                "status": "degraded",
                "database": "down",
                "writes": "failing",
                "fallbackPending": 6,
            }
            listed = http.get("/api/orders").json()
            assert {o["id"] for o in listed["orders"]} == ids
            assert {o["storage"] for o in listed["orders"]} == {"fallback"}
            assert listed["database"] == "down"

            target = created[0].json()
            target_created_at = max(o["updatedAt"] for o in listed["orders"])
            one = http.get(f"/api/orders/{target['orderNumber']}")
            assert one.status_code == 200 and one.json()["order"]["storage"] == "fallback"
            moved = http.put(
                "/api/orders",
                json={
                    "orderId": target["orderId"],
                    "status": "CONFIRMED",
                    "expectedStatus": "REPORTED",
                    "note": "pago verificado",
                },
            )
            assert moved.status_code == 200, moved.text
            assert moved.json()["order"]["status"] == "CONFIRMED"
            assert moved.json()["order"]["payments"][0]["status"] == "CONFIRMED"
            on_disk = json.loads((live.fallback_dir / f"{target['orderId']}.json").read_text())
            assert on_disk["status"] == "CONFIRMED" and len(on_disk["history"]) == 2
            # A board's incremental refresh sees the move in the fallback too.
            changed = http.get("/api/orders", params={"updatedSince": target_created_at}).json()["orders"]
            assert [o["id"] for o in changed] == [target["orderId"]]
            again = http.put(
                "/api/orders",
                json={"orderId": target["orderId"], "status": "CONFIRMED", "expectedStatus": "REPORTED"},
            )
            assert again.status_code == 409 and again.json()["currentStatus"] == "CONFIRMED"

            # An order in neither place may be in the database: a 503 saying so (issue 14; it was a 404).
            # Ids that look like paths never reach the file system: a 404 before any look-up.
            # Logins have no fallback: an honest 503, not a 500; an unknown order says why it is unknown.
            login = http.post("/api/auth/login", json={"email": "admin@test.krafta", "password": "nope-nope"})
            assert login.status_code == 503 and login.json()["code"] == "unavailable"
            missing = http.get("/api/orders/3f1c1d8e-0000-4000-8000-000000000000")
            assert missing.status_code == 503 and "database is unavailable" in missing.json()["error"]
            assert missing.json()["code"] == "unavailable"
            unknown = http.put(
                "/api/orders", json={"orderId": "3f1c1d8e-0000-4000-8000-000000000000", "status": "CONFIRMED"}
            )
            assert unknown.status_code == 503 and "database is unavailable" in unknown.json()["error"]
            for evil in ["../../etc/passwd", "../imported/x", "/tmp/evil", "..%2F..%2Fx", "a" * 64]:
                r = http.put("/api/orders", json={"orderId": evil, "status": "CONFIRMED"})
                assert r.status_code == 404, (evil, r.text)
        assert {f.stem for f in _files(live.fallback_dir)} == ids
        assert sorted(p.name for p in live.data_dir.rglob("*") if p.is_file() and "passwd" in p.name) == []

        still_down = _sync(live)
        assert still_down.returncode == 6, still_down.stdout + still_down.stderr
        assert len(_files(live.fallback_dir)) == 6
    finally:
        # Stopped so that `krafta fallback sync` does this replay; the server's own loop is tested below.
        live.stop()
        pg.start()
    try:
        result = _sync(live)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "imported 6" in result.stdout
        assert _files(live.fallback_dir) == []
        assert {f.stem for f in _files(live.fallback_dir / "imported")} == ids
        second = _sync(live)
        assert second.returncode == 0 and "imported 0" in second.stdout
    finally:
        live.start()

    orders = {o["id"]: o for o in _all_orders(live)}
    assert set(orders) == before | ids | {in_db["orderId"]}
    assert all(orders[i]["storage"] == "database" for i in ids)
    confirmed = orders[target["orderId"]]
    assert confirmed["status"] == "CONFIRMED"
    assert [(e["fromStatus"], e["toStatus"]) for e in confirmed["history"]] == [
        (None, "REPORTED"),
        ("REPORTED", "CONFIRMED"),
    ]
    assert confirmed["history"][1]["note"] == "pago verificado"
    # The idempotency key made during the outage still holds after the replay.
    with live.client() as http:
        replayed = http.post("/api/orders", json=coro, headers={"Idempotency-Key": "k-outage"})
    assert replayed.status_code == 201 and replayed.json()["orderId"] == keyed[0].json()["orderId"]
    assert len(_all_orders(live)) == len(orders)


def test_server_replays_by_itself_once_the_database_is_back(live: LiveServer, pg: OwnPostgres) -> None:
    pg.stop()
    try:
        with live.client() as http:
            ids = {http.post("/api/orders", json=order_body()).json()["orderId"] for _ in range(3)}
        assert len(_files(live.fallback_dir)) == 3
    finally:
        pg.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _files(live.fallback_dir):
        time.sleep(0.2)
    assert _files(live.fallback_dir) == []
    orders = {o["id"]: o for o in _all_orders(live)}
    assert ids <= set(orders)
    assert all(orders[i]["storage"] == "database" for i in ids)
    assert len(orders) == len({o["id"] for o in _all_orders(live)})


def test_a_number_taken_meanwhile_is_renumbered_and_recorded(live: LiveServer, pg: OwnPostgres) -> None:
    with live.client(live.admin_token) as http:
        existing = http.post("/api/orders", json=order_body()).json()
    live.stop()  # no background replay while we arrange the collision
    pg.stop()
    try:
        live.start()
        with live.client() as http:
            queued = http.post("/api/orders", json=order_body()).json()
        live.stop()
    finally:
        pg.start()
    path = live.fallback_dir / f"{queued['orderId']}.json"
    record = json.loads(path.read_text())
    record["orderNumber"] = existing["orderNumber"]  # as if another server had taken it during the outage
    path.write_text(json.dumps(record))
    result = _sync(live)
    live.start()
    assert result.returncode == 0, result.stderr
    assert f"renumbered {existing['orderNumber']}" in result.stdout
    with live.client(live.admin_token) as http:
        order = http.get(f"/api/orders/{queued['orderId']}").json()["order"]
        kept = http.get(f"/api/orders/{existing['orderNumber']}").json()["order"]
    assert kept["id"] == existing["orderId"]
    assert order["orderNumber"] != existing["orderNumber"]
    assert "renumbered from " + existing["orderNumber"] in order["history"][-1]["note"]


def test_an_idempotent_retry_during_the_outage_is_not_imported_twice(
    live: LiveServer, pg: OwnPostgres
) -> None:
    key = "k-retry-across-outage"
    barinas = order_body(shippingCity="Barinas")  # one body: its retries are the same request
    with live.client() as http:
        first = http.post("/api/orders", json=barinas, headers={"Idempotency-Key": key})
    assert first.status_code == 201
    live.stop()
    pg.stop()
    try:
        live.start()
        with live.client() as http:
            # The customer's app retries while the database is down: the fallback cannot see the first one.
            retry = http.post("/api/orders", json=barinas, headers={"Idempotency-Key": key})
        assert retry.status_code == 201
        live.stop()
    finally:
        pg.start()
    result = _sync(live)
    live.start()
    assert result.returncode == 0, result.stderr
    assert "not imported twice" in result.stdout
    assert (live.fallback_dir / "duplicates" / f"{retry.json()['orderId']}.json").exists()
    stored = [o for o in _all_orders(live) if o["shippingCity"] == "Barinas"]
    assert [o["id"] for o in stored] == [first.json()["orderId"]]
    with live.client() as http:
        again = http.post("/api/orders", json=barinas, headers={"Idempotency-Key": key})
    assert again.json()["orderId"] == first.json()["orderId"]


def test_a_server_started_while_the_database_is_down_migrates_and_replays_once_it_answers(
    pg: OwnPostgres, tmp_path: Path
) -> None:
    import psycopg

    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE never_migrated")
    url = pg.url.rsplit("/", 1)[0] + "/never_migrated"
    pg.stop()
    server = LiveServer(url, tmp_path)
    try:
        server.start()  # no schema yet, no database: it must come up anyway
        with server.client() as http:
            created = http.post("/api/orders", json=order_body(shippingCity="Tucupita"))
        assert created.status_code == 201
        pg.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _files(server.fallback_dir):
            time.sleep(0.2)
        assert _files(server.fallback_dir) == []
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT shipping_city FROM orders WHERE id = %s", (created.json()["orderId"],)
            ).fetchone()
        assert row == ("Tucupita",)
    finally:
        if not _answers(pg):
            pg.start()
        server.stop()


def _answers(pg: OwnPostgres) -> bool:
    import psycopg

    try:
        psycopg.connect(pg.url, connect_timeout=2).close()
        return True
    except psycopg.OperationalError:
        return False
