"""imagegate's Python client, for imagegate and for Kie.ai itself.

    from imagegate.client import Client

    with Client() as client:                     # IMAGEGATE_BASE_URL, IMAGEGATE_API_KEY
        task = client.reframe("photo.jpg", "landscape_16_9")
        client.download(task, "out/")            # out/<taskId>-1.png

``AsyncClient`` offers the same calls, awaited. Both send what one pure core (``core``)
builds, and wait and retry as it decides: following a task's live events where the server
offers them (``events``), else polling on Kie's advised schedule, honouring
``Retry-After`` on 429, retrying idempotent calls on 5xx and broken connections with jittered
backoff, and sending every createTask with an ``Idempotency-Key`` so a retry never makes a
second paid task.

Every error the client raises has one root::

    ClientError                  root of everything the client raises
    ├── APIError                 the service refused a request (code, msg, status, body)
    │   ├── BadRequestError      400, 413
    │   ├── AuthenticationError  401  missing or wrong key
    │   ├── InsufficientCreditsError  402
    │   ├── NotFoundError        404 (Kie: 422 "recordInfo is null")
    │   ├── ValidationError      422  ``field`` names the input at fault
    │   ├── RateLimitError       429, 433  ``retry_after`` seconds (or None)
    │   └── ServerError          500 and other 5xx
    │       └── ServiceUnavailableError  455 maintenance, 503, 505 disabled
    ├── TransportError           unreachable or timed out, after the retries
    ├── ProtocolError            an answer not in Kie's shape
    │   └── EventsUnavailable    no live event stream (``events``; ``wait`` then polls)
    ├── WaitTimeout              ``wait`` gave up; ``task`` is the last state seen
    └── TaskFailed               the task failed; ``task``, ``fail_code``, ``fail_msg``

Business errors that Kie delivers as HTTP 200 with an error ``code`` raise the same
exceptions as their HTTP twins.
"""

from imagegate.client.aio import AsyncClient
from imagegate.client.core import RetryPolicy, TaskEvent, UploadedFile, poll_delay
from imagegate.client.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ClientError,
    EventsUnavailable,
    InsufficientCreditsError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    TaskFailed,
    TransportError,
    ValidationError,
    WaitTimeout,
)
from imagegate.client.images import ImageInput
from imagegate.client.settings import KIE_BASE_URL, KIE_UPLOAD_BASE_URL, ClientSettings
from imagegate.client.sync import Client
from imagegate.client.task import Task, TaskState, parse_callback
from imagegate.wire.webhooks import verify

__all__ = [
    "KIE_BASE_URL",
    "KIE_UPLOAD_BASE_URL",
    "APIError",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ClientError",
    "ClientSettings",
    "EventsUnavailable",
    "ImageInput",
    "InsufficientCreditsError",
    "NotFoundError",
    "ProtocolError",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "ServiceUnavailableError",
    "Task",
    "TaskEvent",
    "TaskFailed",
    "TaskState",
    "TransportError",
    "UploadedFile",
    "ValidationError",
    "WaitTimeout",
    "parse_callback",
    "poll_delay",
    "verify",
]
