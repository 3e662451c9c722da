"""Pass-through: models the catalog does not know, forwarded to a Kie-compatible upstream as sent.

An operator turns it on per ``upstream_kie`` provider (``pass_through = true``, config.py).
Those providers, in the order they are configured, are the route every uncatalogued model takes
(``engines/routing.py``); no other engine ever serves such a model, the mock engine included.
The task's ``input`` goes up untouched through Kie's jobs API (``/api/v1/jobs/createTask``, the
one surface that takes any model): imagegate knows no field of it, so it fetches, uploads and
maps nothing. The result links are downloaded into imagegate like every upstream result.

Pricing is the provider's: ``pass_through_price = "fixed"`` charges
``pass_through_price_credits`` per task; ``"upstream"`` holds that much at create and, when the
task succeeds, settles to the credits the upstream's finished record says it cost
(``consumeCredits``: Kie's name for it in its callbacks' ``data``, which is the record), never
more than the hold. The record is the one read with the operator's key, never a callback's body
(engines/upstream/events.py: nothing in a callback is trusted). A record without the field
keeps the hold. A failure refunds the whole hold, as for any task.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

from imagegate.catalog.pricing import credits_to_milli

log = logging.getLogger(__name__)

# Kie's name for the credits a finished task cost (https://docs.kie.ai/market/ pages'
# "Callback Notifications": ``data.consumeCredits``, beside ``remainedCredits``).
COST_FIELD = "consumeCredits"


def reported_cost_milli(record: Mapping[str, Any]) -> int | None:
    """The cost an upstream's finished record reports, in millicredits; None when it reports
    none or something that is not a number of credits (then the hold stands)."""
    value = record.get(COST_FIELD)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            value = None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        log.warning("upstream record's %s is not a number: %r; the hold stands", COST_FIELD,
                    record.get(COST_FIELD))
        return None
    if value < 0:
        log.warning("upstream record's %s is negative: %r; the hold stands", COST_FIELD, value)
        return None
    return credits_to_milli(value)
