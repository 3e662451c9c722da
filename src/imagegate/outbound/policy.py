"""Which URLs imagegate may request: http(s) to public addresses unless allow-listed, and
``send_pinned``, which connects to the vetted address (no second DNS lookup to rebind)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from imagegate.errors import OutboundRefused
from imagegate.outbound.literal import host_address, hosts_of, special_name

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Checked in order, first match names the problem. Spelled out instead of trusting
# ``ip.is_global`` alone because its answers change between Python versions (3.11 calls
# 224.0.0.1, ff02::1 and fec0::1 global).
_V4_REFUSED: tuple[tuple[ipaddress.IPv4Network, str], ...] = tuple(
    (ipaddress.IPv4Network(net), reason)
    for net, reason in (
        ("0.0.0.0/8", "unspecified"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.169.254/32", "link-local, cloud metadata"),
        ("169.254.0.0/16", "link-local"),
        ("10.0.0.0/8", "private"),
        ("172.16.0.0/12", "private"),
        ("192.168.0.0/16", "private"),
        ("100.64.0.0/10", "shared address space"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
        ("192.0.0.0/24", "reserved"),
    )
)
_V6_REFUSED: tuple[tuple[ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.IPv6Network(net), reason)
    for net, reason in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("fc00::/7", "unique-local"),
        ("ff00::/8", "multicast"),
    )
)
# IPv6 ranges that carry an IPv4 address: the IPv4 address is where the packet really goes.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True)
class ResolvedUrl:
    """A URL that passed the policy, with the addresses it may be fetched from."""

    url: str  # normalised, still naming the original host
    scheme: str  # "http" | "https"
    host: str  # ASCII (IDNA) host name or IP literal, no brackets
    port: int
    addresses: tuple[str, ...]  # vetted IPs, in resolver order


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, NAT64 or 6to4 IPv6 address delivers to."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def address_problem(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public address ("loopback", "private", ...), or None if it is."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None:
            problem = address_problem(inner)
            return None if problem is None else f"{problem}, embedded in IPv6"
        for net6, reason in _V6_REFUSED:
            if ip in net6:
                return reason
    else:
        for net4, reason in _V4_REFUSED:
            if ip in net4:
                return reason
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "not globally routable"
    return None


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class UrlPolicy:
    """Decides which URLs imagegate may contact and pins them to vetted addresses.

    ``allowlist`` entries are host names ("localhost", "minio.internal"), matched exactly and
    case-insensitively, or IPs/CIDRs ("127.0.0.1", "10.0.0.0/8", "::1"), matched on every
    resolved address. Allow-listed hosts and addresses skip the public-address rule only.
    """

    def __init__(self, allowlist: Sequence[str] = ()) -> None:
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in allowlist:
            entry = raw.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(_normalise_host(entry))
        self._hosts = frozenset(hosts)
        self._networks = tuple(networks)

    def host_allowed(self, host: str) -> bool:
        return _normalise_host(host) in self._hosts

    def address_allowed(self, ip: IPAddress) -> bool:
        candidates: list[IPAddress] = [ip]
        if isinstance(ip, ipaddress.IPv6Address):
            # An allow-listed "127.0.0.1" also covers "::ffff:127.0.0.1": same destination.
            inner = _embedded_v4(ip)
            if inner is not None:
                candidates.append(inner)
        # Versions are compared first: ``ipaddress`` answers v4-in-v6 membership with garbage.
        return any(
            c in net for c in candidates for net in self._networks if c.version == net.version
        )

    def refusal_at_sight(self, url: str) -> str | None:
        """Why ``url`` may not be requested, judged from the URL alone, with no DNS lookup:
        its host is an address that is not public, in any spelling (``127.1``,
        ``[::ffff:127.0.0.1]``), or a name that always means this machine or a cloud's
        metadata service (outbound/literal.py). None when only a lookup could tell, or when
        the allow-list names the host or address. ``resolve`` still checks every URL it is
        given (a name that resolves to a private address, a redirect)."""
        for host in hosts_of(url):
            ip = host_address(host)
            if ip is not None:
                problem = address_problem(ip)
                if problem is not None and not self.address_allowed(ip):
                    written = "" if host == str(ip) else f" (written {host})"
                    return f"address {ip}{written} is not allowed ({problem})"
                continue
            reason = special_name(host)
            if reason is not None and not self.host_allowed(host):
                return f"host {host!r} is not allowed ({reason})"
        return None

    async def resolve(self, url: str) -> ResolvedUrl:
        """Vet ``url`` and resolve its host; raises OutboundRefused with the reason."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise OutboundRefused(f"not a valid URL ({exc})") from exc
        scheme = parsed.scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            if not scheme:
                raise OutboundRefused("URL has no scheme")
            raise OutboundRefused(f"scheme {scheme!r} is not allowed")
        try:
            host = parsed.raw_host.decode("ascii").lower()
        except UnicodeDecodeError as exc:
            raise OutboundRefused("host name is not valid") from exc
        if not host:
            raise OutboundRefused("URL has no host")
        port = parsed.port if parsed.port is not None else _DEFAULT_PORTS[scheme]

        literal = _parse_ip(host)
        if literal is not None:
            problem = address_problem(literal)
            if problem is not None and not self.address_allowed(literal):
                raise OutboundRefused(f"address {literal} is not allowed ({problem})")
            addresses: tuple[str, ...] = (str(literal),)
        else:
            host_ok = self.host_allowed(host) or self.host_allowed(parsed.host)
            found = await self._lookup(host, port)
            if not host_ok:
                # Every answer must be public: the connection may use any of them.
                for ip in found:
                    problem = address_problem(ip)
                    if problem is not None and not self.address_allowed(ip):
                        raise OutboundRefused(f"host {host!r} resolves to {problem} address {ip}")
            addresses = tuple(str(ip) for ip in found)
        return ResolvedUrl(
            url=str(parsed), scheme=scheme, host=host, port=port, addresses=addresses
        )

    @staticmethod
    async def _lookup(host: str, port: int) -> list[IPAddress]:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
        except (OSError, UnicodeError) as exc:
            raise OutboundRefused(f"host {host!r} could not be resolved") from exc
        found: list[IPAddress] = []
        for family, _type, _proto, _canon, sockaddr in infos:
            if family not in (socket.AF_INET, socket.AF_INET6):
                continue
            ip = _parse_ip(str(sockaddr[0]))
            if ip is not None and ip not in found:
                found.append(ip)
        if not found:
            raise OutboundRefused(f"host {host!r} could not be resolved")
        return found


def _normalise_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


async def send_pinned(
    client: httpx.AsyncClient,
    method: str,
    resolved: ResolvedUrl,
    *,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    timeout: float,
    stream: bool = False,
) -> httpx.Response:
    """Send one request to a vetted address of ``resolved``, never re-resolving its name.

    The URL's host becomes the IP; ``Host`` keeps the original name and, for https, SNI and
    certificate checks use the name too. Addresses are tried in order while the connection
    itself fails. Redirects are never followed: the caller must vet each Location again.
    """
    original = httpx.URL(resolved.url)
    request_headers = httpx.Headers(headers)
    request_headers["Host"] = original.netloc.decode("ascii")
    extensions: dict[str, str] = {}
    if resolved.scheme == "https":
        extensions["sni_hostname"] = resolved.host
        # The pool keys connections by IP: a TLS connection verified for one name must not be
        # reused for another name served from the same address.
        request_headers["Connection"] = "close"
    last_error: httpx.TransportError | None = None
    for address in resolved.addresses:
        request = client.build_request(
            method,
            original.copy_with(host=address),
            headers=request_headers,
            content=content,
            timeout=timeout,
            extensions=extensions,
        )
        try:
            return await client.send(request, stream=stream, follow_redirects=False)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            last_error = exc
    if last_error is None:
        raise OutboundRefused(f"host {resolved.host!r} has no vetted address")
    raise last_error


def outbound_client() -> httpx.AsyncClient:
    """A client fit for user-given URLs: no proxy or .netrc from the environment, no cookies."""
    # A shared client must not carry cookies from one user's server to another's request.
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(trust_env=False, follow_redirects=False, cookies=jar)
