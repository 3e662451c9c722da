"""The meta rows (``MetaStore``) on every backend, and the operator's switches over them:
models turned off by several operators (or API processes) at the same instant all stay off,
because the list is changed by compare-and-set (switches.py, ``swap_meta``).

Moved here whole from test_switches.py (SQLite and PostgreSQL), now on memory too."""

from __future__ import annotations

import asyncio

from imagegate.backend import Backend
from imagegate.tasks.switches import DISABLED_MODELS_META, ServiceSwitches

MODELS = [f"vendor/model-{n}" for n in range(12)]


async def test_meta_rows_are_set_and_replaced(backend: Backend) -> None:
    store = backend.store
    assert await store.get_meta("admin_key_hash") is None
    await store.set_meta("admin_key_hash", "a")
    await store.set_meta("admin_key_hash", "b")
    assert await store.get_meta("admin_key_hash") == "b"


async def test_swap_meta_sets_only_what_the_writer_read(backend: Backend) -> None:
    store = backend.store
    assert await store.swap_meta("k", None, "one")
    assert not await store.swap_meta("k", None, "again")  # it exists now
    assert not await store.swap_meta("k", "stale", "two")
    assert await store.swap_meta("k", "one", "two")
    assert await store.get_meta("k") == "two"


async def test_models_turned_off_at_once_from_several_processes_all_stay_off(
    backend: Backend,
) -> None:
    # Three switch objects over one database, as three API processes have.
    processes = [ServiceSwitches(backend.store) for _ in range(3)]
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
    assert await backend.store.get_meta(DISABLED_MODELS_META) is not None
