"""A real S3-compatible server on loopback for the tests: moto's server, in a thread.

``with S3Server() as s3: ...`` serves on 127.0.0.1 on a free port until the block ends;
``s3.endpoint_url`` and the dummy credentials ``ACCESS_KEY``/``SECRET_KEY`` point boto3 at it.

moto serves S3's REST API (buckets, objects, Content-Type, errors), but it does not check the
signature or the expiry of presigned URLs: it would serve an expired one. AWS, MinIO and Ceph
answer those with 403 AccessDenied, so this server checks them the way AWS does (SigV4 query
authentication, written out here from the spec rather than with botocore's signer, so that a
URL botocore signed wrongly is caught) before moto sees the request.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from calendar import timegm
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

ACCESS_KEY = "imagegate-test-key"
SECRET_KEY = "imagegate-test-secret"
REGION = "us-east-1"

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
Wsgi = Callable[[Environ, StartResponse], Iterable[bytes]]


def _sign(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _uri_encode(text: str, safe: str = "-_.~") -> str:
    return quote(text, safe=safe)


def presigned_refusal(environ: Environ, secrets: dict[str, str], now: float) -> str | None:
    """Why AWS would refuse this SigV4-presigned request (None: it would accept it)."""
    raw_query = environ.get("QUERY_STRING", "")
    params = dict(parse_qsl(raw_query, keep_blank_values=True))
    if "X-Amz-Signature" not in params:
        return None  # not a presigned request: header-signed calls go to moto as they are
    try:
        algorithm = params["X-Amz-Algorithm"]
        access_key, date, region, service, terminator = params["X-Amz-Credential"].split("/")
        amz_date = params["X-Amz-Date"]
        expires = int(params["X-Amz-Expires"])
        signed_headers = params["X-Amz-SignedHeaders"].split(";")
    except (KeyError, ValueError):
        return "AuthorizationQueryParametersError"
    if algorithm != "AWS4-HMAC-SHA256" or terminator != "aws4_request" or service != "s3":
        return "AuthorizationQueryParametersError"
    if access_key not in secrets:
        return "InvalidAccessKeyId"
    signed_at = timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
    if now > signed_at + expires:
        return "Request has expired"
    headers = {"host": environ.get("HTTP_HOST", "")}
    if signed_headers != ["host"]:
        return "AuthorizationQueryParametersError"  # all botocore signs for a plain GET
    query = sorted(
        (_uri_encode(k), _uri_encode(v))
        for k, v in parse_qsl(raw_query, keep_blank_values=True)
        if k != "X-Amz-Signature"
    )
    canonical = "\n".join(
        [
            environ["REQUEST_METHOD"],
            _uri_encode(environ.get("PATH_INFO", "/"), safe="/-_.~"),
            "&".join(f"{k}={v}" for k, v in query),
            "".join(f"{name}:{headers[name].strip()}\n" for name in signed_headers),
            ";".join(signed_headers),
            "UNSIGNED-PAYLOAD",
        ]
    )
    scope = f"{date}/{region}/{service}/{terminator}"
    to_sign = "\n".join(
        [algorithm, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _sign(f"AWS4{secrets[access_key]}".encode(), date)
    for part in (region, service, terminator):
        key = _sign(key, part)
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, params["X-Amz-Signature"]):
        return "SignatureDoesNotMatch"
    return None


def check_presigned(
    app: Wsgi, secrets: dict[str, str], clock: Callable[[], float] = time.time
) -> Wsgi:
    """WSGI middleware: 403 for presigned requests AWS would refuse, the rest to ``app``.
    ``clock`` is the server's time (a test moves it forward instead of sleeping)."""

    def middleware(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        refusal = presigned_refusal(environ, secrets, clock())
        if refusal is None:
            return app(environ, start_response)
        code = "SignatureDoesNotMatch" if refusal == "SignatureDoesNotMatch" else "AccessDenied"
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{refusal}</Message></Error>"
        ).encode()
        start_response(
            "403 Forbidden",
            [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
        )
        return [body]

    return middleware


class S3Server:
    """moto's S3 (and the rest of its AWS) on 127.0.0.1:PORT, a free port, in a thread."""

    access_key_id = ACCESS_KEY
    secret_access_key = SECRET_KEY
    region = REGION

    def __init__(self) -> None:
        # Seconds the presigned-URL check's clock runs ahead of the real one.
        self.skew = 0.0
        # What moto.server.ThreadedMotoServer builds, with the presigned-URL check in front
        # and a listening socket that is closed on stop (ThreadedMotoServer leaves it open).
        app = DomainDispatcherApplication(create_backend_app)
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1",
            0,
            check_presigned(app, {ACCESS_KEY: SECRET_KEY}, lambda: time.time() + self.skew),
            threaded=True,
            request_handler=MotoRequestHandler,
        )
        self.port = int(self._server.server_address[1])
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        # A short poll: shutdown() waits for the loop's next poll (0.5 s by default).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def client(self) -> Any:
        """A boto3 S3 client of this server (path-style, the dummy credentials)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def close(self) -> None:
        """Stop serving, close the socket and forget what was stored (moto keeps it globally)."""
        try:
            httpx.post(f"{self.endpoint_url}/moto-api/reset", timeout=10).raise_for_status()
        finally:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)

    def __enter__(self) -> S3Server:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
