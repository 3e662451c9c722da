"""Where the client connects and with which key: arguments first, then the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
"""``imagegate serve``'s default address."""
KIE_BASE_URL = "https://api.kie.ai"
KIE_UPLOAD_BASE_URL = "https://kieai.redpandaai.co"
"""Kie serves its upload endpoints on a separate host (provider notes)."""
DEFAULT_TIMEOUT = 60.0
DEFAULT_UPLOAD_PATH = "imagegate-client"


@dataclass(frozen=True)
class ClientSettings:
    """The service's base URL, the upload endpoints' base URL (imagegate serves both on one
    host; Kie does not), the API key, the per-request timeout and how many times a call that
    is safe to repeat is retried."""

    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = None
    upload_base_url: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = 3
    upload_path: str = DEFAULT_UPLOAD_PATH

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: Any
    ) -> ClientSettings:
        """Settings from ``overrides`` (the fields by name; None counts as absent), then the
        environment: ``IMAGEGATE_BASE_URL``, ``IMAGEGATE_UPLOAD_BASE_URL``,
        ``IMAGEGATE_API_KEY`` and then ``KIE_API_KEY``."""
        return resolve_settings(environ=environ, **overrides)

    @property
    def uploads_at(self) -> str:
        return (self.upload_base_url or self.base_url).rstrip("/")

    @property
    def api_at(self) -> str:
        return self.base_url.rstrip("/")


def resolve_settings(
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    upload_base_url: str | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
    upload_path: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ClientSettings:
    """Settings from the arguments, falling back to ``IMAGEGATE_BASE_URL``,
    ``IMAGEGATE_UPLOAD_BASE_URL``, ``IMAGEGATE_API_KEY`` and then ``KIE_API_KEY``."""
    env = os.environ if environ is None else environ
    return ClientSettings(
        base_url=base_url or env.get("IMAGEGATE_BASE_URL") or DEFAULT_BASE_URL,
        api_key=api_key or env.get("IMAGEGATE_API_KEY") or env.get("KIE_API_KEY") or None,
        upload_base_url=upload_base_url or env.get("IMAGEGATE_UPLOAD_BASE_URL") or None,
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
        max_retries=3 if max_retries is None else max_retries,
        upload_path=upload_path or DEFAULT_UPLOAD_PATH,
    )
