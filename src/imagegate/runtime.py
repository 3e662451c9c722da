"""The running system: every component built from Settings, started and stopped together.

``imagegate serve`` builds one Runtime and hands it to the HTTP app; tests build one on a
temporary directory. Nothing here runs at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from imagegate import metrics
from imagegate.accounts.keys import (
    AccountRequest,
    KeyCache,
    create_account,
    hash_key,
    new_api_key,
)
from imagegate.api.ratelimit import RateLimits
from imagegate.api.services import JsonView, Services
from imagegate.backend import Backend, Store, open_backend, open_now
from imagegate.callbacks.events import EventCallbacks
from imagegate.callbacks.sender import CallbackSender
from imagegate.db.signals import (
    TASK_EVENTS_CHANNEL,
    TASKS_CHANNEL,
    UPSTREAM_CHANNEL,
    wake_payload,
)
from imagegate.engines.cpu import CpuPools
from imagegate.engines.registry import EngineContext, EngineSet
from imagegate.engines.routing import build_router, pass_through_price
from imagegate.engines.upstream.events import UpstreamEvents
from imagegate.outbound import UrlPolicy
from imagegate.settings import Settings
from imagegate.storage.blobstore import BlobStore
from imagegate.storage.factory import open_blobstore
from imagegate.storage.own_files import read_own_file
from imagegate.storage.urls import UrlSigner
from imagegate.tasks.cancel import CANCEL_CHANNEL
from imagegate.tasks.events import (
    CallbackQueued,
    CancelRequested,
    Event,
    TaskChanged,
    TaskCreated,
    TaskEnded,
)
from imagegate.tasks.files import FileRegistry
from imagegate.tasks.lifecycle import Lifecycle
from imagegate.tasks.outbox import Outbox
from imagegate.tasks.switches import ServiceSwitches
from imagegate.tasks.watch import TaskWatch, WakeRelay
from imagegate.worker.deadlines import DeadlineSweep
from imagegate.worker.fetch import ImageFetcher
from imagegate.worker.identity import WorkerIdentity, claim_identity, recover
from imagegate.worker.janitor import Janitor
from imagegate.worker.loop import Worker
from imagegate.worker.presence import WorkerPresence

log = logging.getLogger(__name__)

ADMIN_KEY_META = "admin_key_hash"
DEFAULT_ACCOUNT = "default"


@dataclass(frozen=True, slots=True)
class FirstStart:
    """Keys made on the very first start, shown once (only their hashes are kept)."""

    admin_key: str | None
    default_key: str | None


class Dispatch:
    """Acts in this process on the events of committed transitions (tasks/events.py): wakes
    the worker, the callback sender and the task's live event streams (here, and through
    NOTIFY in the rest of a fleet), stops an engine whose task was cancelled, counts."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def publish(self, events: Iterable[Event]) -> None:
        for event in events:
            match event:
                case TaskCreated(task):
                    metrics.task_created(task)
                    self.runtime.worker.notify()
                case TaskEnded(claimed, task):
                    metrics.task_finished(claimed, task)
                    self.runtime.task_changed(task.id)
                case TaskChanged(task_id):
                    self.runtime.task_changed(task_id)
                case CallbackQueued():
                    self.runtime.callbacks.notify()
                case CancelRequested(task_id):
                    # A no-op unless this process runs it; else NOTIFY or its heartbeat.
                    self.runtime.worker.cancel(task_id)


class EngineFacts:
    """The API's view of the engines (api/services.py ``Routing``): the router's routes and
    breakers and the upstream providers configured, with nothing that runs an engine. Read
    from the runtime at each call, so a router the runtime swaps in is the one shown."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def can_serve(self, model: str) -> bool:
        return self._runtime.router.can_serve(model)

    def pass_through_price(self, model: str) -> int | None:
        return pass_through_price(self._runtime.router, model)

    def describe(self) -> dict[str, list[str]]:
        return self._runtime.router.describe()

    def breakers(self) -> dict[str, JsonView]:
        return dict(self._runtime.router.breakers())

    def providers(self) -> dict[str, dict[str, str]]:
        return self._runtime.engines.describe_providers()


class UpstreamWakeups:
    """The API's side of an upstream provider's callback (api/services.py
    ``UpstreamCallbacks``): the providers, their callback tokens, and waking the engine that
    follows the task, here or in another process of the fleet."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def knows(self, provider: str) -> bool:
        return provider in self._runtime.engines.providers

    def check(self, provider: str, token: str) -> bool:
        return self._runtime.upstream_events.check(provider, token)

    async def called_back(self, provider: str, upstream_id: str) -> bool:
        return await self._runtime.upstream_called_back(provider, upstream_id)


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data_dir = settings.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.database_url = settings.resolved_database_url
        self.blobs: BlobStore = open_blobstore(settings, self.data_dir)
        self.signer = UrlSigner(self._secret_key(), settings.resolved_public_url)
        self.policy = UrlPolicy(settings.url_allowlist)
        self.cpu = CpuPools(settings.engine_processes)
        self.upstream_events = UpstreamEvents(self._secret_key())
        self.engines = EngineSet(
            EngineContext(settings, self.cpu, self.policy, self.upstream_events)
        )
        self.router = build_router(settings, self.engines)
        self.rate_limits = RateLimits(
            settings.create_rate, settings.query_rate, settings.rate_limit_storage_url
        )
        self.fetcher = ImageFetcher(
            self.policy,
            max_bytes=settings.max_image_bytes,
            max_pixels=settings.max_image_pixels,
            timeout=settings.fetch_timeout_seconds,
            local_reader=self.read_own_file,
        )
        self._listening = contextlib.AsyncExitStack()
        # The live event streams open in this process, by task (tasks/watch.py), and, in a
        # fleet, the NOTIFYs that wake the other processes' streams.
        self.watch = TaskWatch()
        self.relay: WakeRelay | None = None
        self.identity: WorkerIdentity | None = None  # the worker's, once started
        self.backend: Backend | None = None
        # SQLite and the memory store open at once (the embedded server is ready before its
        # loop runs); PostgreSQL in ``open``, on the loop that will use its pool.
        backend = open_now(self.database_url)
        if backend is not None:
            self._wire(backend)

    async def open(self) -> None:
        """Open the database where that needs the event loop (PostgreSQL); idempotent."""
        if self.backend is None:
            self._wire(await open_backend(self.database_url))

    def _wire(self, backend: Backend) -> None:
        """Build everything that keeps rows, over ``backend``."""
        settings = self.settings
        self.backend = backend
        self.db = backend.db
        self.store: Store = backend.store
        self.files: FileRegistry = backend.files
        self.outbox: Outbox = backend.outbox
        self.keys = KeyCache(self.store, backend.api_keys)
        self.api_keys = self.keys.api_keys
        self.switches = ServiceSwitches(self.store)  # maintenance, models turned off
        self.lifecycle = Lifecycle(self.store)
        self.events = Dispatch(self)
        signals = backend.signals
        if signals.crosses_processes:
            self.relay = WakeRelay(lambda payload: signals.notify(TASK_EVENTS_CHANNEL, payload))
        self.callbacks = CallbackSender(
            self.outbox,
            self.policy,
            tasks=self.store,
            url_for=self.signer.url,
            secret_for=self.webhook_secret_for,
            scheme_for=self.webhook_scheme_for,
            timeout=settings.callback_timeout_seconds,
            max_attempts=settings.callback_max_attempts,
            backoff_base=settings.callback_backoff_base_seconds,
            backoff_max=settings.callback_backoff_max_seconds,
            lease_margin=settings.callback_lease_margin_seconds,
        )
        self.task_events = EventCallbacks(self.callbacks)
        self.worker = Worker(
            lifecycle=self.lifecycle,
            events=self.events,
            router=self.router,
            fetcher=self.fetcher,
            blobs=self.blobs,
            concurrency=settings.worker_concurrency,
            lease_seconds=settings.lease_seconds,
            poll_interval=settings.poll_interval_seconds,
            result_retention_ms=int(settings.result_retention_hours * 3_600_000),
            models=settings.worker_models or None,
            task_events=self.task_events,
        )
        self.janitor = Janitor(
            self.files, self.blobs, settings.janitor_interval_seconds,
            forget_keys=self.store.forget_expired_keys,
            tasks=backend.retention,
            task_retention_ms=int(settings.task_retention_days * 86_400_000),
        )
        self.deadlines = DeadlineSweep(
            self.store, self.lifecycle, self.events, settings.deadline_interval_seconds
        )
        # Operations (/readyz, /metrics): the fleet's workers and the queue, as the database
        # sees them; this process's worker announces itself there while it runs.
        self.workers = backend.workers
        self.queue_stats = backend.queue_stats
        self.overview = backend.overview
        self.presence = WorkerPresence(
            self.workers, self.worker.worker_id, concurrency=settings.worker_concurrency,
            models=settings.worker_models or None, interval=settings.worker_heartbeat_seconds,
        )
        self._services = Services(
            settings=settings, store=self.store, api_keys=self.api_keys, keys=self.keys,
            switches=self.switches, lifecycle=self.lifecycle, events=self.events,
            files=self.files, outbox=self.outbox, overview=self.overview,
            queue_stats=self.queue_stats, workers=self.workers, presence=self.presence,
            blobs=self.blobs, signer=self.signer, policy=self.policy,
            rate_limits=self.rate_limits, routing=EngineFacts(self),
            upstreams=UpstreamWakeups(self), admin_key_hash=self.admin_key_hash,
            watch=self.watch,
        )

    @property
    def services(self) -> Services:
        """What the HTTP routes use (api/services.py), once the backend is open."""
        if self.backend is None:
            raise RuntimeError("the database is not open yet: await Runtime.open() (or start())")
        return self._services

    def _secret_key(self) -> bytes:
        if self.settings.secret_key:
            return self.settings.secret_key.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip().encode()

    # -------------------------------------------------------------- lifecycle

    async def first_start(self) -> FirstStart:
        """Make the admin key and a default account on an empty database (each key shown
        once: only its hash is kept). Two processes starting together on an empty PostgreSQL
        may both make a default account; the admin key is the same setting for all of them in
        a fleet (IMAGEGATE_ADMIN_KEY)."""
        await self.open()
        admin_key = None
        if self.settings.admin_key:
            await self.store.set_meta(ADMIN_KEY_META, hash_key(self.settings.admin_key))
        elif await self.store.get_meta(ADMIN_KEY_META) is None:
            admin_key = new_api_key()
            await self.store.set_meta(ADMIN_KEY_META, hash_key(admin_key))
        default_key = None
        if not await self.store.has_accounts():
            request = AccountRequest(DEFAULT_ACCOUNT, self.settings.default_account_credits)
            _, default_key = await create_account(self.store, request)
        return FirstStart(admin_key, default_key)

    async def admin_key_hash(self) -> str | None:
        """The stored hash of the admin key, read at each admin request (they are rare), so
        every process of a fleet sees the same key at once."""
        return await self.store.get_meta(ADMIN_KEY_META)

    async def start(self) -> None:
        await self.open()
        ensure_bucket = getattr(self.blobs, "ensure_bucket", None)
        if ensure_bucket is not None:  # an S3 bucket: made on first start, as the data dir is
            await ensure_bucket()
        assert self.backend is not None  # opened above
        # Every API process hears which tasks changed in the others (their event streams).
        handlers: dict[str, Callable[[str], None]] = {TASK_EVENTS_CHANNEL: self.watch.heard}
        if self.settings.worker_concurrency:
            self.cpu.start()
            # Engines that keep models loaded (diffusers) load them now, before any claim.
            await self.engines.start(self.settings.worker_models)
            # Wake on another process's signal of a task this worker serves, instead of
            # polling for it (PostgreSQL's NOTIFY; nothing to hear on SQLite).
            models = set(self.settings.worker_models)

            def wake(payload: str) -> None:
                model, count = wake_payload(payload)
                if not models or model in models:
                    self.worker.notify(count)

            await self._take_identity()
            handlers |= {
                TASKS_CHANNEL: wake,
                UPSTREAM_CHANNEL: self._upstream_called_back,
                # cancelTask of a generating task, taken by any API process of the fleet.
                CANCEL_CHANNEL: self._cancel_heard,
            }
        # One LISTEN connection for all of them (db/postgres/database.py says why).
        await self._listening.enter_async_context(self.backend.signals.listening_to(handlers))
        self.worker.start()
        if self.settings.worker_concurrency:
            self.presence.start()
        self.callbacks.start()
        self.janitor.start()
        self.deadlines.start()
        log.info("routes: %s", self.router.describe())

    async def stop(self) -> None:
        # SIGTERM: running tasks get the grace period, the rest go back to waiting; then
        # the workers row goes, so /readyz elsewhere stops counting this worker at once.
        await self.worker.stop(self.settings.shutdown_grace_seconds)
        await self.presence.stop()
        if self.identity is not None:
            self.identity.close()  # the id is free for this server's next start
        await self.task_events.stop()
        await self.callbacks.stop()
        await self.janitor.stop()
        await self.deadlines.stop()
        await self.fetcher.aclose()
        await self.engines.aclose()
        if self.relay is not None:
            await self.relay.aclose()
        await self._listening.aclose()
        await asyncio.to_thread(self.cpu.shutdown)
        if self.backend is not None:
            await self.backend.close()

    async def _take_identity(self) -> None:
        """Run the worker under this server's stable id (worker/identity.py), and hand back to
        the queue at once what its previous run, killed, left leased under it."""
        self.identity = claim_identity(self.data_dir, self.settings.worker_id or None)
        self.worker.worker_id = self.identity.id
        self.presence.row = replace(self.presence.row, id=self.identity.id)
        await recover(
            self.identity, self.lifecycle, self.workers, self.settings.worker_heartbeat_seconds
        )

    # -------------------------------------------------------------- wiring

    async def upstream_called_back(self, provider: str, upstream_id: str) -> bool:
        """An upstream's callback reached this process: wake the engine following that task,
        here or (on PostgreSQL) in whichever worker process follows it. Whether one here
        was waiting."""
        assert self.backend is not None  # a callback reaches a started runtime
        await self.backend.signals.notify(UPSTREAM_CHANNEL, f"{provider} {upstream_id}")
        return self.upstream_events.notify(provider, upstream_id)

    def task_changed(self, task_id: str) -> None:
        """A committed move of the task: wake its event streams here and in the fleet."""
        self.watch.changed(task_id)
        if self.relay is not None:
            self.relay.changed(task_id)

    def _cancel_heard(self, task_id: str) -> None:
        self.worker.cancel(task_id)  # a no-op unless this process runs the task

    def _upstream_called_back(self, payload: str) -> None:
        provider, _, upstream_id = payload.partition(" ")
        self.upstream_events.notify(provider, upstream_id)

    async def webhook_scheme_for(self, account_id: str) -> str:
        """How the account's callbacks are signed: "kie" or "standard"."""
        account = await self.store.get_account(account_id)
        return account.webhook_scheme if account else "kie"

    async def webhook_secret_for(self, account_id: str) -> str | None:
        account = await self.store.get_account(account_id)
        return account.webhook_secret if account else None

    async def read_own_file(self, url: str) -> bytes | None:
        """The bytes of a file this server serves under ``url``; None for any other URL;
        OwnLinkRefused for a link of this server's that cannot be used (storage/own_files.py)."""
        return await read_own_file(self.signer, self.blobs, url)

