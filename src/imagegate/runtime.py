"""The running system: every component built from Settings, started and stopped together.

``imagegate serve`` builds one Runtime and hands it to the HTTP app; tests build one on a
temporary directory. Nothing here runs at import time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from dataclasses import dataclass

from imagegate.api.ratelimit import RateLimits
from imagegate.callbacks.outbox import CallbackOutbox
from imagegate.callbacks.sender import CallbackSender
from imagegate.catalog import all_models
from imagegate.engines.base import Engine
from imagegate.engines.cpu import CpuPool
from imagegate.engines.registry import EngineContext, EngineSet
from imagegate.engines.router import Router
from imagegate.engines.upstream.events import UpstreamEvents
from imagegate.outbound import UrlPolicy
from imagegate.settings import Settings
from imagegate.storage.blobstore import BlobNotFound, BlobStore, LocalBlobStore
from imagegate.storage.janitor import Janitor
from imagegate.storage.registry import FileRegistry
from imagegate.storage.urls import UrlSigner
from imagegate.tasks.keys import (
    AccountRequest,
    KeyCache,
    create_account_now,
    hash_key,
    new_api_key,
)
from imagegate.tasks.model import Task
from imagegate.tasks.record import callback_body
from imagegate.tasks.sqlite import SqliteDatabase, sqlite_path_from_url
from imagegate.tasks.store import SqliteStore
from imagegate.worker.fetch import ImageFetcher
from imagegate.worker.loop import Worker

log = logging.getLogger(__name__)

ADMIN_KEY_META = "admin_key_hash"
DEFAULT_ACCOUNT = "default"


@dataclass(frozen=True, slots=True)
class FirstStart:
    """Keys made on the very first start, shown once (only their hashes are kept)."""

    admin_key: str | None
    default_key: str | None


def build_router(settings: Settings, engines: EngineSet | None = None) -> Router:
    """Every model's route. By default the classic engine for the models it reframes and the
    mock engine for the others until their engines (diffusers, upstream) land; the ``routes``
    setting replaces the default route of each model it names; ``mock`` puts every model on
    the mock engine. A route naming an unknown model or engine, or an engine that cannot serve
    the model, is a ``ValueError`` that says which, as is a provider misconfigured. Without
    ``engines`` the engines are built offline (for ``imagegate routes``)."""
    engines = engines or EngineSet(EngineContext.offline(settings))
    models = [spec.name for spec in all_models()]
    configured: dict[str, list[Engine]] = {}
    for model, names in settings.routes.items():
        if model not in models:
            raise ValueError(f"routes: unknown model {model!r}; known models: {', '.join(models)}")
        route = []
        for name in names:
            try:
                engine = engines.get(name)
            except ValueError as exc:
                raise ValueError(f"routes: model {model!r}: {exc}") from None
            if not engine.supports(model):
                raise ValueError(f"routes: engine {name!r} cannot serve model {model!r}")
            route.append(engine)
        configured[model] = route
    mock = engines.get("mock")
    routes: dict[str, list[Engine]] = {model: [mock] for model in models}
    if not settings.mock:
        classic = engines.get("classic")
        # No mock behind it: a failed reframe must fail, not succeed with a test image.
        routes.update({model: [classic] for model in models if classic.supports(model)})
        routes.update(configured)
    return Router(
        routes,
        breaker_failures=settings.breaker_failures,
        breaker_cooldown=settings.breaker_cooldown_seconds,
    )


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data_dir = settings.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        url = settings.resolved_database_url
        if not url.startswith("sqlite"):
            raise ValueError(
                f"database URL {url!r}: this build runs on SQLite only (sqlite:///PATH)"
            )
        self.db = SqliteDatabase(sqlite_path_from_url(url))
        self.store = SqliteStore(self.db)
        self.keys = KeyCache(self.store)
        self.files = FileRegistry(self.db)
        self.blobs: BlobStore = LocalBlobStore(self.data_dir / "files")
        self.signer = UrlSigner(self._secret_key(), settings.resolved_public_url)
        self.policy = UrlPolicy(settings.url_allowlist)
        self.cpu = CpuPool(settings.engine_processes)
        self.upstream_events = UpstreamEvents(self._secret_key())
        self.engines = EngineSet(
            EngineContext(settings, self.cpu, self.policy, self.upstream_events)
        )
        self.router = build_router(settings, self.engines)
        self.rate_limits = RateLimits(settings.create_rate, settings.query_rate)
        self.fetcher = ImageFetcher(
            self.policy,
            max_bytes=settings.max_image_bytes,
            max_pixels=settings.max_image_pixels,
            timeout=settings.fetch_timeout_seconds,
            local_reader=self.read_own_file,
        )
        self.outbox = CallbackOutbox(self.db)
        self.callbacks = CallbackSender(
            self.outbox,
            self.policy,
            secret_for=self.webhook_secret_for,
            timeout=settings.callback_timeout_seconds,
            max_attempts=settings.callback_max_attempts,
            backoff_base=settings.callback_backoff_base_seconds,
            backoff_max=settings.callback_backoff_max_seconds,
        )
        self.worker = Worker(
            store=self.store,
            router=self.router,
            fetcher=self.fetcher,
            blobs=self.blobs,
            files=self.files,
            callback_body=self.render_callback,
            concurrency=settings.worker_concurrency,
            lease_seconds=settings.lease_seconds,
            poll_interval=settings.poll_interval_seconds,
            result_retention_ms=int(settings.result_retention_hours * 3_600_000),
            on_finished=self._on_finished,
        )
        self.janitor = Janitor(self.files, self.blobs, settings.janitor_interval_seconds)

    def _secret_key(self) -> bytes:
        if self.settings.secret_key:
            return self.settings.secret_key.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip().encode()

    # -------------------------------------------------------------- lifecycle

    def first_start(self) -> FirstStart:
        """Make the admin key and a default account on an empty database (shown once)."""
        admin_key = None
        if self.settings.admin_key:
            self.store.set_meta_now(ADMIN_KEY_META, hash_key(self.settings.admin_key))
        elif self.store.get_meta_now(ADMIN_KEY_META) is None:
            admin_key = new_api_key()
            self.store.set_meta_now(ADMIN_KEY_META, hash_key(admin_key))
        default_key = None
        if not self.db.read_now(lambda c: c.execute("SELECT 1 FROM accounts LIMIT 1").fetchone()):
            request = AccountRequest(DEFAULT_ACCOUNT, self.settings.default_account_credits)
            _, default_key = create_account_now(self.store, request)
        return FirstStart(admin_key, default_key)

    def admin_key_hash(self) -> str | None:
        return self.store.get_meta_now(ADMIN_KEY_META)

    async def start(self) -> None:
        if self.settings.worker_concurrency:
            self.cpu.start()
        self.worker.start()
        self.callbacks.start()
        self.janitor.start()
        log.info("routes: %s", self.router.describe())

    async def stop(self) -> None:
        await self.worker.stop()
        await self.callbacks.stop()
        await self.janitor.stop()
        await self.fetcher.aclose()
        await self.engines.aclose()
        await asyncio.to_thread(self.cpu.shutdown)
        self.db.close()

    # -------------------------------------------------------------- wiring

    def _on_finished(self, task: Task) -> None:
        if task.callback_url:
            self.callbacks.notify()

    def render_callback(self, task: Task, balance_milli: int) -> str:
        return json.dumps(callback_body(task, balance_milli, self.signer.url))

    async def webhook_secret_for(self, account_id: str) -> str | None:
        account = await self.store.get_account(account_id)
        return account.webhook_secret if account else None

    async def read_own_file(self, url: str) -> bytes | None:
        """The bytes of a file this server serves under ``url``; None for any other URL."""
        key = self.signer.key_of_own_url(url)
        if key is None:
            return None
        try:
            return await self.blobs.get(key)
        except BlobNotFound:
            return None

