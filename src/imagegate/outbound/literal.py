"""What a URL's host says about where it leads without asking DNS: an IP address in any
spelling that resolvers and browsers accept (``127.1``, ``2130706433``, ``0x7f.0.0.1``,
``0177.0.0.1``, ``[::ffff:127.0.0.1]``, full-width digits and dots), or a name that always means
this machine or a cloud's metadata service (``localhost``, ``*.localhost``,
``metadata.google.internal``). The create path refuses such URLs at once with these; any other
name is left to the DNS check when the URL is used."""

from __future__ import annotations

import contextlib
import ipaddress
import unicodedata
from urllib.parse import unquote, urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

__all__ = ["SPECIAL_NAMES", "host_address", "hosts_of", "special_name"]

# Names that never leave the machine or its cloud, whatever DNS says (RFC 6761 for localhost;
# the metadata names are the providers' own: GCP, AWS, Azure, Alibaba, OpenStack-style).
SPECIAL_NAMES: dict[str, str] = {
    "localhost": "loopback",
    "localhost.localdomain": "loopback",
    "ip6-localhost": "loopback",
    "ip6-loopback": "loopback",
    "metadata": "cloud metadata",
    "metadata.google.internal": "cloud metadata",
    "metadata.goog": "cloud metadata",
    "instance-data": "cloud metadata",
    "instance-data.ec2.internal": "cloud metadata",
    "metadata.azure.internal": "cloud metadata",
    "metadata.tencentyun.com": "cloud metadata",
}
_DIGITS = {8: frozenset("01234567"), 10: frozenset("0123456789"),
           16: frozenset("0123456789abcdef")}
# Dots that IDNA (UTS 46) maps to "." and that NFKC leaves as they are.
_IDEOGRAPHIC_DOTS = str.maketrans({"\u3002": ".", "\uff61": "."})


def hosts_of(url: str) -> tuple[str, ...]:
    """The URL's host as each parser that may read it sees it (the standard library's and
    httpx's, which the worker connects with), normalised: percent-escapes decoded, NFKC
    (full-width digits), ideographic dots, lower case, no brackets, no trailing dot. More than
    one when the parsers disagree; none for a URL with no host."""
    found: list[str] = []
    # A URL one parser refuses is no URL the worker can use; the other may still read a host.
    with contextlib.suppress(ValueError):
        found.append(urlsplit(url).hostname or "")
    with contextlib.suppress(httpx.InvalidURL, TypeError, ValueError):
        found.append(httpx.URL(url).host)
    hosts = (_normalise(host) for host in found if host)
    return tuple(dict.fromkeys(host for host in hosts if host))


def _normalise(host: str) -> str:
    host = unicodedata.normalize("NFKC", unquote(host)).translate(_IDEOGRAPHIC_DOTS)
    return host.strip("[]").lower().rstrip(".")


def host_address(host: str) -> IPAddress | None:
    """The IP address ``host`` (as ``hosts_of`` gives it) spells, in any of its forms; None for
    a name. IPv4 is read as inet_aton and WHATWG read it: one to four parts, each decimal,
    octal (a leading 0) or hex (0x), the last filling the bytes that remain."""
    try:
        return ipaddress.ip_address(host)  # dotted quads, IPv6 (with a zone: fe80::1%eth0)
    except ValueError:
        pass
    return _ipv4_any_form(host)


def _ipv4_any_form(host: str) -> ipaddress.IPv4Address | None:
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers: list[int] = []
    for part in parts:
        number = _ipv4_number(part)
        if number is None:
            return None
        numbers.append(number)
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _ipv4_number(part: str) -> int | None:
    if part[:2] in ("0x", "0X"):
        digits, base = part[2:], 16
        if not digits:
            return 0  # "0x" alone is zero to inet_aton and WHATWG alike
    elif len(part) > 1 and part[0] == "0":
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if not digits or not set(digits.lower()) <= _DIGITS[base]:
        return None
    return int(digits, base)


def special_name(host: str) -> str | None:
    """Why a host name is never a public server ("loopback", "cloud metadata"), or None."""
    if host.endswith(".localhost"):
        return "loopback"
    return SPECIAL_NAMES.get(host)
