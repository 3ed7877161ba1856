"""Who the client is (its address, behind trusted proxies only) and a per-address request budget.

The order-creation limit is counted per server process (the spec allows it: an instance behind a
balancer sees its share); login failures are counted in the database (`users.py`), because guessing
must not get cheaper by spreading over instances.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

from server.settings import ConfigError

__all__ = ["ClientAddresses", "RateWindow", "budget_key"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def budget_key(address: str) -> str:
    """The key a client's budgets (orders, logins) are counted under: an IPv4 address as itself, an
    IPv6 address as its /64.

    One subscriber line gets a whole /64 (RFC 6177), so counting single IPv6 addresses gave one
    machine 2^64 budgets: 70 orders from one /64 all passed a limit of 60. An IPv4-mapped IPv6
    address (`::ffff:203.0.113.9`, a dual-stack socket) is its IPv4 address.
    """
    ip = _ip(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return address if ip is None else str(ip)


class ClientAddresses:
    """The client address of a request: the socket's peer, or — only when that peer is a trusted
    proxy — the right-most address in `X-Forwarded-For` that is not itself a trusted proxy.

    Right-most, because each proxy appends the address it saw: whatever a client wrote into the header
    itself sits to the left and is never believed.
    """

    def __init__(self, trusted: Iterable[str] = ()) -> None:
        try:
            self.trusted: tuple[_Network, ...] = tuple(ipaddress.ip_network(t, strict=False) for t in trusted)
        except ValueError as error:
            raise ConfigError(f"KRAFTA_TRUSTED_PROXIES: {error}") from None

    def _is_trusted(self, address: str) -> bool:
        ip = _ip(address)
        return ip is not None and any(ip in net for net in self.trusted)

    def resolve(self, peer: str, forwarded_for: list[str]) -> str:
        if not self.trusted or not self._is_trusted(peer):
            return peer
        hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
        last = peer
        for hop in reversed(hops):
            if _ip(hop) is None:
                break  # not an address a proxy wrote: stop at the last hop we can vouch for
            if not self._is_trusted(hop):
                return hop
            last = hop
        return last


class RateWindow:
    """At most `per_minute` hits per key in any sixty seconds; 0 means no limit.

    A sliding log: each key keeps the times of its hits in the last minute (at most `per_minute` of
    them), and keys with none left are swept, so memory follows the clients of the last minute.
    """

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}
        self._next_sweep = 0.0

    def hit(self, key: str) -> int | None:
        """Count one hit for `key`: None when allowed, else the seconds until one is allowed again."""
        if self.per_minute <= 0:
            return None
        now = self._clock()
        with self._lock:
            if now >= self._next_sweep:
                self._hits = {k: q for k, q in self._hits.items() if q and q[-1] > now - 60}
                self._next_sweep = now + 60
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return max(1, math.ceil(hits[0] + 60 - now))
            hits.append(now)
        return None
