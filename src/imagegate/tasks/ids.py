"""Task ids: 32 hex characters like Kie's, ordered by creation time.

The first 12 characters are the creation time in milliseconds, the other 20 are random (80
bits). Time order keeps inserts at the end of the primary-key index, so the index pages a batch
of creates touches are shared instead of scattered (fewer pages written per commit).

Within one process the ids are strictly increasing, even for creates in the same millisecond
(ULID's monotonic rule: the random part of the last id plus a random step). The task list pages
newest first by (create time, id), so two tasks one client created in a row, inside one
millisecond, must not come back in the wrong order. Across processes no such order exists and
none is promised.
"""

from __future__ import annotations

import secrets
import threading
import time

_RANDOM_BITS = 80
_clock = time.time  # a name of its own so a test can stop the clock
_lock = threading.Lock()
_last = (0, 0)  # (milliseconds, random part) of the last id made here


def new_task_id() -> str:
    global _last
    with _lock:
        now_ms = int(_clock() * 1000)
        last_ms, last_random = _last
        if now_ms > last_ms:
            _last = (now_ms, secrets.randbits(_RANDOM_BITS))
        else:
            # The same millisecond, or the clock stepped back: keep the last id's time and step
            # the random part up (random, so ids stay hard to guess; 2^-64 of the space per id).
            step = 1 + secrets.randbits(16)
            if last_random + step >= 1 << _RANDOM_BITS:
                _last = (last_ms + 1, secrets.randbits(_RANDOM_BITS))
            else:
                _last = (last_ms, last_random + step)
        ms, random_part = _last
    return f"{ms:012x}{random_part:020x}"
