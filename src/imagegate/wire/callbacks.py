"""The callback body of a finished task, in the shape of the surface it was created through.

The callback sender renders it when it sends the outbox row (tasks/outbox.py), from the task,
the account's balance right after the task ended (kept in the row) and the URL signer. Giving
a surface a callback of its own is one line of ``SHAPES``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from imagegate.wire import jobs
from imagegate.wire.surfaces import Surface
from imagegate.wire.task_view import TaskView, UrlFor

CallbackShape = Callable[[TaskView, int, UrlFor], dict[str, Any]]
"""Renders a callback body: (the finished task, the balance after it in millicredits, the URL
signer) → the JSON object to send."""

# Every surface sends Kie's jobs callback for now (issue 19 gives GPT-4o Image and Flux Kontext
# their own).
SHAPES: Final[Mapping[Surface, CallbackShape]] = MappingProxyType({
    Surface.JOBS: jobs.callback_body,
    Surface.JOBS_V2: jobs.callback_body_v2,
    Surface.GPT4O_IMAGE: jobs.callback_body,
    Surface.FLUX_KONTEXT: jobs.callback_body,
    Surface.MODEL_ENDPOINTS: jobs.callback_body,
    Surface.IDEOGRAM: jobs.callback_body,
})


def callback_body(
    surface: Surface, task: TaskView, balance_milli: int, url_for: UrlFor
) -> dict[str, Any]:
    """The callback ``task`` sends, in ``surface``'s shape; ``balance_milli`` is the account's
    balance right after the task ended (Kie's ``remainedCredits``)."""
    return SHAPES[surface](task, balance_milli, url_for)
