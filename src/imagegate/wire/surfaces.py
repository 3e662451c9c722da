"""The surfaces a task can be created through (``Surface``): the name a task keeps of the API
that made it, so that its callback is rendered in that API's shape (``wire/callbacks.py``).

The names are stored (``tasks.surface``, ``callbacks.surface``): never rename one.
"""

from __future__ import annotations

from enum import StrEnum


class Surface(StrEnum):
    """The API a task was created through."""

    # Kie's jobs API: /api/v1/jobs/createTask. Rows from before the surface was kept are jobs
    # tasks.
    JOBS = "jobs"
    # Spec 002's /api/v2/jobs/createTask: the same record, answered as spec 002 shows its query
    # response (``message`` in the envelope, ``failCode``/``failMsg`` "" rather than null).
    JOBS_V2 = "jobs-v2"
    # Kie's GPT-4o Image endpoints (/api/v1/gpt4o-image/generate).
    GPT4O_IMAGE = "gpt4o-image"
    # Kie's Flux Kontext endpoints (/api/v1/flux/kontext/generate).
    FLUX_KONTEXT = "flux-kontext"
    # Spec 002's per-model endpoints (/api/v1/<path>: Seedream, Imagen 4, Ideogram V3).
    MODEL_ENDPOINTS = "model-endpoints"
    # Ideogram's own reframe (/reframe, /v1/ideogram-v3/reframe): answered when the task
    # ends, never with a callback.
    IDEOGRAM = "ideogram"
