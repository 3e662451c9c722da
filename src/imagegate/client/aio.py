"""``AsyncClient``: the asyncio shell over the core; it only sends requests and sleeps."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx

from imagegate.client import core
from imagegate.client.errors import (
    APIError,
    EventsUnavailable,
    TaskFailed,
    TransportError,
    WaitTimeout,
)
from imagegate.client.images import ImageInput, LocalImage, prepare_image
from imagegate.client.settings import ClientSettings, resolve_settings
from imagegate.client.task import Task

T = TypeVar("T")
DEFAULT_WAIT_TIMEOUT = 600.0


class AsyncClient:
    """An asyncio client for imagegate or Kie.ai: the calls of ``Client``, awaited.

    Arguments left out come from the environment (``IMAGEGATE_BASE_URL``,
    ``IMAGEGATE_UPLOAD_BASE_URL``, ``IMAGEGATE_API_KEY`` or ``KIE_API_KEY``). ``transport``
    replaces httpx's network transport (tests, proxies); ``sleep`` and ``clock`` replace
    ``asyncio.sleep`` and ``time.monotonic`` for the waits and retries. ``settings`` (e.g.
    ``ClientSettings.from_env()``) replaces the environment; arguments given still win.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        upload_base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        settings: ClientSettings | None = None,
    ) -> None:
        if settings is None:
            settings = resolve_settings(
                base_url=base_url, api_key=api_key, upload_base_url=upload_base_url,
                timeout=timeout, max_retries=max_retries,
            )
        else:
            settings = dataclasses.replace(settings, **core.given(
                base_url=base_url, api_key=api_key, upload_base_url=upload_base_url,
                timeout=timeout, max_retries=max_retries,
            ))
        self.settings = settings
        self.retry = core.RetryPolicy(max_retries=self.settings.max_retries)
        self._http = httpx.AsyncClient(transport=transport, timeout=self.settings.timeout)
        self._sleep = sleep
        self._clock = clock
        self._random = (rng or random.Random()).random

    # -------------------------------------------------------------- lifecycle

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -------------------------------------------------------------- the API

    async def create_task(
        self,
        model: str,
        input: Mapping[str, Any],
        callback_url: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Task:
        """Create a task; the new Task, ``waiting``. Retried safely under one Idempotency-Key
        (a uuid4 unless given), so a lost answer never makes a second paid task."""
        request = core.create_task_request(
            self.settings, model, input, callback_url=callback_url,
            idempotency_key=idempotency_key or core.new_idempotency_key(),
        )
        task_id = core.task_id_of(await self._call(request, core.parse_response))
        return core.created_task(task_id, model)

    async def get_task(self, task_id: str) -> Task:
        """The task as it is now."""
        request = core.get_task_request(self.settings, task_id)
        data = await self._call(request, core.parse_response)
        return Task.from_record(data)

    async def wait(
        self,
        task_id: str | Task,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        *,
        raise_on_failure: bool = True,
        on_update: Callable[[Task], Any] | None = None,
    ) -> Task:
        """Wait until the task is terminal: following its live events where the server offers
        them (``events``), else, or once its stream breaks off, polling on Kie's advised
        schedule (``core.poll_delay``).

        Raises TaskFailed if it failed (unless ``raise_on_failure`` is false) and WaitTimeout
        after ``timeout`` seconds (None: no limit). ``on_update`` sees every event's (or
        poll's) Task (a coroutine function's result is awaited).
        """
        task_id = task_id.task_id if isinstance(task_id, Task) else task_id
        started = self._clock()
        followed = await self._wait_on_events(task_id, started, timeout, on_update)
        if followed is not None and followed.is_terminal:
            if followed.failed and raise_on_failure:
                raise TaskFailed(followed)
            return followed
        while True:
            task = await self.get_task(task_id)
            if on_update is not None:
                seen = on_update(task)
                if inspect.isawaitable(seen):
                    await seen
            if task.is_terminal:
                if task.failed and raise_on_failure:
                    raise TaskFailed(task)
                return task
            elapsed = self._clock() - started
            delay = core.poll_delay(elapsed)
            if timeout is not None:
                if elapsed >= timeout:
                    raise WaitTimeout(task, timeout)
                delay = min(delay, timeout - elapsed)
            await self._sleep(delay)

    async def events(
        self, task: str | Task, *, last_event_id: str | None = None
    ) -> AsyncIterator[core.TaskEvent]:
        """The task's live events, as ``Client.events`` gives them, iterated with
        ``async for``; resumed after a break, up to ``max_retries`` times in a row."""
        task_id = task.task_id if isinstance(task, Task) else task
        parser = core.EventParser(last_id=last_event_id)
        attempt = 0
        while True:
            try:
                async for event in self._follow(task_id, parser, core.READ_TIMEOUT):
                    attempt = 0
                    yield event
                    if event.is_final:
                        return
                broke = "the stream ended before the task's record"
            except TransportError as exc:
                broke = str(exc)
            if attempt >= self.retry.max_retries:
                raise EventsUnavailable(f"task {task_id}'s event stream broke off: {broke}")
            await self._sleep(core.backoff_delay(self.retry, attempt, self._random))
            attempt += 1

    async def _follow(
        self, task_id: str, parser: core.EventParser, read_timeout: float
    ) -> AsyncIterator[core.TaskEvent]:
        """One connection to the task's stream, its events until it ends."""
        request = core.events_request(self.settings, task_id, parser.last_id)
        timeout = httpx.Timeout(self.settings.timeout, read=read_timeout)
        try:
            async with self._http.stream(
                request.method, request.url, headers=dict(request.headers),
                params=request.params, timeout=timeout,
            ) as response:
                if not response.headers.get("content-type", "").startswith(
                    "text/event-stream"
                ) or response.status_code != 200:
                    await response.aread()
                    core.check_stream(response.status_code, response.headers, response.content)
                async for line in response.aiter_lines():
                    event = parser.feed(line)
                    if event is not None:
                        yield event
        except httpx.TransportError as exc:
            raise TransportError(f"GET {request.url}: {exc!r}") from exc

    async def _wait_on_events(
        self, task_id: str, started: float, timeout: float | None,
        on_update: Callable[[Task], Any] | None,
    ) -> Task | None:
        """``Client._wait_on_events``, awaited."""
        parser = core.EventParser()
        task: Task | None = None
        for attempt in range(self.retry.max_retries + 1):
            read = core.READ_TIMEOUT
            if timeout is not None:
                read = min(read, max(timeout - (self._clock() - started), 0.0) + 0.5)
            try:
                async for event in self._follow(task_id, parser, read):
                    task = core.task_after(event, task)
                    if on_update is not None:
                        seen = on_update(task)
                        if inspect.isawaitable(seen):
                            await seen
                    if event.is_final:  # (a final state comes just before its record)
                        return task
                    if timeout is not None and self._clock() - started >= timeout:
                        raise WaitTimeout(task, timeout)
            except TransportError:
                pass  # broken off: resumed after the last event seen
            except (APIError, EventsUnavailable):
                return task  # no stream offered, or a refusal: polling takes over
            if timeout is not None and self._clock() - started >= timeout:
                break
            await self._sleep(core.backoff_delay(self.retry, attempt, self._random))
        return task

    async def run(
        self,
        model: str,
        input: Mapping[str, Any],
        *,
        callback_url: str | None = None,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        idempotency_key: str | None = None,
    ) -> Task:
        """Create a task and wait for it; the finished Task (TaskFailed if it failed)."""
        task = await self.create_task(model, input, callback_url, idempotency_key=idempotency_key)
        return await self.wait(task, timeout)

    async def credits(self) -> float:
        """The account's remaining credits."""
        return core.credits_of(await self._call(core.credits_request(self.settings),
                                          core.parse_response))

    async def upload(
        self,
        file: str | Path | bytes | Any,
        *,
        file_name: str | None = None,
        upload_path: str | None = None,
    ) -> core.UploadedFile:
        """Upload a local path, bytes or a PIL image through Kie's stream upload; its
        ``download_url`` is what a task's input takes."""
        local = prepare_image(file)
        if isinstance(local, str):
            raise ValueError("upload() takes local data; pass a URL to a task's input directly")
        request = core.upload_request(
            self.settings, local.data, file_name or local.file_name, local.mime_type,
            upload_path=upload_path,
        )
        return core.uploaded_of(await self._call(request, core.parse_response))

    async def download(self, task: Task | str, dest: str | Path = ".") -> list[Path]:
        """Save a succeeded task's results in the folder ``dest`` as ``<taskId>-<n><ext>``;
        the paths written. A taskId is looked up first; a failed task raises TaskFailed."""
        if isinstance(task, str):
            task = await self.get_task(task)
        core.check_downloadable(task)
        folder = Path(dest)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for index, url in enumerate(task.result_urls):
            request = core.download_request(url)
            data, content_type = await self._call(request, core.parse_download)
            path = folder / core.file_name_for(task.task_id, index, url, content_type)
            path.write_bytes(data)
            written.append(path)
        return written

    # -------------------------------------------------------------- helpers

    async def image_url(self, image: ImageInput) -> str:
        """A URL a task can take: the URL itself, or where local data was uploaded to."""
        prepared = prepare_image(image)
        if isinstance(prepared, LocalImage):
            uploaded = await self.upload(prepared.data, file_name=prepared.file_name)
            return uploaded.download_url
        return prepared

    async def reframe(
        self,
        image: ImageInput,
        size: str,
        *,
        num_images: int | None = None,
        seed: int | None = None,
        rendering_speed: str | None = None,
        style: str | None = None,
        callback_url: str | None = None,
        model: str = core.REFRAME_MODEL,
        **fields: Any,
    ) -> Task:
        """Create a task reframing ``image`` to ``size`` (``landscape_16_9``, ...); the new
        Task (``wait`` for it, or use ``run``). A local image is uploaded first."""
        url = await self.image_url(image)
        input = core.reframe_input(
            url, size, num_images=num_images, seed=seed,
            rendering_speed=rendering_speed, style=style, **fields,
        )
        return await self.create_task(model, input, callback_url)

    async def edit(
        self,
        image: ImageInput,
        prompt: str,
        *,
        model: str = core.EDIT_MODEL,
        callback_url: str | None = None,
        **fields: Any,
    ) -> Task:
        """Create a task editing ``image`` as ``prompt`` says; the new Task. A local image is
        uploaded first and goes to the model's image field."""
        url = await self.image_url(image)
        input = core.edit_input(model, url, prompt, **fields)
        return await self.create_task(model, input, callback_url)

    async def generate(
        self,
        model: str,
        prompt: str,
        *,
        images: Sequence[ImageInput] = (),
        callback_url: str | None = None,
        **fields: Any,
    ) -> Task:
        """Create a task making images from ``prompt`` with ``model``; the new Task.
        ``images`` (uploaded if local) go to the model's image field as references."""
        urls = [await self.image_url(image) for image in images]
        input = core.generate_input(model, prompt, urls, **fields)
        return await self.create_task(model, input, callback_url)

    # -------------------------------------------------------------- sending

    async def _call(
        self, request: core.ApiRequest, parse: Callable[[int, Mapping[str, str], bytes], T]
    ) -> T:
        """Send ``request`` and parse the answer, retrying as the core's policy says."""
        attempt = 0
        while True:
            try:
                response = await self._http.request(
                    request.method, request.url, headers=dict(request.headers),
                    params=request.params, json=request.json, data=request.data,
                    files=request.files,
                )
            except httpx.TransportError as exc:
                delay = core.delay_after_transport_error(
                    self.retry, attempt, request, sent=core.maybe_sent(exc), random=self._random
                )
                if delay is None:
                    raise TransportError(f"{request.method} {request.url}: {exc!r}") from exc
            else:
                try:
                    return parse(response.status_code, response.headers, response.content)
                except APIError as exc:
                    delay = core.delay_after_error(
                        self.retry, attempt, request, exc, self._random
                    )
                    if delay is None:
                        raise
            await self._sleep(delay)
            attempt += 1
