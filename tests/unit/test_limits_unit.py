"""The pure parts of issue 8's limits: which address a request comes from, and the per-address budget."""

from __future__ import annotations

import pytest

from server.accounts.limits import ClientAddresses, RateWindow, budget_key
from server.settings import ConfigError

PROXIES = ClientAddresses(["127.0.0.2", "10.0.0.0/8", "2001:db8::/32"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("198.51.100.7", ["203.0.113.9"], "198.51.100.7"),  # not a proxy: its header is ignored
        ("127.0.0.2", ["203.0.113.9"], "203.0.113.9"),
        ("127.0.0.2", ["203.0.113.9, 10.1.2.3"], "203.0.113.9"),  # through two of our proxies
        ("127.0.0.2", ["6.6.6.6, 203.0.113.9"], "203.0.113.9"),  # what the client wrote sits left
        ("127.0.0.2", ["6.6.6.6", "203.0.113.9"], "203.0.113.9"),  # repeated headers read as one list
        ("127.0.0.2", ["not-an-ip"], "127.0.0.2"),  # garbage: the last hop we can vouch for
        ("127.0.0.2", [], "127.0.0.2"),
        ("127.0.0.2", ["10.0.0.1, 10.0.0.2"], "10.0.0.1"),  # only proxies: the farthest one
        ("2001:db8::1", ["2001:db9::5"], "2001:db9::5"),
    ],
)
def test_client_address(peer: str, forwarded: list[str], expected: str) -> None:
    assert PROXIES.resolve(peer, forwarded) == expected


def test_without_trusted_proxies_the_socket_decides() -> None:
    assert ClientAddresses().resolve("127.0.0.1", ["203.0.113.9"]) == "127.0.0.1"


def test_a_bad_trusted_proxy_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="KRAFTA_TRUSTED_PROXIES"):
        ClientAddresses(["10.0.0.0/33"])


def test_rate_window_slides() -> None:
    now = [1000.0]
    window = RateWindow(3, clock=lambda: now[0])
    assert [window.hit("a") for _ in range(3)] == [None, None, None]
    assert window.hit("a") == 60
    assert window.hit("b") is None  # per key
    now[0] += 30
    assert window.hit("a") == 30  # the oldest hit leaves the window in 30 s
    now[0] += 30.5
    assert window.hit("a") is None


def test_rate_window_zero_means_no_limit() -> None:
    window = RateWindow(0)
    assert all(window.hit("a") is None for _ in range(1000))


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),  # one /64, one key
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),  # a dual-stack socket's IPv4 client
        ("2001:DB8:1:2::1", "2001:db8:1:2::/64"),  # spelled differently, the same client
        ("testclient", "testclient"),  # not an address: itself
    ],
)
def test_budget_key(address: str, key: str) -> None:
    assert budget_key(address) == key
