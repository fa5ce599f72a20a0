"""Which client a request comes from, for limits per address.

The peer address is the client's unless the peer is a proxy named in
TRUSTED_PROXIES. Then X-Forwarded-For is read from the right, each trusted
hop skipped, and the first address a trusted hop did not add is the client's
(what a client writes into the header itself, left of that, is never believed).
IPv6 clients are counted per /64, the block one subscriber usually holds.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"
IPV6_PREFIX = 64


def is_loopback(host: str) -> bool:
    """Whether a bind host is reachable from this machine only (localhost, 127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    address = _parse(host)
    return address is not None and address.is_loopback


def trusted_networks(entries: Iterable[str]) -> tuple[IpNetwork, ...]:
    """TRUSTED_PROXIES entries (addresses or CIDR networks); a bad entry is a ValueError."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def _parse(text: str) -> IpAddress | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IpAddress, networks: tuple[IpNetwork, ...]) -> bool:
    return any(address in network for network in networks)


def client_address(
    peer: str | None, forwarded_for: Iterable[str], trusted: tuple[IpNetwork, ...]
) -> str:
    """The client's address (an IPv6 client's /64) as a key for limits."""
    address = _parse(peer or "")
    if address is None:
        return UNKNOWN
    if trusted and _trusted(address, trusted):
        hops = [hop for header in forwarded_for for hop in header.split(",")]
        for hop in reversed(hops):
            forwarded = _parse(hop)
            if forwarded is None:
                break  # garbage from here leftwards: the last trusted hop is as far as we know
            address = forwarded
            if not _trusted(address, trusted):
                break
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)
