"""TaskState and its named transitions: the lifecycle, written once.

    waiting ──claim──▶ queuing ──start──▶ generating ──succeed──▶ success
       │                  │  └───────────succeed (at once)─────────▲
       └──────────────────┴───────fail────────┴─────────────────▶ fail

``waiting``: accepted and paid for, not yet claimed by a worker. ``queuing``: claimed under a
lease; the worker is fetching the inputs and waiting for an engine slot. ``generating``: an
engine is running; an engine that answers within moments is never shown generating
(worker/generating.py), so its task succeeds from ``queuing``. A lease that expires in
``queuing`` or ``generating`` lets another worker claim the task again (it goes back through
``queuing``), which is how a killed worker's task still finishes.
"""

from __future__ import annotations

# The state names are the wire's (wire/states.py); the lifecycle's moves between them are here,
# and the lifecycle's modules import TaskState from here.
from imagegate.wire.states import TaskState as TaskState

TERMINAL_STATES = frozenset(s for s in TaskState if s.is_terminal)

# The allowed moves; anything else is a bug, and the store's conditional UPDATEs refuse it.
TRANSITIONS: dict[TaskState, frozenset[TaskState]] = {
    TaskState.WAITING: frozenset({TaskState.QUEUING, TaskState.FAIL}),
    # Back to WAITING: released by a worker that shuts down; to QUEUING: lease expired and
    # claimed again; to SUCCESS: an engine that answered before it was shown generating.
    TaskState.QUEUING: frozenset({
        TaskState.WAITING, TaskState.QUEUING, TaskState.GENERATING, TaskState.SUCCESS,
        TaskState.FAIL,
    }),
    TaskState.GENERATING: frozenset(
        {TaskState.WAITING, TaskState.QUEUING, TaskState.SUCCESS, TaskState.FAIL}
    ),
    TaskState.SUCCESS: frozenset(),
    TaskState.FAIL: frozenset(),
}


def can_move(src: TaskState, dst: TaskState) -> bool:
    return dst in TRANSITIONS[src]


def sources(dst: TaskState) -> tuple[TaskState, ...]:
    """The states a task may be in to move to ``dst``."""
    return tuple(src for src in TaskState if dst in TRANSITIONS[src])


def sql_sources(dst: TaskState) -> str:
    """``state IN (...)`` for the states that may move to ``dst``: the stores' guard."""
    return "state IN (" + ", ".join(f"'{s.value}'" for s in sources(dst)) + ")"

# The states a worker holds under a lease, as the stores' SQL guard.
SQL_CLAIMED = "state IN (" + ", ".join(f"'{s.value}'" for s in TaskState if s.is_claimed) + ")"

# Progress shown while a task is not yet generating (the engine reports the rest).
PROGRESS = {
    TaskState.WAITING: 0,
    TaskState.QUEUING: 5,
    TaskState.GENERATING: 10,
    TaskState.SUCCESS: 100,
}
