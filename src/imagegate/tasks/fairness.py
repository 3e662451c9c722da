"""Fair queuing between accounts, priorities within one: how the queue is ordered.

Start-time fair queuing on the wall clock. Each account has a virtual clock
(``accounts.fair_clock``). A new task of the account gets the key
``max(now, clock) + SLOT_MS`` and moves the clock to it. Workers take the waiting task
with the smallest key. The consequences:

- An account that queues ten thousand tasks at once spreads them over ten thousand slots
  into the future. Another account's single task, queued a second later, gets a key of
  about now + one slot, so it runs next, not after the ten thousand.
- Accounts with backlogs alternate, one slot each.
- An idle account's clock is in the past, so it restarts at now: no credit is saved up
  by waiting.
- Claims stay one index step (``ix_tasks_waiting_fair``), with no per-claim lock on the
  account row.

Priorities reorder an account's own tasks only. The keys decide *when* an account's turn comes;
its waiting tasks' order decides *which* task runs then (``priority`` higher first, then the
oldest). A claim takes the slot with the smallest key and runs the account's most urgent task;
if those are two different tasks, the slot's task takes over the runner's key, so the account
spends exactly one slot, and another account never sees a priority.

A worker whose CPU engine is busy passes that engine's models over (``claim``'s ``exclude``,
worker/lanes.py): the order above holds among the tasks it may take, and the passed-over tasks
keep their keys, first in line once the engine has room.
"""

from __future__ import annotations

# The slot a task takes on its account's clock. Only the ratio to real time matters: a
# backlog of N tasks reaches N slots into the future, and a newcomer is ordered by now.
SLOT_MS = 1000

MIN_PRIORITY = -10
MAX_PRIORITY = 10
