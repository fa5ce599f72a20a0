from __future__ import annotations

import pytest

from ingress.client_address import client_address, trusted_networks

PROXIES = trusted_networks(["10.0.0.0/8", "2001:db8:ffff::1"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        ("203.0.113.7", [], (), "203.0.113.7"),
        # Not configured to trust anyone: the header is the client's own words.
        ("203.0.113.7", ["198.51.100.1"], (), "203.0.113.7"),
        # A peer that is not a trusted proxy cannot speak for others either.
        ("203.0.113.7", ["198.51.100.1"], PROXIES, "203.0.113.7"),
        ("10.1.2.3", ["198.51.100.1"], PROXIES, "198.51.100.1"),
        # The client wrote its own X-Forwarded-For; the proxy appended the real address.
        ("10.1.2.3", ["1.2.3.4, 198.51.100.1"], PROXIES, "198.51.100.1"),
        # Two trusted hops, the header split over two lines.
        ("10.1.2.3", ["6.6.6.6, 198.51.100.1", "10.9.9.9"], PROXIES, "198.51.100.1"),
        # Garbage to the left of the trusted hops: the last trusted hop is the answer.
        ("10.1.2.3", ["not-an-ip, 10.9.9.9"], PROXIES, "10.9.9.9"),
        ("10.1.2.3", [], PROXIES, "10.1.2.3"),
        ("10.1.2.3", ["198.51.100.1:4711"], PROXIES, "198.51.100.1"),
        # IPv6 clients count per /64; mapped IPv4 is IPv4.
        ("2001:db8:1:2:3:4:5:6", [], (), "2001:db8:1:2::/64"),
        ("2001:db8:ffff::1", ["[2001:db8:9:9::1]:80"], PROXIES, "2001:db8:9:9::/64"),
        ("::ffff:203.0.113.7", [], (), "203.0.113.7"),
        (None, [], PROXIES, "unknown"),
        ("", ["198.51.100.1"], PROXIES, "unknown"),
    ],
)
def test_the_client_is_the_first_address_no_trusted_proxy_added(
    peer: str | None, forwarded: list[str], trusted: tuple, client: str
) -> None:
    assert client_address(peer, forwarded, trusted) == client


def test_a_bad_trusted_proxy_entry_is_refused() -> None:
    with pytest.raises(ValueError):
        trusted_networks(["10.0.0.0/8", "proxy.example"])
