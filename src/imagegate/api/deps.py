"""FastAPI dependencies shared by the routers: the runtime of the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from fastapi import Request

if TYPE_CHECKING:
    from imagegate.runtime import Runtime


def runtime_of(request: Request) -> Runtime:
    return cast("Runtime", request.app.state.runtime)


async def get_runtime(request: Request) -> Runtime:
    """The runtime, as a FastAPI dependency.

    async on purpose: FastAPI runs a plain ``def`` dependency in its thread pool, a round trip
    that cost 157 µs per request (bench/run_core.py, py-spy).
    """
    return runtime_of(request)
