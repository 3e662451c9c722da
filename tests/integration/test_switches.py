"""The operator's switches over a real store, SQLite and PostgreSQL: models turned off by
several operators (or API processes) at the same instant all stay off, because the list is
changed by compare-and-set (switches.py, ``swap_meta``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from imagegate.tasks.switches import DISABLED_MODELS_META, ServiceSwitches

MODELS = [f"vendor/model-{n}" for n in range(12)]


@pytest.fixture
def store(store_on_both: Any) -> Any:
    return store_on_both


async def test_swap_meta_sets_only_what_the_writer_read(store: Any) -> None:
    assert await store.swap_meta("k", None, "one")
    assert not await store.swap_meta("k", None, "again")  # it exists now
    assert not await store.swap_meta("k", "stale", "two")
    assert await store.swap_meta("k", "one", "two")
    assert await store.get_meta("k") == "two"


async def test_models_turned_off_at_once_from_several_processes_all_stay_off(
    store: Any,
) -> None:
    # Three switch objects over one database, as three API processes have.
    processes = [ServiceSwitches(store) for _ in range(3)]
    await asyncio.gather(*(
        processes[n % 3].set_model(model, enabled=False, reason=f"r{n}")
        for n, model in enumerate(MODELS)
    ))
    state = await processes[0].read()
    assert state.disabled_models == {model: f"r{n}" for n, model in enumerate(MODELS)}

    # Turning half of them on again, concurrently, leaves exactly the other half off.
    await asyncio.gather(*(
        processes[n % 3].set_model(model, enabled=True) for n, model in enumerate(MODELS[::2])
    ))
    assert sorted((await processes[1].read()).disabled_models) == sorted(MODELS[1::2])
    assert await store.get_meta(DISABLED_MODELS_META) is not None
