"""The lifecycle's transition table and the guards the stores derive from it."""

from __future__ import annotations

import itertools

from imagegate.tasks.state import TERMINAL_STATES, TaskState, can_move, sources, sql_sources


def test_terminal_states_lead_nowhere() -> None:
    assert {TaskState.SUCCESS, TaskState.FAIL} == TERMINAL_STATES
    for terminal in TERMINAL_STATES:
        assert terminal.is_terminal
        assert not any(can_move(terminal, dst) for dst in TaskState)


def test_the_happy_path_is_allowed_step_by_step() -> None:
    path = [TaskState.WAITING, TaskState.QUEUING, TaskState.GENERATING, TaskState.SUCCESS]
    assert all(can_move(a, b) for a, b in itertools.pairwise(path))
    assert not can_move(TaskState.WAITING, TaskState.SUCCESS)
    assert can_move(TaskState.QUEUING, TaskState.SUCCESS)  # answered before shown generating


def test_store_guards_follow_the_table() -> None:
    assert sources(TaskState.SUCCESS) == (TaskState.QUEUING, TaskState.GENERATING)
    assert sql_sources(TaskState.SUCCESS) == "state IN ('queuing', 'generating')"
    assert set(sources(TaskState.FAIL)) == {
        TaskState.WAITING, TaskState.QUEUING, TaskState.GENERATING,
    }
