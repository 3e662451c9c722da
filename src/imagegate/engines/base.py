"""The Engine protocol: one async method that turns a validated input into images.

An engine is a transport in httpx's sense: it knows how to produce images and nothing else.
Retry, failover and routing wrap engines (``router.py``); fetching inputs and storing outputs is
the worker's job. Engines raise ``imagegate.errors.TaskError`` subclasses that say whether
another engine could help (``EngineUnavailable``, ``GenerationFailed``) or not
(``InputRejected``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class SourceImage:
    """An input image the worker fetched and checked (type by magic bytes, size, pixels)."""

    url: str
    data: bytes
    mime_type: str  # image/jpeg | image/png | image/webp
    width: int
    height: int


def _ignore_progress(_percent: int) -> None:
    return None


def _ignore_cost(_milli: int) -> None:
    return None


@dataclass(frozen=True, slots=True)
class EngineJob:
    """Everything an engine needs for one task."""

    task_id: str
    model: str
    input: Mapping[str, Any]  # validated, with the spec's defaults applied
    # Fetched images by input field name (``image_url`` → one image; list fields → several).
    images: Mapping[str, Sequence[SourceImage]] = field(default_factory=dict)
    # Engines may report 0-100; the worker records it as the task's ``progress``.
    report_progress: Callable[[int], None] = _ignore_progress
    # An upstream that settles a task to the cost it reports (a pass-through route priced
    # "upstream") reports it here, in millicredits, as its last step before it returns.
    report_cost: Callable[[int], None] = _ignore_cost


@dataclass(frozen=True, slots=True)
class OutputImage:
    data: bytes
    mime_type: str  # image/png | image/jpeg | image/webp
    width: int
    height: int


@runtime_checkable
class Engine(Protocol):
    """Produces images for the models it supports.

    An engine whose work waits for a bounded resource of this process (the classic engine's
    CPU pool) says so with an optional ``capacity`` attribute: how many tasks it can run at
    once. The worker then holds no more of the tasks it heads than that (worker/lanes.py), so
    the rest wait in the queue rather than in worker slots that other engines' tasks need.
    Read it with ``capacity_of``; an engine without one is not bounded.
    """

    name: str

    def supports(self, model: str) -> bool: ...

    async def run(self, job: EngineJob) -> list[OutputImage]: ...


def capacity_of(engine: Engine) -> int | None:
    """The tasks ``engine`` can run at once (at least 1), or None when it declares no bound."""
    capacity = getattr(engine, "capacity", None)
    return max(1, int(capacity)) if capacity is not None else None
