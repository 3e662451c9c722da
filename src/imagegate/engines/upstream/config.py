"""Providers: the upstreams an operator configures, each a named engine that routes may list.

In the TOML file::

    [providers.kie]
    type = "upstream_kie"
    base_url = "https://api.kie.ai"
    api_key_env = "KIE_API_KEY"

    [providers.ideogram]
    type = "upstream_ideogram"
    api_key_env = "IDEOGRAM_API_KEY"

    [routes]
    "ideogram/v3-reframe" = ["ideogram", "kie", "classic"]

An ``upstream_kie`` provider may also pass through the models the catalog does not know
(``pass_through = true``, priced by ``pass_through_price_credits``; see
``engines/upstream/pass_through.py``). That is off by default and refused on other types.

or as JSON in ``IMAGEGATE_PROVIDERS``. A provider's name is the engine name routes use; the key
is given inline (``api_key``) or, better, by the name of the environment variable that holds
it (``api_key_env``), so the file can be shared without the secret.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from imagegate.catalog.pricing import credits_to_milli
from imagegate.client.settings import KIE_BASE_URL, KIE_UPLOAD_BASE_URL

IDEOGRAM_BASE_URL = "https://api.ideogram.ai"
_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")


class _Provider(BaseModel):
    """What every upstream has: where it is, the operator's key, and how patient to be."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str
    # The operator's key for the upstream, inline or (preferred) by environment variable name.
    api_key: str = Field(default="", repr=False)
    api_key_env: str = ""
    # One HTTP request's limit, connect to last byte.
    timeout_seconds: float = Field(default=60.0, gt=0)
    # Repeats of a request that failed in a way a repeat can fix (5xx, a broken connection),
    # on the same upstream, before the router moves on to the route's next engine.
    retries: int = Field(default=1, ge=0, le=10)
    # The longest Retry-After of a 429 worth waiting for; a longer one fails over at once.
    patience_seconds: float = Field(default=30.0, ge=0)
    # Result files larger than this are refused (a result is an image, not a video).
    max_result_bytes: int = Field(default=50 * 1024 * 1024, gt=0)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"must be an http(s) URL, not {value!r}")
        return value.rstrip("/")

    def key(self) -> str:
        """The API key: ``api_key``, else the variable ``api_key_env`` names (which must be
        set: a provider configured without its key would fail every task with 401)."""
        if self.api_key:
            return self.api_key
        if self.api_key_env:
            value = os.environ.get(self.api_key_env, "")
            if not value:
                raise ValueError(f"api_key_env names {self.api_key_env!r}, which is not set")
            return value
        raise ValueError("needs api_key or api_key_env")


class KieProvider(_Provider):
    """A Kie-compatible jobs API: Kie.ai, a reseller such as spec 001's, or an imagegate."""

    type: Literal["upstream_kie"]
    base_url: str = KIE_BASE_URL
    # Kie serves uploads on another host; empty means Kie's own for Kie.ai, else base_url.
    upload_base_url: str = ""
    # The catalog models the upstream sells; empty means every jobs-API model.
    models: tuple[str, ...] = ()
    # "always": input images are uploaded to the upstream's file API first, so the upstream
    # never has to reach imagegate; "never": the task's own URLs are passed on (imagegate has
    # a public URL, or the inputs were public links to begin with).
    upload_inputs: Literal["always", "never"] = "always"
    # How long an upstream task may take before it counts as lost and the route moves on.
    max_wait_seconds: float = Field(default=900.0, gt=0)
    # Multiplies Kie's advised polling schedule (2.5 s, then 5-10 s, then 15-30 s).
    poll_scale: float = Field(default=1.0, gt=0, le=10)
    # Ask the upstream to call back (needs imagegate's public_url); polling goes on, slower,
    # in case a callback is lost.
    callbacks: bool = False
    # Models the catalog does not know are forwarded to this upstream as sent (input untouched,
    # results re-hosted); off by default, so an unknown model stays a 422.
    pass_through: bool = False
    # What such a task costs: "fixed" charges pass_through_price_credits; "upstream" holds
    # pass_through_price_credits at create and settles to the cost the upstream reports for
    # the task when it succeeds (never more than the hold).
    pass_through_price: Literal["fixed", "upstream"] = "fixed"
    pass_through_price_credits: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _priced_pass_through(self) -> KieProvider:
        # No default price: a forgotten one would hand out an upstream's models for free.
        if self.pass_through and self.pass_through_price_credits is None:
            raise ValueError(
                "pass_through_price_credits: is required with pass_through = true (the credits"
                " a task of an uncatalogued model costs, or with pass_through_price ="
                ' "upstream" the most it may cost)'
            )
        return self

    @property
    def pass_through_milli(self) -> int | None:
        """The millicredits a pass-through task is charged at create (None: pass-through off)."""
        if not self.pass_through or self.pass_through_price_credits is None:
            return None
        return credits_to_milli(self.pass_through_price_credits)

    @field_validator("upload_base_url")
    @classmethod
    def _upload_url(cls, value: str) -> str:
        return cls._http_url(value) if value else ""

    @property
    def uploads_at(self) -> str:
        if self.upload_base_url:
            return self.upload_base_url
        return KIE_UPLOAD_BASE_URL if self.base_url == KIE_BASE_URL else self.base_url


class IdeogramProvider(_Provider):
    """Ideogram's own API, for ``ideogram/v3-reframe``."""

    type: Literal["upstream_ideogram"]
    base_url: str = IDEOGRAM_BASE_URL
    # "v3": POST /v1/ideogram-v3/reframe; "legacy": POST /reframe with the V_2 models.
    endpoint: Literal["v3", "legacy"] = "v3"
    # Ideogram answers synchronously: one request runs the whole generation.
    timeout_seconds: float = Field(default=180.0, gt=0)


Provider = Annotated[KieProvider | IdeogramProvider, Field(discriminator="type")]
_PROVIDER = TypeAdapter(Provider)
PROVIDER_TYPES = ("upstream_kie", "upstream_ideogram")


def _problem(error: Any) -> str:
    """One validation error as ``field: message``; a check across fields (a model validator,
    no location) names its field in its own message."""
    where = ".".join(str(part) for part in error["loc"][1:])
    if not where:
        return str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {error['msg']}"


def parse_providers(
    raw: Mapping[str, Mapping[str, Any]], reserved: tuple[str, ...] = ()
) -> dict[str, KieProvider | IdeogramProvider]:
    """The ``providers`` setting checked: each name usable as an engine name (not one of the
    built-in engines, ``reserved``), each table a known ``type`` with valid fields and a key.
    Raises ValueError naming the provider and the field at fault."""
    providers: dict[str, KieProvider | IdeogramProvider] = {}
    for name, table in raw.items():
        if not _NAME.fullmatch(name):
            raise ValueError(
                f"providers: name {name!r} must be lower-case letters, digits, '_' or '-',"
                " starting with a letter"
            )
        if name in reserved:
            raise ValueError(f"providers: {name!r} is a built-in engine's name; choose another")
        if not isinstance(table, Mapping) or table.get("type") not in PROVIDER_TYPES:
            got = table.get("type") if isinstance(table, Mapping) else table
            raise ValueError(
                f"providers.{name}.type: must be one of {', '.join(PROVIDER_TYPES)}, not {got!r}"
            )
        passing = sorted(field for field in table if str(field).startswith("pass_through"))
        if passing and table.get("type") != "upstream_kie":
            raise ValueError(
                f"providers.{name}.{passing[0]}: only an upstream_kie provider can pass"
                f" uncatalogued models through; {name!r} is {table.get('type')}"
            )
        try:
            provider = _PROVIDER.validate_python(dict(table))
        except ValidationError as exc:
            problems = "; ".join(_problem(err) for err in exc.errors())
            raise ValueError(f"providers.{name}: {problems}") from None
        try:
            provider.key()
        except ValueError as exc:
            raise ValueError(f"providers.{name}: {exc}") from None
        providers[name] = provider
    return providers
