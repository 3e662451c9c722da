"""ImageFetcher against a real HTTP server on 127.0.0.1: types, caps, bombs, redirects."""

from __future__ import annotations

import contextlib
import io
import os
import struct
import threading
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest
from PIL import Image

from imagegate.errors import InputRejected, OwnLinkRefused
from imagegate.outbound import UrlPolicy
from imagegate.worker.fetch import ImageFetcher

from loopback import free_port

FIELD = "input.image_url"
SMALL_CAP = 50_000  # keeps the over-the-limit tests fast


def _encode(img: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def _png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit all-black PNG: tiny on the wire, width*height pixels once decoded."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    batch = 1000
    idat = b"".join(
        compressor.compress(row * min(batch, height - y)) for y in range(0, height, batch)
    )
    idat += compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


_picture = Image.new("RGB", (64, 48), (200, 30, 60))
PNG = _encode(_picture, "PNG")
JPEG = _encode(_picture, "JPEG", quality=85)
WEBP = _encode(_picture, "WEBP")
_noise = Image.frombytes("RGB", (100, 100), os.urandom(100 * 100 * 3))
NOISE_PNG = _encode(_noise, "PNG")
NOISE_JPEG = _encode(_noise, "JPEG", quality=95)
TRUNCATED_PNG = NOISE_PNG[: len(NOISE_PNG) // 2]
TRUNCATED_JPEG = NOISE_JPEG[: len(NOISE_JPEG) // 2]
BOMB_8K = _png_bomb(8000, 8000)  # 64 Mpx: under Pillow's own limit, over ours (40 Mpx)
BOMB_20K = _png_bomb(20000, 20000)  # 400 Mpx: over Pillow's limit too
TEXT = b"this is a text file, renamed to .png\n" * 20
HTML = b"<!DOCTYPE html><html><body>" + b"<p>not an image</p>" * 2000 + b"</body></html>"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[str]] = []  # request paths, in order

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", content_type: str = "image/png") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _stream_forever(self, chunked: bool) -> None:
        """PNG magic then zeros until the client hangs up: only a streaming cap ends it."""
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        chunk = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16_376
        try:
            for _ in range(16_384):  # 256 MiB: far past any cap, still bounded
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
        except OSError:
            pass  # the client gave up, as it should

    def do_GET(self) -> None:
        self.seen.append(self.path)
        port = self.server.server_address[1]
        static = {
            "/img.png": (PNG, "text/html"),  # a lying Content-Type must not matter
            "/img.jpg": (JPEG, "image/jpeg"),
            "/img.webp": (WEBP, "image/webp"),
            "/text.png": (TEXT, "image/png"),
            "/page.html": (HTML, "image/png"),
            "/truncated.png": (TRUNCATED_PNG, "image/png"),
            "/truncated.jpg": (TRUNCATED_JPEG, "image/jpeg"),
            "/bomb8k.png": (BOMB_8K, "image/png"),
            "/bomb20k.png": (BOMB_20K, "image/png"),
        }
        if self.path in static:
            body, content_type = static[self.path]
            self._send(200, body, content_type)
        elif self.path == "/big.png":
            with contextlib.suppress(OSError):  # the client refuses it from the header
                self._send(200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 200_000)
        elif self.path == "/huge-declared.png":
            # Declares 20 MiB and sends none of it: the header alone must refuse it.
            self.send_response(200)
            self.send_header("Content-Length", str(20 * 1024 * 1024))
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
        elif self.path == "/endless-nolength.png":
            self._stream_forever(chunked=False)
        elif self.path == "/endless-chunked.png":
            self._stream_forever(chunked=True)
        elif self.path.startswith("/redirect/"):
            hops = int(self.path.rsplit("/", 1)[1])
            if hops > 1:
                self._redirect(f"../redirect/{hops - 1}", 307)  # relative, joined by the client
            else:
                self._redirect(f"http://127.0.0.1:{port}/img.png", 301)  # absolute
        elif self.path == "/to-private":
            self._redirect("http://10.0.0.1/x.png")
        elif self.path == "/to-metadata":
            self._redirect("http://169.254.169.254/latest/meta-data/")
        elif self.path == "/to-ftp":
            self._redirect(f"ftp://127.0.0.1:{port}/img.png")
        elif self.path == "/slow":
            time.sleep(1.5)
            self._send(200, PNG)
        elif self.path == "/drip.png":
            # Each byte arrives well within any per-read timeout; only a total deadline ends it.
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"\x89")
                    time.sleep(0.05)
            except OSError:
                pass
        else:
            self._send(404, b"not found", "text/plain")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up mid-body is what these tests provoke


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = _QuietServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _fetcher(
    policy: UrlPolicy | None = None,
    *,
    max_bytes: int = SMALL_CAP,
    max_pixels: int = 40_000_000,
    timeout: float = 5.0,
    local_reader: Callable[[str], Awaitable[bytes | None]] | None = None,
    client: httpx.AsyncClient | None = None,
) -> ImageFetcher:
    """A fetcher that trusts the loopback test server unless told otherwise."""
    return ImageFetcher(
        UrlPolicy(["127.0.0.1"]) if policy is None else policy,
        max_bytes=max_bytes,
        max_pixels=max_pixels,
        timeout=timeout,
        local_reader=local_reader,
        client=client,
    )


@pytest.fixture
async def fetcher() -> AsyncIterator[ImageFetcher]:
    f = _fetcher()
    yield f
    await f.aclose()


async def _rejected(fetcher: ImageFetcher, url: str) -> str:
    with pytest.raises(InputRejected) as caught:
        await fetcher.fetch(url, FIELD)
    assert caught.value.retryable is False
    return str(caught.value)


# --- accepted images ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data", "mime_type"),
    [
        ("/img.png", PNG, "image/png"),
        ("/img.jpg", JPEG, "image/jpeg"),
        ("/img.webp", WEBP, "image/webp"),
    ],
)
async def test_fetches_each_supported_type(
    fetcher: ImageFetcher, base_url: str, path: str, data: bytes, mime_type: str
) -> None:
    image = await fetcher.fetch(base_url + path, FIELD)
    assert image.url == base_url + path
    assert image.data == data
    assert image.mime_type == mime_type  # from magic bytes: /img.png is served as text/html
    assert (image.width, image.height) == (64, 48)


async def test_same_url_is_refused_without_the_allowlist(base_url: str) -> None:
    before = len(_Handler.seen)
    fetcher = _fetcher(UrlPolicy())
    try:
        message = await _rejected(fetcher, base_url + "/img.png")
    finally:
        await fetcher.aclose()
    assert message == f"{FIELD}: address 127.0.0.1 is not allowed (loopback)"
    assert len(_Handler.seen) == before  # refused before connecting


# --- size caps ---------------------------------------------------------------------------


async def test_declared_length_over_the_cap_is_refused(
    fetcher: ImageFetcher, base_url: str
) -> None:
    message = await _rejected(fetcher, base_url + "/big.png")
    assert message == f"{FIELD}: image is 195.3 KB, larger than the limit of 48.8 KB"


@pytest.mark.parametrize("path", ["/endless-nolength.png", "/endless-chunked.png"])
async def test_body_without_length_is_capped_while_streaming(
    fetcher: ImageFetcher, base_url: str, path: str
) -> None:
    # The server would send 256 MiB: ending quickly with this message proves the cap is
    # enforced as bytes arrive, not after the body is complete.
    started = time.monotonic()
    message = await _rejected(fetcher, base_url + path)
    assert message == f"{FIELD}: image is larger than the limit of 48.8 KB"
    assert time.monotonic() - started < 2.0


async def test_default_cap_is_ten_megabytes(base_url: str) -> None:
    fetcher = _fetcher(max_bytes=10 * 1024 * 1024)
    try:
        message = await _rejected(fetcher, base_url + "/huge-declared.png")
    finally:
        await fetcher.aclose()
    assert message == f"{FIELD}: image is 20 MB, larger than the limit of 10 MB"


async def test_small_caps_are_named_in_bytes(base_url: str) -> None:
    fetcher = _fetcher(max_bytes=100)
    try:
        message = await _rejected(fetcher, base_url + "/img.png")
    finally:
        await fetcher.aclose()
    assert message == f"{FIELD}: image is {len(PNG)} bytes, larger than the limit of 100 bytes"


# --- types by magic bytes ------------------------------------------------------------------


async def test_text_named_png_is_refused(fetcher: ImageFetcher, base_url: str) -> None:
    message = await _rejected(fetcher, base_url + "/text.png")
    assert message == f"{FIELD}: not a JPEG, PNG or WebP image (found text)"


async def test_html_page_is_refused_from_its_first_bytes(
    fetcher: ImageFetcher, base_url: str
) -> None:
    message = await _rejected(fetcher, base_url + "/page.html")
    assert message == f"{FIELD}: not a JPEG, PNG or WebP image (found an HTML page)"


# --- decompression bombs and broken files --------------------------------------------------


async def test_bomb_under_pillows_limit_is_refused_by_ours(base_url: str) -> None:
    fetcher = _fetcher(max_bytes=10 * 1024 * 1024)
    try:
        started = time.monotonic()
        message = await _rejected(fetcher, base_url + "/bomb8k.png")
        assert time.monotonic() - started < 1.0  # refused from the header, never decoded
    finally:
        await fetcher.aclose()
    assert message == (
        f"{FIELD}: image is 8000x8000 pixels, more than the limit of 40000000 pixels"
    )


async def test_the_same_bomb_is_a_real_image_under_a_higher_limit(base_url: str) -> None:
    # Control for the test above: the file is a valid image, so only our limit refused it.
    fetcher = _fetcher(max_bytes=10 * 1024 * 1024, max_pixels=64_000_000)
    try:
        image = await fetcher.fetch(base_url + "/bomb8k.png", FIELD)
    finally:
        await fetcher.aclose()
    assert (image.width, image.height, image.mime_type) == (8000, 8000, "image/png")


async def test_huge_bomb_is_refused(base_url: str) -> None:
    fetcher = _fetcher(max_bytes=10 * 1024 * 1024)
    try:
        message = await _rejected(fetcher, base_url + "/bomb20k.png")
    finally:
        await fetcher.aclose()
    assert message.startswith(f"{FIELD}: image ")
    assert "more than the limit of 40000000 pixels" in message


async def test_small_pixel_limit_refuses_an_ordinary_image(base_url: str) -> None:
    fetcher = _fetcher(max_pixels=1000)
    try:
        message = await _rejected(fetcher, base_url + "/img.png")
    finally:
        await fetcher.aclose()
    assert message == f"{FIELD}: image is 64x48 pixels, more than the limit of 1000 pixels"


@pytest.mark.parametrize("path", ["/truncated.png", "/truncated.jpg"])
async def test_truncated_images_are_refused(
    fetcher: ImageFetcher, base_url: str, path: str
) -> None:
    message = await _rejected(fetcher, base_url + path)
    assert message.startswith(f"{FIELD}: image is corrupt or truncated")


# --- redirects -------------------------------------------------------------------------------


async def test_redirect_chain_is_followed(fetcher: ImageFetcher, base_url: str) -> None:
    before = len(_Handler.seen)
    image = await fetcher.fetch(base_url + "/redirect/5", FIELD)
    assert image.data == PNG
    assert _Handler.seen[before:] == [
        "/redirect/5",
        "/redirect/4",
        "/redirect/3",
        "/redirect/2",
        "/redirect/1",
        "/img.png",
    ]


async def test_more_than_five_redirects_are_refused(fetcher: ImageFetcher, base_url: str) -> None:
    message = await _rejected(fetcher, base_url + "/redirect/6")
    assert message == f"{FIELD}: too many redirects (more than 5)"


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        (
            "/to-private",
            "redirected to http://10.0.0.1/x.png: address 10.0.0.1 is not allowed (private)",
        ),
        (
            "/to-metadata",
            "redirected to http://169.254.169.254/latest/meta-data/: "
            "address 169.254.169.254 is not allowed (link-local, cloud metadata)",
        ),
        ("/to-ftp", "scheme 'ftp' is not allowed"),
    ],
)
async def test_redirect_to_a_refused_url_is_refused_without_connecting(
    base_url: str, path: str, problem: str
) -> None:
    requested: list[str] = []

    async def record(request: httpx.Request) -> None:
        requested.append(str(request.url))

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as client:
        fetcher = _fetcher(client=client)
        message = await _rejected(fetcher, base_url + path)
        await fetcher.aclose()
        assert not client.is_closed  # a client the caller passed in stays the caller's
    assert message.startswith(f"{FIELD}: ")
    assert problem in message
    assert requested == [base_url + path]  # only the first hop ever went out


# --- HTTP errors and timeouts ----------------------------------------------------------------


async def test_http_error_status_is_refused(fetcher: ImageFetcher, base_url: str) -> None:
    assert await _rejected(fetcher, base_url + "/missing") == f"{FIELD}: server answered HTTP 404"


async def test_slow_server_times_out(base_url: str) -> None:
    fetcher = _fetcher(timeout=0.3)
    try:
        message = await _rejected(fetcher, base_url + "/slow")
    finally:
        await fetcher.aclose()
    assert message == f"{FIELD}: timed out after 0.3 s"


async def test_dripping_body_hits_the_total_deadline(base_url: str) -> None:
    fetcher = _fetcher(timeout=0.4)
    try:
        started = time.monotonic()
        message = await _rejected(fetcher, base_url + "/drip.png")
        assert time.monotonic() - started < 1.0
    finally:
        await fetcher.aclose()
    assert message == f"{FIELD}: timed out after 0.4 s"


async def test_connection_refused_is_rejected(fetcher: ImageFetcher) -> None:
    port = free_port()  # nothing listens there (a port of this test process's own block)
    message = await _rejected(fetcher, f"http://127.0.0.1:{port}/img.png")
    assert message.startswith(f"{FIELD}: could not connect to the server")


async def test_a_fields_own_limit_below_the_cap_holds_for_downloads(base_url: str) -> None:
    # /big.png declares 200,008 bytes: under this fetcher's cap, over the field's 100 KB.
    fetcher = _fetcher(max_bytes=10 * 1024 * 1024)
    try:
        with pytest.raises(InputRejected) as caught:
            await fetcher.fetch(base_url + "/big.png", FIELD, max_bytes=100 * 1024)
    finally:
        await fetcher.aclose()
    assert str(caught.value) == f"{FIELD}: image is 195.3 KB, larger than the limit of 100 KB"


async def test_a_fields_own_limit_above_the_cap_does_not_lift_it(base_url: str) -> None:
    fetcher = _fetcher(max_bytes=100)  # the operator's cap, under the field's 30 MB
    try:
        with pytest.raises(InputRejected) as caught:
            await fetcher.fetch(base_url + "/img.png", FIELD, max_bytes=30 * 1024 * 1024)
    finally:
        await fetcher.aclose()
    assert "larger than the limit of 100 bytes" in str(caught.value)


# --- local reader ------------------------------------------------------------------------------


def _reader(files: dict[str, bytes], calls: list[str]) -> Callable[[str], Awaitable[bytes | None]]:
    async def read(url: str) -> bytes | None:
        calls.append(url)
        return files.get(url)

    return read


async def test_local_reader_short_circuits_the_network() -> None:
    own = "https://imagegate.invalid/files/out/a.png?expires=1&sig=x"
    calls: list[str] = []
    # No allow-list and a host that does not resolve: any network path would be refused.
    fetcher = _fetcher(UrlPolicy(), local_reader=_reader({own: WEBP}, calls))
    try:
        image = await fetcher.fetch(own, FIELD)
    finally:
        await fetcher.aclose()
    assert calls == [own]
    assert (image.url, image.data, image.mime_type, image.width) == (own, WEBP, "image/webp", 64)


async def test_local_reader_none_falls_back_to_http(base_url: str) -> None:
    calls: list[str] = []
    fetcher = _fetcher(local_reader=_reader({}, calls))
    try:
        image = await fetcher.fetch(base_url + "/img.jpg", FIELD)
    finally:
        await fetcher.aclose()
    assert calls == [base_url + "/img.jpg"]
    assert image.mime_type == "image/jpeg"


@pytest.mark.parametrize(
    ("cap", "field_limit", "limit"),
    [(10 * 1024 * 1024, 100, "100 bytes"), (100, 10 * 1024 * 1024, "100 bytes")],
    ids=["the field's limit", "the operator's cap"],
)
async def test_local_bytes_are_held_to_the_byte_limit(
    cap: int, field_limit: int, limit: str
) -> None:
    # An upload may be larger than an input may be (issue 20: a 15 MB upload was reframed).
    own = "https://imagegate.invalid/files/uploads/a.png?expires=1&sig=x"
    fetcher = _fetcher(UrlPolicy(), max_bytes=cap, local_reader=_reader({own: PNG}, []))
    try:
        with pytest.raises(InputRejected) as caught:
            await fetcher.fetch(own, FIELD, max_bytes=field_limit)
    finally:
        await fetcher.aclose()
    message = f"{FIELD}: image is {len(PNG)} bytes, larger than the limit of {limit}"
    assert str(caught.value) == message


async def test_an_own_link_that_cannot_be_used_is_rejected_without_the_network() -> None:
    own = "https://imagegate.invalid/files/out/a.png?expires=1&sig=x"

    async def refuse(url: str) -> bytes | None:
        raise OwnLinkRefused("has expired (ask for a fresh link)")

    fetcher = _fetcher(UrlPolicy(), local_reader=refuse)
    try:
        message = await _rejected(fetcher, own)
    finally:
        await fetcher.aclose()
    assert message == f"{FIELD}: this server's file link has expired (ask for a fresh link)"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (TEXT, "not a JPEG, PNG or WebP image (found text)"),
        (b"GIF89a" + b"\x00" * 20, "not a JPEG, PNG or WebP image (found a GIF image)"),
        (BOMB_8K, "image is 8000x8000 pixels, more than the limit of 40000000 pixels"),
        (TRUNCATED_PNG, "image is corrupt or truncated"),
    ],
)
async def test_local_bytes_get_the_same_checks(data: bytes, problem: str) -> None:
    own = "https://imagegate.invalid/files/x"
    fetcher = _fetcher(UrlPolicy(), local_reader=_reader({own: data}, []))
    try:
        message = await _rejected(fetcher, own)
    finally:
        await fetcher.aclose()
    assert message.startswith(f"{FIELD}: {problem}")


async def test_aclose_closes_the_fetchers_own_client() -> None:
    fetcher = _fetcher()
    await fetcher.aclose()
    with pytest.raises(RuntimeError):
        await fetcher.fetch("http://127.0.0.1:9/x.png", FIELD)
