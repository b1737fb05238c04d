"""Client addresses shortened before storage, so no full IP address is ever kept.

Pure: no Flask, no DB, no clock. An IPv4 address keeps its /24 network, an IPv6 address its
/48 (what one site or household is usually given): enough to throttle a guessing client, not
enough to name a person. Anything unparsable becomes "unknown".
"""

import ipaddress

IPV4_PREFIX = 24
IPV6_PREFIX = 48
UNKNOWN = "unknown"


def truncate_address(address: str | None) -> str:
    """The network prefix of `address` in CIDR notation (`203.0.113.0/24`, `2001:db8:1::/48`)."""
    if not address:
        return UNKNOWN
    text = address.strip().split("%", 1)[0]
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        # Already a prefix (stored before), or garbage: keep a prefix, drop anything else.
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            return UNKNOWN
        ip = network.network_address
        if network.prefixlen < (IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX):
            return str(network)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
