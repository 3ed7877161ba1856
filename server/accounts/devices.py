"""Device tokens: a long-lived login for a shared screen (the workshop's board PC, issue 19).

An ADMIN issues one with a name, a staff role and a lifetime in days; it is a JWT like any session
(so every endpoint takes it as `Authorization: Bearer`), whose `jti` and subject are its row here.
Nobody types a password on the shared PC, the token is listed (`GET /api/users/device-tokens`) and
revoking its row ends it on the next request (`Sessions.resolve` reads the row, as it reads a user's).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from server.accounts.auth import TokenCodec
from server.domain.errors import NotFound
from server.domain.lifecycle import Role
from server.domain.shape import iso, utcnow
from server.storage.db import Database
from server.storage.models import DeviceToken

__all__ = ["DeviceTokens", "device_json"]


def device_json(row: DeviceToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "role": row.role,
        "createdBy": row.created_by,
        "createdAt": iso(row.created_at),
        "expiresAt": iso(row.expires_at),
        "revokedAt": iso(row.revoked_at),
    }


class DeviceTokens:
    def __init__(self, db: Database, tokens: TokenCodec) -> None:
        self.db = db
        self.tokens = tokens

    def issue(self, *, name: str, role: Role | str, days: int, created_by: str) -> tuple[dict[str, Any], str]:
        """A new device token: its listing and the token itself (shown once, never stored)."""
        now = utcnow()
        row = DeviceToken(
            name=name,
            role=Role(role).value,
            created_by=created_by,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        with self.db.write() as session:
            session.add(row)
            session.flush()
            listing = device_json(row)
        token = self.tokens.issue_device(
            device_id=listing["id"], name=name, role=row.role, expires=row.expires_at
        )
        return listing, token

    def list(self) -> list[dict[str, Any]]:
        with self.db.session() as session:
            rows = session.scalars(select(DeviceToken).order_by(DeviceToken.created_at, DeviceToken.name))
            return [device_json(row) for row in rows]

    def revoke(self, device_id: str) -> dict[str, Any]:
        """Ends the token for good (revoking twice keeps the first time)."""
        with self.db.write() as session:
            row = session.get(DeviceToken, device_id)
            if row is None:
                raise NotFound(f"No device token {device_id}.")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            return device_json(row)
