"""What counts as "the internet" in a CIDR allow-list, written once for every policy that asks.

``0.0.0.0/0`` is not the only way to open a door to everyone: ``0.0.0.0/1`` with ``128.0.0.0/1``, or
any prefix wider than a /8, admits most of the internet while passing a literal comparison.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

# Wider than these admits a share of the address space no allow-list of operators needs.
WIDEST_IPV4_PREFIX = 8
WIDEST_IPV6_PREFIX = 16
# A set of narrower ranges that together still covers half of IPv4 is the internet too.
IPV4_HALF = 2**31


def _networks(cidrs: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            continue  # not a CIDR: the settings or the provider refuse it, not this check
    return networks


def internet_wide(cidrs: Iterable[str]) -> list[str]:
    """The CIDRs of ``cidrs`` that open to the internet at large (empty when none does)."""
    networks = _networks(cidrs)
    wide = [
        n for n in networks if n.prefixlen < (WIDEST_IPV4_PREFIX if n.version == 4 else WIDEST_IPV6_PREFIX)
    ]
    v4 = list(ipaddress.collapse_addresses(n for n in networks if n.version == 4))
    if not wide and sum(n.num_addresses for n in v4) >= IPV4_HALF:
        wide = [n for n in networks if n.version == 4]
    return [str(n) for n in wide]
