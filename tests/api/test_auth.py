"""Login, tokens and roles over HTTP on a live server (SQLite and PostgreSQL).

Forged tokens are made with PyJWT and the fixture's `JWT_SECRET`; each forgery test also mints a
correct token the same way and checks it *is* accepted, so a 401 means the forgery was caught and
not that the test builds tokens wrongly.
"""

from __future__ import annotations

import base64
import json
import uuid
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from tests.helpers import PASSWORD, create_order
from tests.servers import JWT_SECRET, Server


def _email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@test.krafta"


def _login(server: Server, email: str, password: str) -> httpx.Response:
    with server.client() as http:
        return http.post("/api/auth/login", json={"email": email, "password": password})


def _cookie_attributes(response: httpx.Response, name: str = "krafta-token") -> dict[str, str]:
    """The attributes of the Set-Cookie header for `name`, keys lower-cased ("" for flags)."""
    for header in response.headers.get_list("set-cookie"):
        first, *attrs = [part.strip() for part in header.split(";")]
        key, _, value = first.partition("=")
        if key == name:
            parsed = {"value": value.strip('"')}
            for attr in attrs:
                k, _, v = attr.partition("=")
                parsed[k.strip().lower()] = v.strip()
            return parsed
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


@pytest.fixture(scope="module")
def taller_user(server: Server) -> dict[str, Any]:
    """The fixture's TALLER as the server knows them (id, email, role)."""
    with server.client(server.taller_token) as http:
        return http.get("/api/auth/me").json()["user"]


# ---- login ---------------------------------------------------------------------------------------------


def test_login_returns_the_user_and_sets_a_safe_cookie(server: Server) -> None:
    email = _email("login")
    user = server.make_user(email, role="TALLER")
    before = datetime.now(UTC)
    response = _login(server, email, PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["user"] == {"id": user["id"], "email": email, "role": "TALLER"}
    expires = datetime.fromisoformat(body["expiresAt"])
    assert timedelta(hours=23, minutes=59) < expires - before < timedelta(hours=24, minutes=1)

    cookie = _cookie_attributes(response)
    assert "httponly" in cookie
    assert cookie.get("samesite", "").lower() == "lax"
    assert cookie.get("path") == "/"
    assert cookie.get("max-age") == str(24 * 3600)
    assert "secure" not in cookie  # plain http here; Secure only when served over https

    token = response.cookies["krafta-token"]
    assert cookie["value"] == token
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"])
    assert claims["sub"] == user["id"] and claims["role"] == "TALLER"
    assert abs(claims["exp"] - expires.timestamp()) < 2


def test_login_email_is_case_and_space_insensitive(server: Server) -> None:
    email = _email("mayus")
    server.make_user(email, role="CLIENTE")
    response = _login(server, f"  {email.upper()} ", PASSWORD)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["email"] == email


def test_wrong_password_and_unknown_email_read_the_same(server: Server) -> None:
    email = _email("mismo")
    server.make_user(email, role="ADMIN")
    wrong = _login(server, email, "not-the-password")
    unknown = _login(server, _email("nadie"), "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["success"] is False and wrong.json()["code"] == "not_authenticated"
    assert "set-cookie" not in wrong.headers and "set-cookie" not in unknown.headers


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"email", "password"}),
        ({"email": "a@test.krafta"}, {"password"}),
        ({"password": PASSWORD}, {"email"}),
        ({"email": "", "password": PASSWORD}, {"email"}),
        ({"email": "a@test.krafta", "password": ""}, {"password"}),
        ({"email": 5, "password": PASSWORD}, {"email"}),
        ({"email": "a@test.krafta", "password": ["x"]}, {"password"}),
        ({"email": "a@test.krafta", "password": "p" * 1025}, {"password"}),
    ],
    ids=[
        "empty",
        "no-password",
        "no-email",
        "blank-email",
        "blank-password",
        "email-number",
        "password-list",
        "password-huge",
    ],
)
def test_login_with_missing_or_bad_fields_is_400(
    server: Server, body: dict[str, Any], fields: set[str]
) -> None:
    with server.client() as http:
        response = http.post("/api/auth/login", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid"
    assert fields <= set(response.json()["fields"]), response.json()


def test_sixth_failed_login_within_a_minute_is_429(server: Server) -> None:
    email = _email("fuerza")
    server.make_user(email, role="ADMIN")
    for attempt in range(5):
        response = _login(server, email, f"guess-{attempt}")
        assert response.status_code == 401, (attempt, response.text)
    sixth = _login(server, email, "guess-6")
    assert sixth.status_code == 429, sixth.text
    assert sixth.json()["code"] == "rate_limited" and sixth.json()["success"] is False
    assert int(sixth.headers["retry-after"]) > 0
    # The right password does not get through while the limit holds: guessing must stay useless.
    right = _login(server, email, PASSWORD)
    assert right.status_code == 429, right.text
    assert "set-cookie" not in right.headers
    # The limit is per email: other accounts keep working.
    assert _login(server, "admin@test.krafta", PASSWORD).status_code == 200


def test_unknown_emails_are_rate_limited_too(server: Server) -> None:
    email = _email("fantasma")
    codes = [_login(server, email, "x").status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]


# ---- tokens -----------------------------------------------------------------------------------------------


def _mint(claims: dict[str, Any], key: str = JWT_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _claims(user: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    exp = datetime.now(UTC) + timedelta(hours=1)
    claims = {"sub": user["id"], "email": user["email"], "role": user["role"], "exp": exp}
    return {**claims, "jti": str(uuid.uuid4()), **overrides}


def _status_with(server: Server, token: str) -> list[int]:
    codes = []
    with server.client(token) as bearer:
        codes += [bearer.get("/api/orders").status_code, bearer.get("/api/auth/me").status_code]
    with server.client(None, cookies={"krafta-token": token}) as cookie:
        codes += [cookie.get("/api/orders").status_code, cookie.get("/api/auth/me").status_code]
    return codes


def test_a_correctly_minted_token_is_accepted(server: Server, taller_user: dict[str, Any]) -> None:
    # The control for the forgeries below.
    assert _status_with(server, _mint(_claims(taller_user))) == [200, 200, 200, 200]


def _raw(header: dict[str, Any], claims: dict[str, Any], signature: str = "") -> str:
    """A token assembled by hand, for what PyJWT refuses to produce (alg none, swapped payloads)."""
    exp = claims["exp"]
    payload = {**claims, "exp": int(exp.timestamp()) if isinstance(exp, datetime) else exp}
    return f"{_b64(header)}.{_b64(payload)}.{signature}"


def _tampered(user: dict[str, Any]) -> str:
    # A real signature over the real claims, with the payload swapped for one claiming ADMIN.
    genuine = _mint(_claims(user))
    return _raw(jwt.get_unverified_header(genuine), _claims(user, role="ADMIN"), genuine.rsplit(".", 1)[1])


def _hs512(user: dict[str, Any]) -> str:
    with warnings.catch_warnings():
        # PyJWT warns that the test secret is short for SHA-512; irrelevant to a token meant to be refused.
        warnings.simplefilter("ignore")
        return _mint(_claims(user), algorithm="HS512")


FORGERIES: dict[str, Callable[[dict[str, Any]], str]] = {
    "other-key": lambda u: _mint(_claims(u), key="another-secret-another-secret-another-secret"),
    "alg-none": lambda u: _raw({"alg": "none", "typ": "JWT"}, _claims(u)),
    "alg-none-with-signature": lambda u: _raw({"alg": "none", "typ": "JWT"}, _claims(u), "c2ln"),
    "hs512-right-key": _hs512,
    "expired": lambda u: _mint(_claims(u, exp=datetime.now(UTC) - timedelta(seconds=5))),
    "no-exp": lambda u: _mint({k: v for k, v in _claims(u).items() if k != "exp"}),
    "no-sub": lambda u: _mint({k: v for k, v in _claims(u).items() if k != "sub"}),
    # A token without an id could never be revoked by logout, so it is not accepted at all.
    "no-jti": lambda u: _mint({k: v for k, v in _claims(u).items() if k != "jti"}),
    "unknown-user": lambda u: _mint(_claims(u, sub=str(uuid.uuid4()))),
    "tampered-payload": _tampered,
    "garbage": lambda u: "not.a.jwt",
    "empty-parts": lambda u: "..",
}


@pytest.mark.parametrize("kind", list(FORGERIES))
def test_forged_or_expired_tokens_are_401(server: Server, taller_user: dict[str, Any], kind: str) -> None:
    token = FORGERIES[kind](taller_user)
    assert _status_with(server, token) == [401, 401, 401, 401]
    with server.client(token) as http:
        response = http.get("/api/auth/me")
    assert response.json()["code"] == "not_authenticated"


def test_the_role_comes_from_the_database_not_the_token(server: Server, taller_user: dict[str, Any]) -> None:
    # A validly signed token that claims more than the account has gets the account's role.
    inflated = _mint(_claims(taller_user, role="ADMIN"))
    with server.client(inflated) as http:
        assert http.get("/api/auth/me").json()["user"]["role"] == "TALLER"
        response = http.post("/api/users", json={"email": _email("x"), "password": PASSWORD, "role": "ADMIN"})
        assert response.status_code == 403, response.text


def test_a_demoted_admin_loses_admin_rights_at_once(server: Server) -> None:
    email = _email("jefe")
    server.make_user(email, role="ADMIN")
    token = server.login(email)
    first, second = create_order(server)["orderId"], create_order(server)["orderId"]
    with server.client(token) as http:
        # While ADMIN: may add users and confirm payments.
        made = http.post(
            "/api/users", json={"email": _email("antes"), "password": PASSWORD, "role": "TALLER"}
        )
        assert made.status_code == 201, made.text
        assert http.put("/api/orders", json={"orderId": first, "status": "CONFIRMED"}).status_code == 200

        server.set_role(email, "TALLER")

        # The very next request, same token.
        assert http.get("/api/auth/me").json()["user"]["role"] == "TALLER"
        refused = http.post(
            "/api/users", json={"email": _email("despues"), "password": PASSWORD, "role": "ADMIN"}
        )
        assert refused.status_code == 403, refused.text
        assert http.get("/api/users").status_code == 403
        confirm = http.put("/api/orders", json={"orderId": second, "status": "CONFIRMED"})
        assert confirm.status_code == 403, confirm.text
        assert http.put("/api/catalog", json={"products": []}).status_code == 403
        assert http.get(f"/api/orders/{second}").json()["order"]["nextStatuses"] == []
        # What a TALLER may do still works.
        step = http.put("/api/orders", json={"orderId": first, "status": "IN_PRODUCTION"})
        assert step.status_code == 200, step.text
        assert step.json()["order"]["history"][-1]["userRole"] == "TALLER"


# ---- logout and me ----------------------------------------------------------------------------------------


def test_logout_clears_the_cookie(server: Server) -> None:
    email = _email("salida")
    server.make_user(email, role="TALLER")
    with server.client() as http:
        assert http.post("/api/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200
        assert http.get("/api/auth/me").json()["user"]["email"] == email  # the cookie jar holds the session
        out = http.post("/api/auth/logout")
        assert out.status_code == 200 and out.json() == {"success": True}
        cookie = _cookie_attributes(out)
        assert cookie["value"] == ""
        assert cookie.get("max-age") == "0" or "expires" in cookie
        assert "krafta-token" not in http.cookies
        assert http.get("/api/auth/me").status_code == 401


def test_me_returns_the_current_user(server: Server, taller_user: dict[str, Any]) -> None:
    with server.client(server.admin_token) as http:
        response = http.get("/api/auth/me")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["user"]["email"] == "admin@test.krafta" and body["user"]["role"] == "ADMIN"
    assert set(body["user"]) == {"id", "email", "role"}
    assert datetime.fromisoformat(body["expiresAt"]) > datetime.now(UTC)
    assert taller_user["email"] == "taller@test.krafta" and taller_user["role"] == "TALLER"


def test_me_without_a_session_is_401(server: Server) -> None:
    with server.client() as http:
        response = http.get("/api/auth/me")
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "not_authenticated"


def test_me_publishes_what_the_role_may_do_from_each_status(server: Server) -> None:
    """Issue 19, finding 6: a board knows its user's columns before any order is in them."""
    with server.client(server.admin_token) as http:
        admin = http.get("/api/auth/me").json()["moves"]
    with server.client(server.taller_token) as http:
        taller = http.get("/api/auth/me").json()["moves"]
    assert admin["REPORTED"] == ["CONFIRMED", "PENDING", "CANCELLED"] and admin["COMPLETED"] == []
    assert taller["REPORTED"] == []  # the payment check is the admin's: not a TALLER column
    assert taller["CONFIRMED"] == ["IN_PRODUCTION"] and taller["READY"] == ["HANDED_TO_DELIVERY"]
    statuses = {"PENDING", "REPORTED", "CONFIRMED", "IN_PRODUCTION", "READY", "HANDED_TO_DELIVERY"}
    assert set(admin) == set(taller) == statuses | {"COMPLETED", "CANCELLED"}
