"""Task states as the wire shows them (``TaskState``), and how each surface spells a state:
GPT-4o Image's status and successFlag, Flux Kontext's successFlag, spec 002's status, Ideogram's."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final


class TaskState(StrEnum):
    """Kie's task states, recordInfo's ``state``; ``success`` and ``fail`` are terminal."""

    WAITING = "waiting"
    QUEUING = "queuing"
    GENERATING = "generating"
    SUCCESS = "success"
    FAIL = "fail"

    @property
    def is_terminal(self) -> bool:
        """The record will not change again: a client stops polling here."""
        return self is TaskState.SUCCESS or self is TaskState.FAIL

    @property
    def is_claimed(self) -> bool:
        """States a worker holds under a lease."""
        return self is TaskState.QUEUING or self is TaskState.GENERATING


def failed_before_generation(state: TaskState, fail_code: str | None) -> bool:
    """A failure of the input (failCode 422: an image that could not be fetched or used),
    which the per-model records report as a failed create; every other failure is a failed
    generation."""
    return state is TaskState.FAIL and fail_code == "422"


# GPT-4o Image's record: ``status`` and ``successFlag`` (0 generating, 1 success, 2 failed).
GPT4O_GENERATING, GPT4O_SUCCESS = "GENERATING", "SUCCESS"
GPT4O_CREATE_TASK_FAILED, GPT4O_GENERATE_FAILED = "CREATE_TASK_FAILED", "GENERATE_FAILED"


def gpt4o_status(state: TaskState, fail_code: str | None) -> tuple[str, int]:
    """(status, successFlag) of a GPT-4o Image task in ``state``."""
    if state is TaskState.SUCCESS:
        return GPT4O_SUCCESS, 1
    if state is TaskState.FAIL:
        failed = GPT4O_CREATE_TASK_FAILED if failed_before_generation(state, fail_code) else (
            GPT4O_GENERATE_FAILED
        )
        return failed, 2
    return GPT4O_GENERATING, 0


# Flux Kontext's record: ``successFlag``.
FLUX_GENERATING, FLUX_SUCCESS, FLUX_CREATE_FAILED, FLUX_GENERATE_FAILED = 0, 1, 2, 3


def flux_success_flag(state: TaskState, fail_code: str | None) -> int:
    """successFlag of a Flux Kontext task in ``state``."""
    if state is TaskState.SUCCESS:
        return FLUX_SUCCESS
    if state is TaskState.FAIL:
        return FLUX_CREATE_FAILED if failed_before_generation(state, fail_code) else (
            FLUX_GENERATE_FAILED
        )
    return FLUX_GENERATING


# Spec 002's per-model record-info ``status``, from imagegate's states.
SPEC_002_STATUS: Final[Mapping[TaskState, str]] = {
    TaskState.WAITING: "pending",
    TaskState.QUEUING: "pending",
    TaskState.GENERATING: "processing",
    TaskState.SUCCESS: "completed",
    TaskState.FAIL: "failed",
}

# Ideogram answers synchronously, so a task that has not ended is an HTTP status too.
IDEOGRAM_STILL_RUNNING = 504


def ideogram_fail_status(fail_code: str | None) -> int:
    """The HTTP status of a failed Ideogram reframe: 422 for the input's fault (failCode 422),
    500 for the engine's."""
    return 422 if fail_code == "422" else 500
