"""A key's IP allow-list: comma-separated addresses or CIDR networks (IPv4 and IPv6).

The address checked is the client's as uvicorn reports it: the peer's, or behind a reverse
proxy the one the proxy puts in ``X-Forwarded-For`` when the proxy's address is trusted
(uvicorn's ``FORWARDED_ALLOW_IPS``, 127.0.0.1 and ::1 by default).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=1024)
def parse(text: str) -> tuple[Network, ...]:
    """The networks of an allow-list; ValueError naming the entry that is neither an address
    nor a network. Cached: every request of a restricted key reads its list."""
    networks = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"{entry!r} is not an IP address or CIDR network (e.g. 203.0.113.7, 10.0.0.0/8)"
            ) from None
    if not networks:
        raise ValueError("an allow-list needs at least one address or network")
    return tuple(networks)


def normalize(text: str | None) -> str | None:
    """The list as stored: its networks in canonical form; None or "" for no restriction."""
    if text is None or not text.strip():
        return None
    return ",".join(str(network) for network in parse(text))


def allows(text: str | None, host: str | None) -> bool:
    """Whether a request from ``host`` may use a key with this list (no list: any host)."""
    if text is None:
        return True
    if host is None:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # not an address (a test client's name): never on a list of addresses
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in parse(text))
