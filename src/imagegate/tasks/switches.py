"""The operator's switches: maintenance mode and models turned off, kept in the ``meta`` table
so that every API process of a fleet agrees, and read through a short cache.

Maintenance refuses new tasks (Kie's 455, HTTP 503) while queries, downloads and the worker go
on, so running tasks finish. A disabled model refuses new tasks of that model (505, HTTP 403).
A change reaches every process within ``ttl`` seconds (at once in the process that made it).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Protocol

from imagegate.clock import now_ms
from imagegate.errors import FeatureDisabled, Maintenance

MAINTENANCE_META = "maintenance"
DISABLED_MODELS_META = "disabled_models"
# Compare-and-set rounds before set_model gives up (each lost round means another change landed).
_SWAP_TRIES = 50


class MetaStore(Protocol):
    """The part of a task store (SQLite or PostgreSQL) the switches live in."""

    async def get_meta(self, key: str) -> str | None: ...

    async def set_meta(self, key: str, value: str) -> None: ...

    async def swap_meta(self, key: str, expected: str | None, value: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class SwitchState:
    """Maintenance (since when, in epoch ms, and the operator's message) and the models
    turned off, each with the operator's reason (or None)."""

    maintenance_since: int | None = None
    maintenance_message: str | None = None
    disabled_models: dict[str, str | None] = field(default_factory=dict)

    def check(self, model: str) -> None:
        """Refuse a new task of ``model``: 455 in maintenance, 505 for a model turned off."""
        if self.maintenance_since is not None:
            raise Maintenance(
                "Service under maintenance: new tasks are not accepted for now, please try"
                " again later (tasks already created still finish and can be queried)"
                + (f": {self.maintenance_message}" if self.maintenance_message else "")
            )
        if model in self.disabled_models:
            reason = self.disabled_models[model]
            raise FeatureDisabled(
                f"Model {model} is disabled by the operator of this service"
                + (f": {reason}" if reason else "")
            )


def _decode(maintenance: str | None, models: str | None) -> SwitchState:
    on = json.loads(maintenance) if maintenance else None
    return SwitchState(
        maintenance_since=on["since"] if on else None,
        maintenance_message=on.get("message") if on else None,
        disabled_models=json.loads(models) if models else {},
    )


class ServiceSwitches:
    """Reads and sets the switches over a store's ``meta`` rows."""

    def __init__(self, store: MetaStore, ttl: float = 2.0) -> None:
        self.store = store
        self.ttl = ttl
        self._cached: tuple[float, SwitchState] | None = None

    async def state(self) -> SwitchState:
        """The switches as of at most ``ttl`` seconds ago."""
        now = time.monotonic()
        if self._cached is not None and self._cached[0] > now:
            return self._cached[1]
        state = await self.read()
        self._cached = (now + self.ttl, state)
        return state

    async def read(self) -> SwitchState:
        """The switches as stored now (no cache)."""
        return _decode(
            await self.store.get_meta(MAINTENANCE_META),
            await self.store.get_meta(DISABLED_MODELS_META),
        )

    async def check(self, model: str) -> None:
        """Raise 455 or 505 when a new task of ``model`` is refused now."""
        (await self.state()).check(model)

    def forget(self) -> None:
        self._cached = None

    async def set_maintenance(self, on: bool, message: str | None = None) -> SwitchState:
        value = json.dumps({"since": now_ms(), "message": message}) if on else ""
        await self.store.set_meta(MAINTENANCE_META, value)
        self.forget()
        return await self.read()

    async def set_model(self, model: str, enabled: bool, reason: str | None = None) -> SwitchState:
        """Turn a model off (with the reason shown to callers) or on again.

        The list is one row, changed by compare-and-set: when another operator (or process)
        changed it between this read and this write, it is read again and the change re-applied,
        so two changes at the same instant both land.
        """
        for _ in range(_SWAP_TRIES):
            stored = await self.store.get_meta(DISABLED_MODELS_META)
            models = dict(_decode(None, stored).disabled_models)
            if enabled:
                models.pop(model, None)
            else:
                models[model] = reason
            if await self.store.swap_meta(
                DISABLED_MODELS_META, stored, json.dumps(models, sort_keys=True)
            ):
                break
        else:
            raise RuntimeError(f"the model list kept changing: {model} not set after "
                               f"{_SWAP_TRIES} tries")
        self.forget()
        return await self.read()
