"""The clock of tasks, accounts and files: epoch milliseconds, the unit of the wire format."""

from __future__ import annotations

import time


def now_ms() -> int:
    return int(time.time() * 1000)
