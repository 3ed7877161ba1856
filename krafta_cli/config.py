"""Which server `krafta` talks to and with which token: env overrides, then the saved login.

Saved logins live in one JSON file, `credentials.json`, in the platform's user config dir for
`krafta` (platformdirs; `$XDG_CONFIG_HOME/krafta` on Linux), keyed by server URL, plus the server
of the last login as the default. The file holds bearer tokens, so it is written with mode 0600
from the start (never created world-readable and chmod-ed afterwards) and replaced atomically.

Resolution order:

* server URL: an explicit `--server`, then `KRAFTA_URL`, then the last server logged in to,
  then `http://127.0.0.1:8000`;
* token: `KRAFTA_TOKEN`, then the token saved for that exact URL.

An empty environment variable counts as unset, so `KRAFTA_TOKEN= krafta …` falls back to the file.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_URL",
    "ENV_TOKEN",
    "ENV_URL",
    "ConfigError",
    "InvalidServerUrl",
    "Session",
    "credentials_path",
    "forget_login",
    "load_session",
    "normalize_url",
    "resolve_url",
    "save_login",
]

DEFAULT_URL = "http://127.0.0.1:8000"
ENV_URL = "KRAFTA_URL"
ENV_TOKEN = "KRAFTA_TOKEN"
_APP_NAME = "krafta"
_FILE_NAME = "credentials.json"


class ConfigError(Exception):
    """A server URL that is not usable, or a credentials file we cannot read or write."""


class InvalidServerUrl(ConfigError):
    """`--server` / `KRAFTA_URL` is not an http(s) URL (a usage error, not a broken config)."""


@dataclass(frozen=True)
class Session:
    """The server to talk to and the token to send (None when not logged in)."""

    url: str
    token: str | None
    # "env" (KRAFTA_TOKEN), "file" (saved by `krafta login`) or None: error messages differ.
    token_source: str | None
    email: str | None = None
    role: str | None = None
    expires_at: str | None = None


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def credentials_path() -> Path:
    import platformdirs  # here, not at the top: `krafta --help` never needs it

    return Path(platformdirs.user_config_dir(_APP_NAME, appauthor=False)) / _FILE_NAME


def normalize_url(url: str) -> str:
    """`http(s)://host[:port][/prefix]` without a trailing slash; anything else is a ConfigError."""
    text = url.strip().rstrip("/")
    if "://" not in text:
        # "localhost:8000" is what people type; the server speaks plain http unless told otherwise.
        text = f"http://{text}"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port like ":abc" or ":99999"
    except ValueError as exc:
        raise InvalidServerUrl(f"not a valid server URL: {url!r}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InvalidServerUrl(f"not a valid server URL: {url!r} (expected http://HOST:PORT)")
    return text


def _read() -> dict[str, Any]:
    path = credentials_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc} — delete it and run `krafta login` again") from exc
    return data if isinstance(data, dict) else {}


def _write(data: dict[str, Any]) -> Path:
    path = credentials_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{_FILE_NAME}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        # Created 0600 by os.open itself: the token is never readable by others, not even briefly.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise ConfigError(f"cannot save credentials to {path}: {exc.strerror or exc}") from exc
    return path


def _servers(data: dict[str, Any]) -> dict[str, Any]:
    servers = data.get("servers")
    return servers if isinstance(servers, dict) else {}


def resolve_url(explicit: str | None = None) -> str:
    """The server URL to use (see the module docstring for the order)."""
    if explicit and explicit.strip():
        return normalize_url(explicit)
    from_env = _env(ENV_URL)
    if from_env:
        return normalize_url(from_env)
    current = _read().get("current")
    if isinstance(current, str) and current:
        return normalize_url(current)
    return DEFAULT_URL


def load_session(server: str | None = None) -> Session:
    """The server URL and token to use for a command (token None when not logged in)."""
    url = resolve_url(server)
    saved = _servers(_read()).get(url)
    saved = saved if isinstance(saved, dict) else {}
    env_token = _env(ENV_TOKEN)
    if env_token:
        return Session(url=url, token=env_token, token_source="env")
    token = saved.get("token")
    if not isinstance(token, str) or not token:
        return Session(url=url, token=None, token_source=None)
    return Session(
        url=url,
        token=token,
        token_source="file",
        email=saved.get("email"),
        role=saved.get("role"),
        expires_at=saved.get("expiresAt"),
    )


def save_login(url: str, token: str, user: dict[str, Any], expires_at: str | None) -> Path:
    """Remember the token for `url` and make `url` the default server; returns the file path."""
    data = _read()
    servers = _servers(data)
    servers[url] = {
        "token": token,
        "email": user.get("email"),
        "role": user.get("role"),
        "expiresAt": expires_at,
    }
    data["servers"] = servers
    data["current"] = url
    return _write(data)


def forget_login(url: str) -> bool:
    """Drop the saved token for `url`; False when there was none."""
    data = _read()
    servers = _servers(data)
    if url not in servers:
        return False
    del servers[url]
    data["servers"] = servers
    _write(data)
    return True
