"""Per-key spending caps (Kie's sub-key limits): what a key spent in the last hour, the last
day and in all, and the check a create runs inside its own transaction (the SQL: db/sqlite/caps.py,
db/postgres/caps.py).

A key's spend is the price of the tasks it created, less their refunds (a failed task costs
nothing). It is read from the tasks themselves through the account's index
(``ix_tasks_account_created``) filtered to the key, rather than kept in a counter: nothing to
keep in step with refunds, and a key without caps pays nothing on create. A total cap reads the
account's whole history of tasks, so its cost grows with that history.
"""

from __future__ import annotations

from dataclasses import dataclass

from imagegate.accounts.model import SpendCaps
from imagegate.catalog.pricing import milli_to_credits
from imagegate.errors import SpendCapReached

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True, slots=True)
class Spend:
    """Millicredits a key spent in the last hour, the last day, and since it was made."""

    hourly_milli: int
    daily_milli: int
    total_milli: int


def since(caps: SpendCaps | None, now: int) -> int:
    """The start of the widest window the caps need (0: all of time)."""
    if caps is None or caps.total_milli is not None:
        return 0
    return now - (DAY_MS if caps.daily_milli is not None else HOUR_MS)


def refuse_over(caps: SpendCaps, spend: Spend, price_milli: int) -> None:
    """Raise Kie's 433 naming the cap when this task's price would take the key past it."""
    for label, window, cap, spent in (
        ("hourly", "in the last hour", caps.hourly_milli, spend.hourly_milli),
        ("daily", "in the last 24 hours", caps.daily_milli, spend.daily_milli),
        ("total", "in all", caps.total_milli, spend.total_milli),
    ):
        if cap is not None and spent + price_milli > cap:
            raise SpendCapReached(
                f"Spending cap reached: this API key's {label} cap is "
                f"{milli_to_credits(cap)} credits and it has spent {milli_to_credits(spent)} "
                f"{window}; this task costs {milli_to_credits(price_milli)}"
            )
