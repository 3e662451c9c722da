"""``upstream_kie``: a model served by a Kie-compatible jobs API (Kie.ai, a reseller, another
imagegate), with the operator's key.

One task upstream per imagegate task: input images uploaded to the upstream's file API (unless
configured off), ``createTask`` under an Idempotency-Key made from imagegate's task id (an
upstream that honours it — imagegate does — answers a worker's retry after a crash with the
same task instead of a second paid one), ``recordInfo`` polled on Kie's advised schedule (cut
short by the upstream's callback when imagegate has a public URL), and the result links
downloaded, because they expire. Requests are built and answers parsed by the Python client's
pure core (``imagegate.client.core``): one reading of Kie's wire shapes in the code base.
With ``pass_through`` on, it also serves the models the catalog does not know (pass_through.py).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx

from imagegate.catalog import get_model
from imagegate.client import core
from imagegate.client.errors import APIError, ProtocolError, RateLimitError
from imagegate.client.settings import ClientSettings
from imagegate.client.task import Task as UpstreamTask
from imagegate.engines.base import EngineJob, OutputImage, SourceImage
from imagegate.engines.upstream import failures
from imagegate.engines.upstream.config import KieProvider
from imagegate.engines.upstream.events import UpstreamEvents, Watch
from imagegate.engines.upstream.kie_surfaces import JOBS_V1, Surface, surface_of
from imagegate.engines.upstream.pass_through import reported_cost_milli
from imagegate.engines.upstream.patience import RateLimitWaits
from imagegate.engines.upstream.results import ResultDownloader
from imagegate.engines.upstream.sizes import fit, kie_image_size
from imagegate.errors import EngineUnavailable, GenerationFailed
from imagegate.outbound import UrlPolicy, outbound_client

log = logging.getLogger(__name__)
T = TypeVar("T")

UPLOAD_PATH = "imagegate"


def _present(input: Mapping[str, Any]) -> dict[str, Any]:
    """The input without the fields left empty: an upstream applies its own defaults."""
    return {name: value for name, value in input.items() if value is not None}


def callback_path(provider: str) -> str:
    """Where a provider's callbacks arrive (``api/upstream.py`` serves it)."""
    return f"/api/upstream/{provider}/callback"


class KieUpstream:
    """An engine over one Kie-compatible upstream."""

    def __init__(
        self,
        name: str,
        provider: KieProvider,
        *,
        policy: UrlPolicy,
        events: UpstreamEvents,
        public_url: str = "",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.provider = provider
        self.events = events
        self.settings = ClientSettings(
            base_url=provider.base_url, api_key=provider.key(),
            upload_base_url=provider.uploads_at, timeout=provider.timeout_seconds,
            max_retries=provider.retries, upload_path=UPLOAD_PATH,
        )
        self.callback_url = (
            f"{public_url.rstrip('/')}{callback_path(name)}?token={events.token(name)}"
            if provider.callbacks and public_url else None
        )
        self._http = httpx.AsyncClient(
            transport=transport, timeout=provider.timeout_seconds, trust_env=False
        )
        self._downloader = ResultDownloader(
            outbound_client(), policy, provider.timeout_seconds, provider.max_result_bytes
        )
        self._policy = core.RetryPolicy(max_retries=provider.retries)
        self._random = random.Random().random

    def supports(self, model: str) -> bool:
        if get_model(model) is None:
            # An uncatalogued model: only where the operator turned pass-through on.
            return self.provider.pass_through
        if self.provider.models:
            return model in self.provider.models
        return True

    def pass_through_price(self, model: str) -> int | None:
        """The millicredits a task of uncatalogued ``model`` is charged at create when this
        upstream heads its route (engines/routing.py); None when it does not take the model."""
        if get_model(model) is not None:
            return None
        return self.provider.pass_through_milli

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._downloader.aclose()

    async def run(self, job: EngineJob) -> list[OutputImage]:
        spec = get_model(job.model)
        if spec is None and not self.provider.pass_through:  # supports() said no
            raise GenerationFailed(f"upstream {self.name}: unknown model {job.model}")
        upstream_input = dict(job.input)
        # An uncatalogued model's input (pass_through.py) goes up as sent: no size to map.
        fit_to = None if spec is None else self._sizes(upstream_input, spec.size_field)
        if self.provider.upload_inputs == "always":
            for field, sources in job.images.items():
                urls = [
                    await self._upload(source, job.task_id, i) for i, source in enumerate(sources)
                ]
                if field in upstream_input:
                    value = upstream_input[field]
                    upstream_input[field] = urls if isinstance(value, list) else urls[0]
        # Kie's jobs API takes any model; an uncatalogued one goes there with its fields as
        # sent, empty ones included (the upstream's defaults are its own business then).
        surface = JOBS_V1 if spec is None else surface_of(job.model)
        sent = upstream_input if spec is None else _present(upstream_input)
        request = surface.create(
            self.settings, job.model, sent, callback_url=self.callback_url,
            idempotency_key=f"imagegate-{job.task_id}",
        )
        created = await self._call(surface.create_name, request, core.parse_response)
        try:
            upstream_id = core.task_id_of(created)
        except ProtocolError as exc:
            raise failures.malformed(self.name, surface.create_name, exc) from exc
        log.info("task %s: upstream %s task %s", job.task_id, self.name, upstream_id)
        with self.events.watching(self.name, upstream_id) as watch:
            finished = await self._follow(surface, upstream_id, watch, job.report_progress)
        if finished.failed:
            raise failures.task_failed(
                self.name, upstream_id, finished.fail_code, finished.fail_msg
            )
        images = await self._downloader.fetch_all(self.name, upstream_id, finished.result_urls)
        if fit_to is not None:
            size = fit_to
            images = [await asyncio.to_thread(fit, image, size) for image in images]
        if spec is None and self.provider.pass_through_price == "upstream":
            # Last, so that only the engine whose images the task keeps reports its cost.
            cost = reported_cost_milli(finished.raw)
            if cost is not None:
                job.report_cost(cost)
        return images

    # ---------------------------------------------------------------- steps

    @staticmethod
    def _sizes(upstream_input: dict[str, Any], size_field: str) -> tuple[int, int] | None:
        """Kie's catalog takes named presets only: an Ideogram "WxH" size (from imagegate's
        Ideogram endpoints) goes up as the nearest preset, the result fitted to it after."""
        value = upstream_input.get(size_field)
        if not isinstance(value, str) or "x" not in value:
            return None
        try:
            preset, exact = kie_image_size(value)
        except ValueError:
            return None
        upstream_input[size_field] = preset
        return exact

    async def _upload(self, image: SourceImage, task_id: str, index: int) -> str:
        extension = image.mime_type.rsplit("/", 1)[-1].replace("jpeg", "jpg")
        request = core.upload_request(
            self.settings, image.data, f"{task_id}-{index}.{extension}", image.mime_type,
        )
        data = await self._call("file-stream-upload", request, core.parse_response)
        try:
            return core.uploaded_of(data).download_url
        except ProtocolError as exc:
            raise failures.malformed(self.name, "file-stream-upload", exc) from exc

    async def _follow(
        self, surface: Surface, upstream_id: str, watch: Watch, report: Callable[[int], None]
    ) -> UpstreamTask:
        """Poll until the upstream task ends, or ``max_wait_seconds`` pass."""
        started = time.monotonic()
        limit = self.provider.max_wait_seconds
        while True:
            request = surface.record(self.settings, upstream_id)
            data = await self._call(surface.record_name, request, core.parse_response)
            try:
                task = surface.read(data)
            except ProtocolError as exc:
                raise failures.malformed(self.name, surface.record_name, exc) from exc
            if task.progress is not None:
                report(max(0, min(100, task.progress)))
            if task.is_terminal:
                return task
            elapsed = time.monotonic() - started
            if elapsed >= limit:
                raise EngineUnavailable(
                    f"upstream {self.name}: task {upstream_id} still {task.state.value} after"
                    f" {limit:g} s (max_wait_seconds); given up"
                )
            delay = core.poll_delay(elapsed) * self.provider.poll_scale
            if self.callback_url is not None:
                delay *= 2  # the callback is the fast path; polling only covers a lost one
            await watch.sleep(min(delay, limit - elapsed))

    async def _call(
        self,
        what: str,
        request: core.ApiRequest,
        parse: Callable[[int, Mapping[str, str], bytes], T],
    ) -> T:
        """Send ``request``; repeat it where a repeat is safe and may help (a 429 within the
        patience, 5xx or a broken connection up to ``retries`` times); otherwise raise the
        TaskError that says what the upstream did."""
        attempt = 0
        waits = RateLimitWaits(self.provider.patience_seconds)
        while True:
            timeout = self.provider.timeout_seconds
            try:
                # httpx's timeout is per phase; this bounds the whole exchange, so an upstream
                # dripping bytes cannot hold a task past timeout_seconds.
                async with asyncio.timeout(timeout):
                    response = await self._http.request(
                        request.method, request.url, headers=dict(request.headers),
                        params=request.params, json=request.json, data=request.data,
                        files=request.files,
                    )
            except (httpx.TransportError, TimeoutError) as exc:
                # A request that timed out may have reached the upstream: only an idempotent
                # one is repeated (core's rule for any sent request).
                sent = isinstance(exc, TimeoutError) or core.maybe_sent(exc)
                delay = core.delay_after_transport_error(
                    self._policy, attempt, request, sent=sent, random=self._random,
                )
                if delay is None:
                    if isinstance(exc, TimeoutError | httpx.TimeoutException):
                        raise failures.timed_out(self.name, what, timeout) from exc
                    raise failures.unreachable(self.name, f"{what}: {exc!r}") from exc
            else:
                try:
                    return parse(response.status_code, response.headers, response.content)
                except RateLimitError as exc:
                    wait = waits.next(exc.retry_after)
                    if wait is None:
                        raise failures.from_api_error(
                            self.name, what, exc, patience=waits.patience
                        ) from exc
                    log.info("upstream %s: %s rate-limited; waiting %.1f s", self.name, what, wait)
                    await asyncio.sleep(wait)
                    continue
                except APIError as exc:
                    delay = core.delay_after_error(
                        self._policy, attempt, request, exc, self._random
                    )
                    if delay is None:
                        raise failures.from_api_error(
                            self.name, what, exc, patience=self.provider.patience_seconds
                        ) from exc
                except ProtocolError as exc:
                    raise failures.malformed(self.name, what, exc) from exc
            await asyncio.sleep(delay)
            attempt += 1
