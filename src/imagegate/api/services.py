"""What the HTTP surfaces need from the running system, typed by protocol: ``Services``.

The runtime builds one ``Services`` (runtime.py, ``Runtime.services``) and the app hands it to
the routes as a FastAPI dependency (api/deps.py). The API sees stores and engines only through
the protocols here and in tasks/ and accounts/: it never reaches into the Runtime, never runs
an engine and never names a backend, so a route can be tested over any store that keeps the
protocols (the in-memory one included).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from imagegate.accounts.keys import KeyCache
from imagegate.accounts.store import AccountStore, ApiKeyStore
from imagegate.accounts.usage import UsageGroups
from imagegate.api.ratelimit import RateLimits
from imagegate.outbound import UrlPolicy
from imagegate.settings import Settings
from imagegate.storage.blobstore import BlobStore
from imagegate.storage.urls import UrlSigner
from imagegate.tasks.events import EventSink
from imagegate.tasks.files import FileRegistry
from imagegate.tasks.lifecycle import Lifecycle
from imagegate.tasks.listing import TaskRows
from imagegate.tasks.outbox import Outbox
from imagegate.tasks.overview import Overview
from imagegate.tasks.queue_stats import QueueStats
from imagegate.tasks.store import TaskStore
from imagegate.tasks.switches import MetaStore, ServiceSwitches
from imagegate.tasks.watch import TaskWatch
from imagegate.tasks.workers_registry import Workers


class ApiStore(TaskStore, TaskRows, AccountStore, UsageGroups, MetaStore, Protocol):
    """The one store the routes read tasks, accounts, usage and meta rows from (writes that
    move a task or a balance go through the lifecycle)."""


class JsonView(Protocol):
    """A value the admin API shows as JSON (an engine's circuit breaker)."""

    def as_json(self) -> dict[str, Any]: ...


class Routing(Protocol):
    """The engine facts the API checks and shows, without running an engine: whether a model
    is served (and, uncatalogued, passed through at which price), each model's route, the
    breakers and the upstream providers configured."""

    def can_serve(self, model: str) -> bool: ...

    def pass_through_price(self, model: str) -> int | None:
        """For a model the catalog does not know: the millicredits its task is charged at
        create when a pass-through route serves it; None when none does (the usual 422)."""
        ...

    def describe(self) -> dict[str, list[str]]:
        """``{model: [engine names]}``."""
        ...

    def breakers(self) -> Mapping[str, JsonView]: ...

    def providers(self) -> dict[str, dict[str, str]]:
        """``{name: {type, baseUrl}}`` of the upstream providers (never a key)."""
        ...


class UpstreamCallbacks(Protocol):
    """An upstream provider's callback to us: which providers exist, the token each one's
    callBackUrl carries, and waking the engine that follows one of its tasks."""

    def knows(self, provider: str) -> bool: ...

    def check(self, provider: str, token: str) -> bool: ...

    async def called_back(self, provider: str, upstream_id: str) -> bool:
        """Wake the engine following that upstream task, in whichever process follows it;
        whether one in this process was waiting."""
        ...


class Presence(Protocol):
    """Whether this process runs a worker of its own (the embedded topology)."""

    @property
    def running(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Services:
    """Everything a route may use, each part by its protocol."""

    settings: Settings
    store: ApiStore
    api_keys: ApiKeyStore
    keys: KeyCache
    switches: ServiceSwitches
    lifecycle: Lifecycle
    events: EventSink
    files: FileRegistry
    outbox: Outbox
    overview: Overview
    queue_stats: QueueStats
    workers: Workers
    presence: Presence
    blobs: BlobStore
    signer: UrlSigner
    policy: UrlPolicy
    rate_limits: RateLimits
    routing: Routing
    upstreams: UpstreamCallbacks
    # The stored hash of the admin key (None before the first start made one).
    admin_key_hash: Callable[[], Awaitable[str | None]]
    # The live event streams open in this process, by task (tasks/watch.py).
    watch: TaskWatch


class ServicesHost(Protocol):
    """What the app is built over (the runtime): its settings, its services once the backend
    is open (PostgreSQL opens on the event loop, in ``start``), and start and stop for the
    app's lifespan."""

    settings: Settings

    @property
    def services(self) -> Services: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
