"""Task ids: 32 hex characters like Kie's, ordered by creation time.

The first 12 characters are the creation time in milliseconds, the other 20 are random (80
bits). Time order keeps inserts at the end of the primary-key index, so the index pages a batch
of creates touches are shared instead of scattered (fewer pages written per commit).
"""

from __future__ import annotations

import secrets
import time


def new_task_id() -> str:
    return f"{int(time.time() * 1000):012x}{secrets.token_hex(10)}"
