"""createTask with a model the catalog does not know: forwarded as sent where an operator
turned pass-through on for an upstream route (engines/upstream/pass_through.py), else the
usual 422 naming ``model``.

imagegate knows no field of such a model, so it checks only what every create has: ``input``
is a JSON object. The object is kept and forwarded untouched, and the task's ``param`` echoes
the request as sent, like any other. Its price is the route's, from the runtime's ``Routing``.
"""

from __future__ import annotations

import re
from typing import Any

from imagegate.api.services import Routing
from imagegate.catalog import all_models
from imagegate.errors import ValidationFailed

# What a provider's model id looks like ("seedream/4.5-edit", "nano-banana-2"): anything else
# is no model anyone sells, and the task row keeps at most 100 characters of it.
MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:+-]{0,99}")


def unknown_model(model: str) -> ValidationFailed:
    """The 422 of a model nobody serves, naming the ones the catalog knows."""
    known = ", ".join(sorted(m.name for m in all_models()))
    return ValidationFailed("model", f"unknown model {model!r} (known models: {known})")


def passed_through(
    model: str, body: dict[str, Any], routing: Routing
) -> tuple[dict[str, Any], int]:
    """The input to keep and the price (millicredits) of a task of ``model``, which the catalog
    does not know; the usual 422 naming ``model`` when no pass-through route takes it, one
    naming ``input`` when that is missing or not an object."""
    price = routing.pass_through_price(model) if MODEL_ID.fullmatch(model) else None
    if price is None:
        raise unknown_model(model)
    if "input" not in body:
        raise ValidationFailed("input", "is required")
    value = body["input"]
    if not isinstance(value, dict):
        raise ValidationFailed("input", "must be an object")
    return value, price
