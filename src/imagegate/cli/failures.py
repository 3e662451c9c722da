"""Exit codes of the client commands, and what each failure tells the user to do next."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from imagegate.client import ClientError

EXIT_OK = 0
EXIT_USAGE = 2  # Typer's own: a bad option or argument
EXIT_API = 3  # the API refused or could not be reached
EXIT_TASK_FAILED = 4
EXIT_TIMEOUT = 5
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = (
    "Exit codes: 0 success; 2 usage error (a bad option or argument); 3 API error"
    " (authentication, credits, validation, not found, rate limit, server unavailable);"
    " 4 the task failed; 5 timed out waiting (the task goes on: imagegate task wait ID)."
)

NO_KEY = "no API key: set IMAGEGATE_API_KEY (or KIE_API_KEY) or pass --api-key"


def explain(error: ClientError, base_url: str, command: str) -> str:
    """The message for an API error (exit 3): what went wrong, then what to do next."""
    from imagegate import client

    said = str(error) or type(error).__name__
    if isinstance(error, client.AuthenticationError):
        return (
            f"the API key was refused ({said}): check IMAGEGATE_API_KEY / --api-key"
            " (`imagegate serve` prints the first key at first start;"
            " `imagegate keys create` makes another)"
        )
    if isinstance(error, client.InsufficientCreditsError):
        return (
            f"not enough credits ({said}): top up the account (the operator: POST"
            " /api/admin/accounts/ACCOUNT_ID/credits with the admin key) or ask the operator;"
            " `imagegate credits` shows the balance"
        )
    if isinstance(error, client.ValidationError):
        where = f" (field {error.field})" if error.field else ""
        return (
            f"the server rejected the request{where}: {said}; fix the option and try again"
            f" (`imagegate {command} --help`)"
        )
    if isinstance(error, client.BadRequestError):
        return (
            f"the server rejected the request: {said}; fix the options or the input file and"
            f" try again (`imagegate {command} --help`)"
        )
    if isinstance(error, client.NotFoundError):
        return (
            f"not found ({said}): check the task id (tasks and their files expire after the"
            f" server's retention) and the server ({base_url}, --base-url / IMAGEGATE_BASE_URL)"
        )
    if isinstance(error, client.RateLimitError):
        when = f"in {error.retry_after:g} s" if error.retry_after else "in a few seconds"
        return f"rate limited ({said}): try again {when}"
    if isinstance(error, client.ServiceUnavailableError | client.TransportError):
        return (
            f"the server at {base_url} is unavailable ({said}): check that it runs"
            " (`imagegate serve`) and that --base-url / IMAGEGATE_BASE_URL point at it,"
            " then try again"
        )
    return (
        f"the API answered an error ({said}): check the server's log at {base_url}"
        " and try again; if it persists, report it to the operator"
    )
