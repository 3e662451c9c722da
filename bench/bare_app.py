"""The ceiling for ``bench/run_core.py``: a hello-world on the same HTTP stack as imagegate.

FastAPI on uvicorn, started exactly as ``imagegate serve`` starts its app (one process, the
loop and HTTP parser ``uvicorn[standard]`` picks, i.e. uvloop and httptools, no access log),
answering ``POST /hello`` with the body createTask answers. Whatever imagegate does beyond
this (authentication, validation, SQLite, the worker) is what the benchmark's ratio measures.

Run: ``python bench/bare_app.py --port 8123``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

_ANSWER: dict[str, Any] = {"code": 200, "msg": "success", "data": {"taskId": "x"}}


class _CompactJSON(JSONResponse):
    """JSON without spaces, rendered per response as imagegate's ``JSONBody`` does."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode()


def create_app() -> FastAPI:
    app = FastAPI(title="bare hello-world")

    @app.post("/hello")
    async def hello_post(request: Request) -> Response:
        # Read and parse the body as createTask does, so the ceiling pays for the same JSON.
        body = json.loads(await request.body())
        if not isinstance(body, dict):
            return _CompactJSON({"code": 400, "msg": "not an object", "data": None}, 400)
        return _CompactJSON(_ANSWER)

    @app.get("/hello")
    async def hello_get() -> Response:
        return _CompactJSON(_ANSWER)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The same Config as imagegate.cli.main.serve, with the bench's log level (warning).
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(),
            host=args.host,
            port=args.port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=10,
        )
    )
    server.run()


if __name__ == "__main__":
    main()
