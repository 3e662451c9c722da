"""The one exception tree of imagegate's server side.

    ImagegateError                  root of everything imagegate raises on purpose
    ├── ApiError                    a request is refused; rendered in the caller's envelope
    │   ├── BadRequest              400  malformed JSON, wrong content type
    │   ├── Unauthorized            401  missing or wrong key
    │   ├── InsufficientCredits     402  balance shorter than the task's price
    │   ├── Forbidden               403  a file link's signature is wrong or has expired
    │   ├── NotFound                404  unknown task, file or route
    │   ├── PayloadTooLarge         413  body over its limit
    │   ├── ValidationFailed        422  a field out of its spec (names the field)
    │   ├── RateLimited             429  carries retry_after seconds
    │   ├── SpendCapReached         433  (HTTP 429) a key's hourly, daily or total cap
    │   ├── InternalError           500
    │   ├── Maintenance             455  (HTTP 503)
    │   └── FeatureDisabled         505  (HTTP 403) e.g. no engine serves the model
    ├── IdeogramError               a refusal in Ideogram's shape: HTTP status, {"error": message}
    ├── TaskError                   a generation failed; becomes data (state `fail`), never a 500
    │   ├── InputRejected           the task's input turned out unusable (bad image URL, type, size)
    │   └── EngineError             an engine could not produce the images
    │       ├── EngineUnavailable   the engine is down or overloaded; failover can help
    │       │   └── OutOfGpuMemory  a forward pass ran out of GPU memory
    │       └── GenerationFailed    the engine tried and failed; failover may help
    ├── EngineFailed                a route ended without images; carries the last TaskError
    ├── Interrupted                 every task of a running diffusers batch was cancelled
    ├── LeaseLost                   another worker holds the task now; this one must stop
    ├── GrantRefused                a grant would take a balance below zero (or past its most)
    ├── OutboundError               a request to a user-given URL failed; the message is a phrase
    │   ├── OutboundRefused         the URL, or a redirect's target, breaks the policy
    │   │   └── OwnLinkRefused      a link to this server's own file: forged, expired or gone
    │   ├── TooManyRedirects        more redirects than the caller allows
    │   ├── DownloadStatus          the server answered neither 2xx nor a redirect
    │   ├── DownloadTooLarge        the body, declared or streamed, is over the byte cap
    │   ├── DownloadTimeout         the deadline over the whole download passed
    │   └── DownloadFailed          connect, read or protocol failure (httpx errors, translated)
    ├── BlobNotFound                no blob is stored under the key (also a KeyError)
    ├── CallbackVerificationError   a signed callback does not check out (also a ValueError)
    ├── CliFailure                  a command's failure, already explained, with its exit code
    └── StartFailed                 an engine refused to start (diffusers: weights, GPU memory)

API errors and task failures are different families: the first refuses a request before a task
exists (or hides one), the second is how a task that exists ends. ``TaskError`` says through
``retryable`` whether running the same input on another engine can help, which is what the
router's failover reads.

``IdeogramError`` is rendered as Ideogram's ``{"error": ...}`` body. The rest never reach a
caller as they are; each is translated at its edge. ``EngineFailed``, ``Interrupted`` and
``LeaseLost`` are the worker's and engines' own signals (a task's end, a cancelled batch, a
lost lease). An ``OutboundError`` becomes the caller's own: a task's ``InputRejected``, an
upstream engine's ``EngineError``, an upload's ``BadRequest`` or ``PayloadTooLarge``, a
callback's failed attempt. ``CliFailure`` and ``StartFailed`` become the command's stderr line
and exit status. ``BlobNotFound`` and ``CallbackVerificationError`` keep the
standard-library base they had (``KeyError``, ``ValueError``), so code that catches them by
it, a BlobStore written elsewhere or a callback receiver, still does.

``GrantRefused`` is the account store's refusal of an operator's grant; the operator's
operations (api/admin_operations.py) turn it into a 422 naming ``credits``.
"""

from __future__ import annotations

from collections.abc import Sequence


class ImagegateError(Exception):
    """Root of every error imagegate raises on purpose."""


class ApiError(ImagegateError):
    """A refused request, rendered as ``{code, msg, data}`` by the API layer.

    ``code`` is the envelope code of spec 001's list; ``http_status`` is the HTTP status the
    default wire mode answers with (DESIGN.md: it mirrors ``code`` where the meaning is the same).
    """

    code: int = 500
    http_status: int = 500

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg


class BadRequest(ApiError):
    code = 400
    http_status = 400


class Unauthorized(ApiError):
    code = 401
    http_status = 401


class InsufficientCredits(ApiError):
    code = 402
    http_status = 402


class NotFound(ApiError):
    code = 404
    http_status = 404


class PayloadTooLarge(ApiError):
    code = 413
    http_status = 413


class ValidationFailed(ApiError):
    """A field broke its spec. ``field`` is the dotted path, e.g. ``input.image_size``."""

    code = 422
    http_status = 422

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class RateLimited(ApiError):
    code = 429
    http_status = 429

    def __init__(self, msg: str, retry_after: int) -> None:
        super().__init__(msg)
        self.retry_after = retry_after


class SpendCapReached(ApiError):
    """Kie's 433: the key has spent its hourly, daily or total cap (the message names which).

    HTTP 429: like a rate limit it is a "not now, for this key" that the hourly and daily caps
    lift by themselves, and Kie's clients already back off on 429 (imagegate's client maps
    433 to its RateLimitError).
    """

    code = 433
    http_status = 429


class InternalError(ApiError):
    code = 500
    http_status = 500


class Maintenance(ApiError):
    code = 455
    http_status = 503


class FeatureDisabled(ApiError):
    code = 505
    http_status = 403


class Forbidden(ApiError):
    """A file URL whose signature is wrong or has expired."""

    code = 403
    http_status = 403


class IdeogramError(ImagegateError):
    """A refusal in Ideogram's shape: HTTP ``status`` and ``{"error": message}``."""

    def __init__(
        self, status: int, message: str, *, retry_after: int | None = None,
        task_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after
        self.task_id = task_id


class TaskError(ImagegateError):
    """A generation that failed. Stored on the task as ``failCode``/``failMsg``.

    ``retryable`` tells the router whether another engine (or a later attempt) could succeed
    with the same input.
    """

    fail_code: str = "500"
    retryable: bool = False

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg


class InputRejected(TaskError):
    """The task's input cannot be used (image unreachable, too large, wrong type, a bomb).

    Failover cannot help: every engine would get the same unusable input.
    """

    fail_code = "422"
    retryable = False


class EngineError(TaskError):
    """An engine could not produce the images."""

    fail_code = "500"
    retryable = True


class EngineUnavailable(EngineError):
    """The engine is down, overloaded or out of memory; another engine may serve the task."""

    fail_code = "500"
    retryable = True


class OutOfGpuMemory(EngineUnavailable):
    """A forward pass ran out of GPU memory. A batch that does is run again one task at a
    time (engines/diffusers/batcher.py); a task that does alone fails over to the route's next
    engine."""


class GenerationFailed(EngineError):
    """The engine ran and failed (Kie's code 501, "Generation Failed")."""

    fail_code = "501"
    retryable = True


# ------------------------------------------------------------------ engines' and worker's signals


class EngineFailed(ImagegateError):
    """The route failed: ``error`` is the last engine's error, ``engine`` its name, and
    ``msg`` tells every attempt in order ("upstream a: ...; then upstream b: ...") so the
    task's failMsg says which engine did what."""

    def __init__(
        self, error: TaskError, engine: str | None, attempts: Sequence[tuple[str, str]] = ()
    ) -> None:
        self.error = error
        self.engine = engine
        self.msg = "; then ".join(
            msg if msg.startswith(f"upstream {name}") else f"{name}: {msg}"
            for name, msg in attempts
        ) if len(attempts) > 1 else error.msg
        super().__init__(self.msg)


class Interrupted(ImagegateError):
    """Every task of the running batch was cancelled: the pipeline stopped between steps."""


class LeaseLost(ImagegateError):
    """Another worker holds the task now (or it was cancelled): this one must stop."""


class GrantRefused(ImagegateError):
    """The account store refused a grant that would take the balance below zero or above the
    most a balance may hold (accounts/grants.py); nothing changed. ``balance_milli`` is the
    balance it found, ``delta_milli`` the grant."""

    def __init__(self, balance_milli: int, delta_milli: int) -> None:
        super().__init__(f"a grant of {delta_milli} millicredits to a balance of"
                         f" {balance_milli} is refused")
        self.balance_milli = balance_milli
        self.delta_milli = delta_milli


# ------------------------------------------------------------------ requests to user-given URLs


class OutboundError(ImagegateError):
    """Root of the errors of a request to a user-given URL; the message says what went wrong."""


class OutboundRefused(OutboundError):
    """A URL imagegate will not contact; ``reason`` says why. When the n-th redirect's target
    was refused, ``hop`` is n and ``url`` is that target (the message names it); else 0, None."""

    def __init__(self, reason: str, *, url: str | None = None, hop: int = 0) -> None:
        super().__init__(f"redirected to {url}: {reason}" if hop else reason)
        self.reason = reason
        self.url = url
        self.hop = hop


class OwnLinkRefused(OutboundRefused):
    """A URL of this server's own files that cannot be used: its signature is not this
    server's, it has expired, or its file is gone. Such a URL is read from the BlobStore, never
    fetched over HTTP (storage/own_files.py), so this is the whole answer about it."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"this server's file link {problem}")
        self.problem = problem


class TooManyRedirects(OutboundError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"too many redirects (more than {limit})")
        self.limit = limit


class DownloadStatus(OutboundError):
    def __init__(self, status: int) -> None:
        super().__init__(f"server answered HTTP {status}")
        self.status = status


class DownloadTooLarge(OutboundError):
    """Over ``limit`` bytes; ``declared`` is the Content-Length when that alone refused it."""

    def __init__(self, limit: int, declared: int | None) -> None:
        size = "over the limit" if declared is None else f"{declared} bytes, over the limit"
        super().__init__(f"body is {size} of {limit} bytes")
        self.limit = limit
        self.declared = declared


class DownloadTimeout(OutboundError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"timed out after {seconds:g} s")
        self.seconds = seconds


class DownloadFailed(OutboundError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ------------------------------------------------------------------ storage and callbacks


class BlobNotFound(ImagegateError, KeyError):
    """No blob is stored under the key.

    Also a KeyError, as it always was: a BlobStore written elsewhere may catch it as one, and
    ``str()`` stays KeyError's quoted key.
    """


class CallbackVerificationError(ImagegateError, ValueError):
    """A callback whose signature, timestamp or body does not check out; says which.

    Also a ValueError, as it always was: a callback receiver may catch it as one.
    """


# ------------------------------------------------------------------ the command line


class CliFailure(ImagegateError):
    """A failure already explained: ``message`` goes to stderr, ``code`` is the exit status."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class StartFailed(ImagegateError):
    """An engine refused to start (diffusers: weights missing, a GPU too small)."""

    def __init__(self, error: ValueError) -> None:
        super().__init__(str(error))
        self.error = error
