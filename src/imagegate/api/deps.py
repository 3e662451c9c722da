"""FastAPI dependencies shared by the routers: the app's ``Services`` (api/services.py)."""

from __future__ import annotations

from typing import cast

from fastapi import Request

from imagegate.api.services import Services, ServicesHost


def services_of(request: Request) -> Services:
    """The services of the app serving ``request``: read from its host at each request,
    because a PostgreSQL backend opens only when the app starts."""
    return cast(ServicesHost, request.app.state.host).services


async def get_services(request: Request) -> Services:
    """The services, as a FastAPI dependency.

    async on purpose: FastAPI runs a plain ``def`` dependency in its thread pool, a round trip
    that cost 157 µs per request (bench/run_core.py, py-spy).
    """
    return services_of(request)
