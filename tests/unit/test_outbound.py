"""UrlPolicy, send_pinned and download: address classes, allow-lists, pinning, redirects, caps."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from imagegate.errors import (
    DownloadFailed,
    DownloadStatus,
    DownloadTimeout,
    DownloadTooLarge,
    OutboundError,
    OutboundRefused,
    TooManyRedirects,
)
from imagegate.outbound import (
    Downloaded,
    ResolvedUrl,
    UrlPolicy,
    address_problem,
    download,
    outbound_client,
    send_pinned,
)

from loopback import free_port

# --- address classification -------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local, cloud metadata"),
        ("169.254.1.1", "link-local"),
        ("100.64.0.1", "shared address space"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "unspecified"),
        ("192.0.2.1", "not globally routable"),  # TEST-NET-1
        ("198.18.0.1", "not globally routable"),  # benchmarking
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fec0::1", "site-local"),
        ("fc00::1", "unique-local"),
        ("fd00:ec2::254", "unique-local"),  # AWS IPv6 metadata endpoint
        ("ff02::1", "multicast"),
        ("2001:db8::1", "not globally routable"),
        ("::ffff:127.0.0.1", "loopback, embedded in IPv6"),
        ("::ffff:10.0.0.1", "private, embedded in IPv6"),
        ("::ffff:169.254.169.254", "link-local, cloud metadata, embedded in IPv6"),
        ("64:ff9b::a00:1", "private, embedded in IPv6"),  # NAT64 of 10.0.0.1
        ("2002:a00:1::", "private, embedded in IPv6"),  # 6to4 of 10.0.0.1
    ],
)
def test_non_public_addresses_are_named(address: str, problem: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) == problem


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.216.34",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
    ],
)
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


# --- resolve: schemes, literals, allow-lists -------------------------------------------


async def test_public_literal_resolves_without_dns() -> None:
    resolved = await UrlPolicy().resolve("HTTP://8.8.8.8:8080/a/b.png?x=1")
    assert resolved == ResolvedUrl(
        url="http://8.8.8.8:8080/a/b.png?x=1",
        scheme="http",
        host="8.8.8.8",
        port=8080,
        addresses=("8.8.8.8",),
    )


async def test_default_ports_follow_the_scheme() -> None:
    policy = UrlPolicy()
    assert (await policy.resolve("https://1.1.1.1/")).port == 443
    assert (await policy.resolve("http://1.1.1.1/")).port == 80
    assert (await policy.resolve("http://[2606:4700:4700::1111]/")).addresses == (
        "2606:4700:4700::1111",
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://8.8.8.8/x.png", "scheme 'ftp' is not allowed"),
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
        ("gopher://8.8.8.8/", "scheme 'gopher' is not allowed"),
        ("data:image/png;base64,AAAA", "scheme 'data' is not allowed"),
        ("//8.8.8.8/x.png", "URL has no scheme"),
        ("http:///x.png", "URL has no host"),
        ("http://[zz]/", "not a valid URL"),
    ],
)
async def test_bad_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(OutboundRefused, match=message):
        await UrlPolicy().resolve(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8000/x.png", r"address 127.0.0.1 is not allowed \(loopback\)"),
        ("http://[::1]/x.png", r"address ::1 is not allowed \(loopback\)"),
        ("http://10.0.0.1/", r"address 10.0.0.1 is not allowed \(private\)"),
        (
            "http://169.254.169.254/latest/meta-data/",
            r"address 169.254.169.254 is not allowed \(link-local, cloud metadata\)",
        ),
        ("http://[::ffff:127.0.0.1]/", r"address ::ffff:7f00:1 is not allowed \(loopback"),
        ("http://100.64.1.1/", r"\(shared address space\)"),
    ],
)
async def test_non_public_literals_are_refused(url: str, message: str) -> None:
    with pytest.raises(OutboundRefused, match=message):
        await UrlPolicy().resolve(url)


async def test_hostname_resolving_to_loopback_is_refused() -> None:
    with pytest.raises(OutboundRefused, match=r"host 'localhost' resolves to loopback address"):
        await UrlPolicy().resolve("http://localhost:8000/x.png")


async def test_numeric_hostname_is_vetted_on_its_resolved_address() -> None:
    # "2130706433" is not an IP literal to the URL parser, but the resolver makes it 127.0.0.1.
    with pytest.raises(OutboundRefused, match=r"resolves to loopback address 127.0.0.1"):
        await UrlPolicy().resolve("http://2130706433/")


async def test_unresolvable_host_is_refused() -> None:
    with pytest.raises(OutboundRefused, match=r"host 'no-such-host.invalid' could not be resolved"):
        await UrlPolicy().resolve("http://no-such-host.invalid/x.png")


async def test_allowlisted_ip_passes_and_others_do_not() -> None:
    policy = UrlPolicy(["127.0.0.1"])
    resolved = await policy.resolve("http://127.0.0.1:9000/x.png")
    assert resolved.addresses == ("127.0.0.1",)
    # The IPv4-mapped form is the same destination.
    assert (await policy.resolve("http://[::ffff:127.0.0.1]/")).addresses == ("::ffff:7f00:1",)
    with pytest.raises(OutboundRefused, match=r"127.0.0.2"):
        await policy.resolve("http://127.0.0.2/")


async def test_allowlisted_cidrs_match_on_the_address() -> None:
    policy = UrlPolicy(["10.0.0.0/8", "::1", "fd00::/8"])
    assert (await policy.resolve("http://10.200.3.4/")).addresses == ("10.200.3.4",)
    assert (await policy.resolve("http://[::1]:81/")).port == 81
    assert (await policy.resolve("http://[fd12::5]/")).addresses == ("fd12::5",)
    with pytest.raises(OutboundRefused, match=r"192.168.0.1"):
        await policy.resolve("http://192.168.0.1/")
    with pytest.raises(OutboundRefused, match=r"fc00::1"):
        await policy.resolve("http://[fc00::1]/")


async def test_allowlisted_cidr_applies_to_resolved_hostnames() -> None:
    resolved = await UrlPolicy(["127.0.0.0/8", "::1"]).resolve("http://localhost/")
    assert resolved.addresses
    assert all(ipaddress.ip_address(a).is_loopback for a in resolved.addresses)


async def test_allowlisted_hostname_matches_case_insensitively() -> None:
    policy = UrlPolicy(["LocalHost"])
    resolved = await policy.resolve("http://LOCALHOST:8000/x.png")
    assert resolved.host == "localhost"
    assert "127.0.0.1" in resolved.addresses
    # A name is not an address: the allow-listed name does not open 127.0.0.1 itself.
    with pytest.raises(OutboundRefused, match=r"loopback"):
        await policy.resolve("http://127.0.0.1:8000/x.png")


async def test_allowlist_ignores_blank_entries() -> None:
    with pytest.raises(OutboundRefused, match=r"loopback"):
        await UrlPolicy(["", "  "]).resolve("http://127.0.0.1/")


# --- send_pinned against real loopback servers -----------------------------------------


class _EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps(
            {
                "path": self.path,
                "host": self.headers.get("Host"),
                "connection": self.headers.get("Connection"),
                "x_test": self.headers.get("X-Test"),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(server: ThreadingHTTPServer) -> Iterator[int]:
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def echo_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    server.daemon_threads = True
    yield from _serve(server)


async def test_send_pinned_connects_to_the_vetted_ip_with_the_original_host(
    echo_port: int,
) -> None:
    # The name never resolves: only the pinned address can have carried the request.
    resolved = ResolvedUrl(
        url=f"http://images.example.invalid:{echo_port}/a.png?x=1",
        scheme="http",
        host="images.example.invalid",
        port=echo_port,
        addresses=("127.0.0.1",),
    )
    async with httpx.AsyncClient() as client:
        response = await send_pinned(
            client, "GET", resolved, headers={"X-Test": "yes"}, timeout=5.0
        )
    assert response.status_code == 200
    assert response.json() == {
        "path": "/a.png?x=1",
        "host": f"images.example.invalid:{echo_port}",
        "connection": "keep-alive",  # plain http may reuse connections: no SNI to mix up
        "x_test": "yes",
    }
    assert response.request.url.host == "127.0.0.1"


async def test_send_pinned_tries_the_next_address_when_one_refuses(echo_port: int) -> None:
    # ::1 has no listener (the server is bound to 127.0.0.1 only).
    resolved = ResolvedUrl(
        url=f"http://localhost:{echo_port}/next",
        scheme="http",
        host="localhost",
        port=echo_port,
        addresses=("::1", "127.0.0.1"),
    )
    async with httpx.AsyncClient() as client:
        response = await send_pinned(client, "GET", resolved, timeout=5.0)
    assert response.json()["host"] == f"localhost:{echo_port}"
    assert response.request.url.host == "127.0.0.1"


async def test_send_pinned_never_follows_redirects(echo_port: int) -> None:
    resolved = await UrlPolicy(["127.0.0.1"]).resolve(f"http://127.0.0.1:{echo_port}/redirect")
    async with httpx.AsyncClient(follow_redirects=True) as client:
        response = await send_pinned(client, "GET", resolved, timeout=5.0)
    assert response.status_code == 302
    assert response.headers["location"] == "/elsewhere"


async def test_send_pinned_brackets_ipv6_and_keeps_the_name_for_https() -> None:
    seen: list[httpx.Request] = []

    class Stop(Exception):
        pass

    async def capture(request: httpx.Request) -> None:
        seen.append(request)
        raise Stop  # stop before any connection: only the request's shape matters here

    resolved = ResolvedUrl(
        url="https://images.example.com:8443/p.png",
        scheme="https",
        host="images.example.com",
        port=8443,
        addresses=("2606:4700::1",),
    )
    async with httpx.AsyncClient(event_hooks={"request": [capture]}) as client:
        with pytest.raises(Stop):
            await send_pinned(client, "GET", resolved, timeout=5.0)
    (request,) = seen
    assert str(request.url) == "https://[2606:4700::1]:8443/p.png"
    assert request.headers["Host"] == "images.example.com:8443"
    assert request.headers["Connection"] == "close"
    assert request.extensions["sni_hostname"] == "images.example.com"


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """A TLS echo server on 127.0.0.1 whose certificate names only ``imagegate.test``."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            *("req", "-x509", "-nodes", "-days", "1"),
            *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=imagegate.test"),
            *("-addext", "subjectAltName=DNS:imagegate.test"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    for port in _serve(server):
        yield port, cert


async def test_send_pinned_verifies_tls_against_the_host_name(
    tls_server: tuple[int, Path],
) -> None:
    port, cert = tls_server
    trust = ssl.create_default_context(cafile=str(cert))
    resolved = ResolvedUrl(
        url=f"https://imagegate.test:{port}/secure",
        scheme="https",
        host="imagegate.test",
        port=port,
        addresses=("127.0.0.1",),
    )
    async with httpx.AsyncClient(verify=trust) as client:
        response = await send_pinned(client, "GET", resolved, timeout=5.0)
        assert response.json()["host"] == f"imagegate.test:{port}"
        assert response.json()["connection"] == "close"
        # Control: the same connection without the name fails verification, so the success
        # above came from SNI/hostname checking against "imagegate.test".
        with pytest.raises(httpx.ConnectError, match=r"CERTIFICATE_VERIFY_FAILED|mismatch"):
            await client.get(f"https://127.0.0.1:{port}/secure")


# --- download ------------------------------------------------------------------------------

BODY = b"0123456789" * 10


class _DownloadHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        if "Transfer_Encoding" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/file":
            self._answer(200, BODY, Content_Type="text/plain")
        elif self.path.startswith("/hop/"):
            hops = int(self.path.rsplit("/", 1)[1])
            self._answer(302, Location=f"{hops - 1}" if hops > 1 else "/file")
        elif self.path == "/set-cookie":
            self._answer(302, Location="/cookie", Set_Cookie="session=secret; Path=/")
        elif self.path == "/cookie":
            self._answer(200, (self.headers.get("Cookie") or "none").encode())
        elif self.path == "/chunked":
            chunk = b"x" * 1000
            with contextlib.suppress(OSError):
                self._answer(200, b"%x\r\n%s\r\n" % (len(chunk), chunk) * 10 + b"0\r\n\r\n",
                             Transfer_Encoding="chunked")
        elif self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(100):
                    self.wfile.write(b".")
                    time.sleep(0.05)
        elif self.path == "/to-private":
            self._answer(302, Location="http://10.0.0.1/x")
        elif self.path == "/bad-location":
            self._answer(302, Location="http://[::1")
        else:
            self._answer(404, b"not found")


@pytest.fixture(scope="module")
def files_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DownloadHandler)
    server.daemon_threads = True
    for port in _serve(server):
        yield f"http://127.0.0.1:{port}"


async def _download(
    url: str, *, max_bytes: int = 1000, timeout: float = 5.0, max_redirects: int = 5,
    check_head: Callable[[bytes], None] | None = None, head_bytes: int = 32,
) -> Downloaded:
    async with outbound_client() as client:
        return await download(
            client, UrlPolicy(["127.0.0.1"]), url, max_bytes=max_bytes, timeout=timeout,
            max_redirects=max_redirects, check_head=check_head, head_bytes=head_bytes,
        )


async def test_download_follows_relative_redirects_to_the_final_url(files_url: str) -> None:
    got = await _download(files_url + "/hop/3")
    assert (got.data, got.content_type, got.final_url) == (BODY, "text/plain", files_url + "/file")


async def test_download_never_stores_cookies(files_url: str) -> None:
    assert (await _download(files_url + "/set-cookie")).data == b"none"


async def test_download_refuses_by_declared_length_and_while_streaming(files_url: str) -> None:
    with pytest.raises(DownloadTooLarge) as declared:
        await _download(files_url + "/file", max_bytes=99)
    assert (declared.value.limit, declared.value.declared) == (99, 100)
    with pytest.raises(DownloadTooLarge) as streamed:
        await _download(files_url + "/chunked", max_bytes=5000)
    assert (streamed.value.limit, streamed.value.declared) == (5000, None)


async def test_download_errors_say_what_went_wrong(files_url: str) -> None:
    with pytest.raises(DownloadStatus, match=r"^server answered HTTP 404$") as status:
        await _download(files_url + "/missing")
    assert status.value.status == 404
    with pytest.raises(TooManyRedirects, match=r"more than 2") as hops:
        await _download(files_url + "/hop/3", max_redirects=2)
    assert hops.value.limit == 2
    with pytest.raises(DownloadFailed, match=r"(?i)invalid URL in location"):
        await _download(files_url + "/bad-location")
    started = time.monotonic()
    with pytest.raises(DownloadTimeout, match=r"^timed out after 0.3 s$"):
        await _download(files_url + "/drip", timeout=0.3)  # each byte well within a read timeout
    assert time.monotonic() - started < 1.0


async def test_download_names_the_refused_redirect_target(files_url: str) -> None:
    with pytest.raises(OutboundRefused) as refused:
        await _download(files_url + "/to-private")
    assert (refused.value.hop, refused.value.url) == (1, "http://10.0.0.1/x")
    assert refused.value.reason == "address 10.0.0.1 is not allowed (private)"
    assert str(refused.value) == f"redirected to http://10.0.0.1/x: {refused.value.reason}"


async def test_download_translates_transport_errors() -> None:
    port = free_port()  # nothing listens there (a port of this test process's own block)
    with pytest.raises(DownloadFailed, match="could not connect") as failed:
        await _download(f"http://127.0.0.1:{port}/file")
    assert isinstance(failed.value.__cause__, httpx.ConnectError)
    assert isinstance(failed.value, OutboundError)


async def test_check_head_sees_the_first_bytes_once_or_the_whole_short_body(
    files_url: str,
) -> None:
    heads: list[bytes] = []
    await _download(files_url + "/chunked", max_bytes=10_000, check_head=heads.append)
    assert len(heads) == 1 and len(heads[0]) >= 32
    heads.clear()
    await _download(files_url + "/file", check_head=heads.append, head_bytes=500)
    assert heads == [BODY]

    class NotWanted(Exception):
        pass

    def refuse(head: bytes) -> None:
        raise NotWanted

    with pytest.raises(NotWanted):  # passes through untranslated
        await _download(files_url + "/chunked", max_bytes=10_000, check_head=refuse)
