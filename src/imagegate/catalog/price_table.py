"""A model's price rule as data, for a client that prices an input before sending it (the web
playground shows the price beside Generate): the numbers and counting ``ModelSpec.price_milli``
charges by, in millicredits.

The rule, applied to the input with its schema's defaults filled in where createTask fills
them (fields that are absent or null, not required, with a ``default``): the price per image is
the ``perImage`` entry whose ``value`` equals the input's ``field`` (``absentValue`` when it is
absent; no field: the one entry), times the count: the first of ``countFields`` the input holds
(an integer or a numeric string), else the ``count`` of the first ``absentCountWhen`` entry
whose ``field`` holds its ``value``, else ``absentCount``. Values compare by type as well: "1"
is not 1 and true is not 1, as ``PerImageBy`` and ``CountRule`` compare them.
"""

from __future__ import annotations

from typing import Any

from imagegate.catalog.pricing import PerImage, PerImageBy
from imagegate.catalog.spec import ModelSpec


def price_table(spec: ModelSpec) -> dict[str, Any]:
    """``spec``'s price rule for an input in its own spelling (the one ``object_schema``
    describes)."""
    pricing = spec.pricing
    table: dict[str, Any]
    if isinstance(pricing, PerImage):
        table = {"field": None, "absentValue": None,
                 "perImage": [{"value": None, "milli": pricing.milli}]}
    elif isinstance(pricing, PerImageBy):
        table = {
            "field": pricing.field,
            "absentValue": pricing.absent,
            "perImage": [{"value": value, "milli": milli}
                         for value, milli in pricing.milli.items()],
        }
    else:  # a new kind of Pricing must say here how a client computes it
        raise TypeError(f"model {spec.name}: no price table for {type(pricing).__name__}")
    count = spec.count_rule()
    return {
        **table,
        "countFields": list(count.fields),
        "absentCount": count.absent,
        "absentCountWhen": [{"field": name, "value": value, "count": n}
                            for name, value, n in count.absent_when],
    }
