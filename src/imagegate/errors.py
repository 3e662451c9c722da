"""The one exception tree of imagegate.

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
    └── TaskError                   a generation failed; becomes data (state `fail`), never a 500
        ├── InputRejected           the task's input turned out unusable (bad image URL, type, size)
        └── EngineError             an engine could not produce the images
            ├── EngineUnavailable   the engine is down or overloaded; failover can help
            └── GenerationFailed    the engine tried and failed; failover may help

API errors and task failures are different families: the first refuses a request before a task
exists (or hides one), the second is how a task that exists ends. ``TaskError`` says through
``retryable`` whether running the same input on another engine can help, which is what the
router's failover reads.
"""

from __future__ import annotations


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


class GenerationFailed(EngineError):
    """The engine ran and failed (Kie's code 501, "Generation Failed")."""

    fail_code = "501"
    retryable = True
