"""The client's exception tree: one root, API refusals apart from task failures.

See ``imagegate.client``'s docstring for the tree drawn out. The root has a name of its own,
``ClientError``: the server's root is ``imagegate.errors.ImagegateError``, and one name for two
unrelated roots invites an ``except`` that catches the wrong one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imagegate.client.task import Task


class ClientError(Exception):
    """Root of every error the client raises."""


class APIError(ClientError):
    """The service refused a request. ``code`` is the envelope's (Kie's list), ``status`` the
    HTTP status it came with (200 when the service reports business errors Kie's way)."""

    def __init__(
        self, msg: str, *, code: int, status: int = 0, body: Any = None
    ) -> None:
        super().__init__(msg)
        self.msg = msg
        self.code = code
        self.status = status
        self.body = body

    def __str__(self) -> str:
        return f"{self.msg} (code {self.code})"


class BadRequestError(APIError):
    """400 (or 413): the request itself is malformed or too large."""


class AuthenticationError(APIError):
    """401: the API key is missing or wrong. Set IMAGEGATE_API_KEY (or KIE_API_KEY)."""


class InsufficientCreditsError(APIError):
    """402: the account's balance is shorter than the task's price."""


class NotFoundError(APIError):
    """404: no such task or file for this account (Kie: 422 "recordInfo is null")."""


class ValidationError(APIError):
    """422: an input field broke the model's spec. ``field`` names it (``input.image_size``)
    when the service said which; ``problem`` is what is wrong with it."""

    def __init__(
        self,
        msg: str,
        *,
        code: int = 422,
        status: int = 0,
        body: Any = None,
        field: str | None = None,
        problem: str | None = None,
    ) -> None:
        super().__init__(msg, code=code, status=status, body=body)
        self.field = field
        self.problem = problem if problem is not None else msg


class RateLimitError(APIError):
    """429 (or Kie's 433): too many requests. ``retry_after`` is the advised wait in seconds,
    or None when the service gave none."""

    def __init__(
        self,
        msg: str,
        *,
        code: int = 429,
        status: int = 0,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(msg, code=code, status=status, body=body)
        self.retry_after = retry_after


class ServerError(APIError):
    """500 and other 5xx: the service failed; an idempotent call is retried before this."""


class ServiceUnavailableError(ServerError):
    """455 (maintenance), 503, or 505 (the model or feature is disabled on this service)."""


class TransportError(ClientError):
    """The service could not be reached or did not answer in time (after the retries)."""


class ProtocolError(ClientError):
    """The service answered something that is not Kie's shape (not JSON, no ``data``)."""


class EventsUnavailable(ProtocolError):
    """The server offers no live events for the task (Kie itself, an older imagegate), or
    its stream broke off; ``wait`` then polls instead."""


class WaitTimeout(ClientError):
    """``wait`` gave up before the task finished; ``task`` is the last state seen. The task
    goes on running: wait again, or read it later with ``get_task``."""

    def __init__(self, task: Task, timeout: float) -> None:
        super().__init__(
            f"Task {task.task_id} is still {task.state.value} after {timeout:g} s;"
            " wait again or check it later with get_task"
        )
        self.task = task
        self.timeout = timeout


class TaskFailed(ClientError):
    """The task ran and failed. ``task`` carries it; ``fail_code`` and ``fail_msg`` are its
    ``failCode`` and ``failMsg``."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self.fail_code = task.fail_code
        self.fail_msg = task.fail_msg
        super().__init__(
            f"Task {task.task_id} failed ({task.fail_code or 'no failCode'}):"
            f" {task.fail_msg or 'no failMsg'}"
        )
