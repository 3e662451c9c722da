"""Ideogram's own reframe API: ``POST /reframe`` (legacy, spec 003) and
``POST /v1/ideogram-v3/reframe`` (provider notes), as thin adapters over the one task lifecycle.

Each request is translated into an ordinary ``ideogram/v3-reframe`` task through the jobs API's
one create path (so it is rate limited, charged, queued, retried and recorded like any other),
then answered synchronously: the handler waits for the task to end and renders Ideogram's
``{created, data: [...]}``. Errors are Ideogram's ``{"error": "..."}`` with imagegate's messages.

The jobs API's ``ideogram/v3-reframe`` takes only the six named size presets and 1-4 images (as
Kie documents it); Ideogram takes its 69 "WxH" resolutions and 1-8 images. The adapter checks
Ideogram's fields itself and creates the task with a variant of the catalog's spec that differs
in exactly those two fields (``reframe_spec``): same name, same price, same engines.

Modules: ``answers`` (Ideogram's errors and answer models), ``form`` (the multipart form),
``task`` (the task side and the shared request flow), ``routes`` (the router and what both
declarations share), ``legacy`` and ``v3`` (each endpoint: parsing, OpenAPI body, route).
Importing ``legacy`` and ``v3`` here registers their routes on ``router``, legacy first.
"""

from __future__ import annotations

from imagegate.api.ideogram import legacy, v3
from imagegate.api.ideogram.routes import router
from imagegate.api.ideogram.task import reframe_spec

__all__ = ["legacy", "reframe_spec", "router", "v3"]
