"""The callback body of a finished task, in the shape of the surface it was created through.

The callback sender renders it when it sends the outbox row (tasks/outbox.py), from the task,
the account's balance right after the task ended (kept in the row) and the URL signer. Giving
a surface a callback of its own is one line of ``SHAPES``; docs/callbacks.md lists each shape
with its source.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from imagegate.wire import flux_kontext, gpt4o_image, jobs
from imagegate.wire.surfaces import Surface
from imagegate.wire.task_view import TaskView, UrlFor

CallbackShape = Callable[[TaskView, int, UrlFor], dict[str, Any]]
"""Renders a callback body: (the finished task, the balance after it in millicredits, the URL
signer) → the JSON object to send."""

SHAPES: Final[Mapping[Surface, CallbackShape]] = MappingProxyType({
    Surface.JOBS: jobs.callback_body,
    Surface.JOBS_V2: jobs.callback_body_v2,
    # Kie's per-model APIs post their own shapes (docs.kie.ai's callback pages of each).
    Surface.GPT4O_IMAGE: gpt4o_image.callback_body,
    Surface.FLUX_KONTEXT: flux_kontext.callback_body,
    # Spec 002's per-model endpoints document no callback shape; the models are Kie's jobs
    # models, whose callback is the jobs one.
    Surface.MODEL_ENDPOINTS: jobs.callback_body,
    # Ideogram's API never calls back: its tasks keep no callback URL, so no row is ever
    # queued for one. The entry keeps SHAPES total over Surface (a test pins that).
    Surface.IDEOGRAM: jobs.callback_body,
})


def callback_body(
    surface: Surface, task: TaskView, balance_milli: int, url_for: UrlFor
) -> dict[str, Any]:
    """The callback ``task`` sends, in ``surface``'s shape; ``balance_milli`` is the account's
    balance right after the task ended (Kie's ``remainedCredits``, in the jobs shape only)."""
    return SHAPES[surface](task, balance_milli, url_for)
