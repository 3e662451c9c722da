"""The create request's headers that set a task's options (issue 22 points 3 and 5), read the
same way on every create surface (``jobs.create_task``'s callers) and by the quote:

- ``Cancel-After: 90s``: a task not finished that long after its create is cancelled and
  refunded (tasks/deadlines.py); a value outside 1 s to 24 h is clamped into it.
- ``X-Result-Retention: 1h``: its result files are kept that long instead of the operator's
  ``result_retention_hours``; a longer value than the operator's is clamped to it (and one
  under 1 s to 1 s), and the jobs API's answer says what applies in
  ``X-Result-Retention-Applied`` (seconds).

A duration is one or more ``<integer><unit>`` parts, the unit ``ms``, ``s``, ``m``, ``h`` or
``d`` (``500ms``, ``90s``, ``1h30m``), at most 64 characters. Anything else, or a header sent
twice, is a 422 naming the header. Out-of-range values are clamped rather than refused so that
what the OpenAPI document's pattern allows, the server takes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response

from imagegate.errors import ValidationFailed
from imagegate.settings import Settings

CANCEL_AFTER = "Cancel-After"
RESULT_RETENTION = "X-Result-Retention"
RETENTION_APPLIED = "X-Result-Retention-Applied"

_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_PART = re.compile(r"(\d{1,9})(ms|s|m|h|d)")
DURATION_PATTERN = r"^([0-9]{1,9}(ms|s|m|h|d))+$"
_SECOND = 1000
_DAY = 86_400_000
MAX_CANCEL_AFTER_MS = _DAY


@dataclass(frozen=True, slots=True)
class TaskOptions:
    """What the headers ask: the deadline's delay and the retention, in ms (None: not asked);
    ``clamped``: the retention asked was longer than the operator's and was cut to it."""

    cancel_after_ms: int | None = None
    result_retention_ms: int | None = None
    clamped: bool = False

    def answer(self, response: Response) -> Response:
        """``response`` with the retention that applies, when one was asked."""
        if self.result_retention_ms is not None:
            response.headers[RETENTION_APPLIED] = f"{self.result_retention_ms // _SECOND}s"
        return response


NO_OPTIONS = TaskOptions()


def duration_ms(header: str, text: str) -> int:
    """``text`` as milliseconds; 422 naming ``header`` when it is no duration."""
    value = text
    if len(value) > 64 or not value or _PART.sub("", value) != "":
        raise ValidationFailed(
            header, f"must be a duration such as 500ms, 90s, 5m, 1h or 1h30m (got {text[:64]!r})"
        )
    return sum(int(n) * _UNIT_MS[unit] for n, unit in _PART.findall(value))


def _one(request: Request, header: str) -> str | None:
    values = request.headers.getlist(header)
    if len(values) > 1:
        raise ValidationFailed(header, "must be sent once")
    return values[0] if values else None


def task_options_of(request: Request, settings: Settings) -> TaskOptions:
    """The request's ``Cancel-After`` and ``X-Result-Retention`` (the module's docstring)."""
    cancel_after = None
    text = _one(request, CANCEL_AFTER)
    if text is not None:
        cancel_after = min(max(duration_ms(CANCEL_AFTER, text), _SECOND), MAX_CANCEL_AFTER_MS)
    retention, clamped = None, False
    text = _one(request, RESULT_RETENTION)
    if text is not None:
        retention = max(duration_ms(RESULT_RETENTION, text), _SECOND)
        most = int(settings.result_retention_hours * 3_600_000)
        if retention > most:
            retention, clamped = most, True
    return TaskOptions(cancel_after, retention, clamped)
