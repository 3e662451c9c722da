"""``upstream_ideogram``: ``ideogram/v3-reframe`` served by Ideogram's own API, with the
operator's key.

Ideogram answers synchronously: one multipart POST carries the input image's bytes (never its
URL: Ideogram takes files) and runs the whole generation; the answer lists the results' links,
which are downloaded at once because they expire (24 hours). The task's input maps as follows.

``endpoint = "v3"`` — ``POST /v1/ideogram-v3/reframe``:

- ``image_url`` → ``image`` (the fetched file); ``image_size`` → ``resolution``, the nearest of
  Ideogram's 69 "WxH" values (exact when the task came through imagegate's Ideogram endpoints);
- ``rendering_speed`` TURBO/BALANCED/QUALITY → TURBO/DEFAULT/QUALITY (BALANCED is Kie's name
  for Ideogram's DEFAULT; FLASH has no counterpart in the catalog);
- ``style`` is not sent. v3 reframe has no ``style_type``: its style fields are
  ``style_preset`` (artistic presets such as "80S_ILLUSTRATION"), ``style_codes`` and
  reference images, none of which means AUTO, GENERAL, REALISTIC or DESIGN. Sending a preset
  would change the result more than leaving the style out, and a reframe's look is set by the
  image it extends anyway. Operators who need ``style`` honoured choose ``endpoint = "legacy"``.

``endpoint = "legacy"`` — ``POST /reframe`` (spec 003): ``image_file``, ``resolution`` as the
enum ``RESOLUTION_W_H``, ``model`` V_2_TURBO for TURBO and V_2 otherwise (V_2 has no quality
tier above the full model), ``style_type`` = ``style``.

Both take ``num_images`` and ``seed``. The request is a paid generation and not idempotent, so
it is repeated only where Ideogram cannot have generated anything: after a 429 (within
``patience_seconds`` in all), a 5xx, or a connection that never opened (up to ``retries``
times) — never after a timeout once the request was sent. Refusals become TaskErrors as
``failures.py`` says: the input's fault (400/413/422, every image flagged unsafe) is final,
everything else lets the route's next engine try.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Mapping
from typing import Any

import httpx

from imagegate.client import core
from imagegate.engines.base import EngineJob, OutputImage
from imagegate.engines.upstream import failures
from imagegate.engines.upstream.config import IdeogramProvider
from imagegate.engines.upstream.patience import RateLimitWaits
from imagegate.engines.upstream.results import ResultDownloader
from imagegate.engines.upstream.sizes import ideogram_resolution
from imagegate.errors import EngineUnavailable, InputRejected, TaskError
from imagegate.outbound import UrlPolicy, outbound_client

log = logging.getLogger(__name__)

MODEL = "ideogram/v3-reframe"
V3_PATH = "/v1/ideogram-v3/reframe"
LEGACY_PATH = "/reframe"
_V3_SPEEDS = {"TURBO": "TURBO", "BALANCED": "DEFAULT", "QUALITY": "QUALITY"}
# Statuses that blame the input: every provider would refuse it the same way.
_INPUT_STATUSES = frozenset({400, 413, 422})


def _said(response: httpx.Response) -> str:
    """What Ideogram said: its ``{"error": ...}`` message, else the body's text."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        for key in ("error", "detail", "message"):
            if body.get(key):
                return failures.clip(str(body[key]))
    return failures.clip(response.text) or "no message"


class IdeogramUpstream:
    """An engine over Ideogram's API for ``ideogram/v3-reframe``."""

    def __init__(
        self,
        name: str,
        provider: IdeogramProvider,
        *,
        policy: UrlPolicy,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.provider = provider
        self._key = provider.key()
        self._http = httpx.AsyncClient(
            transport=transport, timeout=provider.timeout_seconds, trust_env=False
        )
        self._downloader = ResultDownloader(
            outbound_client(), policy, provider.timeout_seconds, provider.max_result_bytes
        )
        self._retry = core.RetryPolicy(max_retries=provider.retries)
        self._random = random.Random().random

    def supports(self, model: str) -> bool:
        return model == MODEL

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._downloader.aclose()

    async def run(self, job: EngineJob) -> list[OutputImage]:
        images = job.images.get("image_url") or ()
        if not images:  # the worker fetches image_url before any engine runs
            raise InputRejected(f"upstream {self.name}: no image_url image to reframe")
        image = images[0]
        path, file_field, fields = self._form(job.input)
        extension = image.mime_type.rsplit("/", 1)[-1].replace("jpeg", "jpg")
        files = {file_field: (f"{job.task_id}.{extension}", image.data, image.mime_type)}
        job.report_progress(10)
        answer = await self._call(path, fields, files)
        job.report_progress(90)
        urls = self._safe_urls(job.task_id, answer)
        return await self._downloader.fetch_all(self.name, job.task_id, urls)

    def _form(self, task_input: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
        """The path, the image's field name and the other form fields for the endpoint."""
        try:
            resolution = ideogram_resolution(str(task_input.get("image_size", "square_hd")))
        except ValueError as exc:  # the catalog validated it; a newer preset we cannot size
            raise InputRejected(f"upstream {self.name}: {exc}") from exc
        speed = str(task_input.get("rendering_speed") or "BALANCED")
        fields = {"num_images": str(int(task_input.get("num_images") or 1))}
        if task_input.get("seed") is not None:
            fields["seed"] = str(int(task_input["seed"]))
        if self.provider.endpoint == "v3":
            fields["resolution"] = resolution
            fields["rendering_speed"] = _V3_SPEEDS.get(speed, "DEFAULT")
            return V3_PATH, "image", fields
        width, height = resolution.split("x")
        fields["resolution"] = f"RESOLUTION_{width}_{height}"
        fields["model"] = "V_2_TURBO" if speed == "TURBO" else "V_2"
        if task_input.get("style") is not None:
            fields["style_type"] = str(task_input["style"])
        return LEGACY_PATH, "image_file", fields

    def _safe_urls(self, task_id: str, answer: Any) -> list[str]:
        """The links of the images Ideogram let through; raise when it let none through."""
        data = answer.get("data") if isinstance(answer, Mapping) else None
        if not isinstance(data, list) or not data or not all(isinstance(d, Mapping) for d in data):
            raise self._malformed(f"no data list: {answer!r:.200}")
        urls: list[str] = []
        for entry in data:
            url = entry.get("url")
            if entry.get("is_image_safe") is False:
                continue  # Ideogram withholds the image: its url is empty
            if not isinstance(url, str) or not url:
                raise self._malformed(f"an image with no url: {entry!r:.200}")
            urls.append(url)
        if not urls:
            # Final: Ideogram's filter judged the input or what it becomes; another provider
            # would most likely see the same image and refuse it as well.
            raise InputRejected(
                f"upstream {self.name}: Ideogram flagged every image unsafe"
                f" ({len(data)} of {len(data)}); none was returned"
            )
        if len(urls) < len(data):
            log.warning(
                "task %s: upstream %s: Ideogram flagged %d of %d images unsafe; returning %d",
                task_id, self.name, len(data) - len(urls), len(data), len(urls),
            )
        return urls

    def _malformed(self, detail: str) -> EngineUnavailable:
        return EngineUnavailable(f"upstream {self.name}: reframe answered malformed data: {detail}")

    async def _call(
        self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
    ) -> Any:
        """POST the form and return the answer's JSON; repeat only where nothing can have been
        generated (see the module docstring), else raise the TaskError for what happened."""
        url = f"{self.provider.base_url}{path}"
        timeout = self.provider.timeout_seconds
        attempt = 0
        waits = RateLimitWaits(self.provider.patience_seconds)
        while True:
            try:
                # httpx's timeout is per phase; this one bounds the whole request, as
                # timeout_seconds promises ("connect to last byte").
                async with asyncio.timeout(timeout):
                    response = await self._http.post(
                        url, data=fields, files=files, headers={"Api-Key": self._key}
                    )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # The connection never opened: nothing reached Ideogram, a repeat is safe.
                if attempt >= self._retry.max_retries:
                    raise self._transport_error(exc, timeout) from exc
                delay = core.backoff_delay(self._retry, attempt, self._random)
            except (httpx.TransportError, TimeoutError) as exc:
                # Sent, perhaps generating (and billed) already: repeating could pay twice.
                raise self._transport_error(exc, timeout) from exc
            else:
                status = response.status_code
                if status == 200:
                    try:
                        return json.loads(response.content)
                    except ValueError as exc:
                        raise self._malformed(
                            f"not JSON ({response.headers.get('content-type', 'no type')}):"
                            f" {failures.clip(response.text, 120)}"
                        ) from exc
                if status == 429:
                    retry_after = core.parse_retry_after(response.headers.get("retry-after"))
                    wait = waits.next(retry_after)
                    if wait is None:
                        raise EngineUnavailable(
                            f"upstream {self.name}: reframe rate-limited (429): Retry-After"
                            f" {waits.wait_for(retry_after):g} s (after {waits.waited:g} s"
                            f" waited) is beyond the patience of {waits.patience:g} s"
                        )
                    log.info("upstream %s: reframe rate-limited; waiting %.1f s", self.name, wait)
                    await asyncio.sleep(wait)
                    continue
                if status < 500 or attempt >= self._retry.max_retries:
                    raise self._refusal(response, attempt)
                delay = core.backoff_delay(self._retry, attempt, self._random)
                log.info("upstream %s: reframe answered %d; repeating", self.name, status)
            await asyncio.sleep(delay)
            attempt += 1

    def _transport_error(self, exc: Exception, timeout: float) -> TaskError:
        if isinstance(exc, httpx.TimeoutException | TimeoutError):
            return failures.timed_out(self.name, "reframe", timeout)
        return failures.unreachable(self.name, f"reframe: {exc!r}")

    def _refusal(self, response: httpx.Response, attempt: int) -> TaskError:
        status = response.status_code
        said = f"{_said(response)} (HTTP {status})"
        if status in _INPUT_STATUSES:
            return InputRejected(f"upstream {self.name}: reframe refused the input: {said}")
        if status in (401, 403):
            return EngineUnavailable(
                f"upstream {self.name}: reframe refused the operator's key: {said}"
            )
        if status == 402:
            return EngineUnavailable(
                f"upstream {self.name}: reframe refused for the operator's balance there: {said}"
            )
        tries = f" after {attempt + 1} tries" if attempt else ""
        return EngineUnavailable(f"upstream {self.name}: reframe failed{tries}: {said}")
