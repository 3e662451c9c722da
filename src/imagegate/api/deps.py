"""FastAPI dependencies shared by the routers: the runtime of the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from fastapi import Request

if TYPE_CHECKING:
    from imagegate.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    return cast("Runtime", request.app.state.runtime)
