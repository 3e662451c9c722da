"""How the operator's controls show what they change, as the admin API answers it and
``imagegate admin ...`` prints it: an account, an API key (never the key itself), the
maintenance switch and each model's switch. Plain JSON values, credits as Kie shows them."""

from __future__ import annotations

from typing import Any

from imagegate.accounts.caps import Spend
from imagegate.accounts.model import Account, ApiKey
from imagegate.catalog import all_models
from imagegate.catalog.pricing import milli_to_credits
from imagegate.clock import now_ms
from imagegate.tasks.switches import SwitchState


def account_view(account: Account) -> dict[str, Any]:
    """An account: its balance in credits, whether it signs callbacks (never the secret)."""
    return {
        "id": account.id,
        "name": account.name,
        "keyPrefix": account.key_prefix,
        "credits": milli_to_credits(account.credits_milli),
        "hasWebhookSecret": account.webhook_secret is not None,
        "webhookScheme": account.webhook_scheme,
        "createRate": account.create_rate,
        "queryRate": account.query_rate,
        "disabled": account.disabled,
        "createdAt": account.created_at,
    }


def _credits(milli: int | None) -> float | int | None:
    return None if milli is None else milli_to_credits(milli)


def key_status(key: ApiKey, now: int) -> str:
    """``revoked``, ``expired`` (past its expiry, a rotated key's grace too) or ``active``."""
    if key.revoked_at is not None:
        return "revoked"
    return "active" if key.valid_at(now) else "expired"


def key_view(key: ApiKey, spend: Spend | None = None) -> dict[str, Any]:
    """A key (never the key itself): status, caps in credits, allow-list, and with ``spend``
    what it spent in each cap's window."""
    view: dict[str, Any] = {
        "id": key.id,
        "accountId": key.account_id,
        "name": key.name,
        "keyPrefix": key.key_prefix,
        "status": key_status(key, now_ms()),
        "createdAt": key.created_at,
        "revokedAt": key.revoked_at,
        "expiresAt": key.expires_at,
        "hourlyCap": _credits(key.caps.hourly_milli),
        "dailyCap": _credits(key.caps.daily_milli),
        "totalCap": _credits(key.caps.total_milli),
        "ipAllow": key.ip_allow.split(",") if key.ip_allow else None,
    }
    if spend is not None:
        view["spent"] = {
            "hourly": milli_to_credits(spend.hourly_milli),
            "daily": milli_to_credits(spend.daily_milli),
            "total": milli_to_credits(spend.total_milli),
        }
    return view


def maintenance_view(state: SwitchState) -> dict[str, Any]:
    """Whether maintenance is on, since when (epoch ms), with which message."""
    return {
        "on": state.maintenance_since is not None,
        "since": state.maintenance_since,
        "message": state.maintenance_message,
    }


def models_view(state: SwitchState) -> list[dict[str, Any]]:
    """Every model of the catalog by name: whether the operator turned it off, and why."""
    return [
        {
            "model": spec.name,
            "enabled": spec.name not in state.disabled_models,
            "reason": state.disabled_models.get(spec.name),
        }
        for spec in sorted(all_models(), key=lambda m: m.name)
    ]
