"""The URLs of a create request, checked before anything is charged: every image-URL field of
the model and the callback URL, on every surface that creates tasks (they all come through
``jobs.create_task``).

- A URL whose host is a private, loopback, link-local or metadata address in any spelling
  (``127.1``, ``2130706433``, ``[::ffff:127.0.0.1]``, ``metadata.google.internal``) is a 422
  naming the field, unless the operator's allow-list names it: judged from the URL alone
  (``UrlPolicy.refusal_at_sight``), with no DNS lookup in the request path. A name that
  resolves to such an address, a DNS answer that changes, and redirects are still refused
  where the URL is used (the worker's fetch, the callback sender), which look it up.
- One of this server's own file links (an upload, a result) is read from storage, never over
  HTTP, so its (often loopback) address is no refusal; instead it must be usable (signed by
  this server, not expired) and, as an input image, its stored file must fit the field: its
  type and bytes as recorded when it was stored, against the field's documented limits under
  the operator's cap. The worker reads and checks the file again, pixels included.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from imagegate.api.services import Services
from imagegate.catalog import ModelSpec
from imagegate.catalog.fields import ImageLimits
from imagegate.errors import ValidationFailed
from imagegate.storage.image_checks import human_size, type_names

__all__ = ["check_request_urls"]

async def check_request_urls(
    services: Services,
    spec: ModelSpec | None,
    validated: Mapping[str, Any],
    body: Mapping[str, Any],
    callback_url: str | None,
) -> None:
    """422 naming the first field whose URL imagegate will not use (see the module's
    docstring). ``spec`` None: a pass-through model, whose input goes upstream as sent."""
    if callback_url is not None:
        # The spelling jobs.callback_url_of read it from.
        field = "callBackUrl" if body.get("callBackUrl") else "callbackUrl"
        problem = services.policy.refusal_at_sight(callback_url)
        if problem is not None:
            raise ValidationFailed(field, f"imagegate will not send callbacks there: {problem}")
    if spec is None:
        return
    for name, limits in spec.image_inputs().items():
        value = validated.get(name)
        if isinstance(value, str):
            await _check_image_url(services, f"input.{name}", value, limits)
        elif isinstance(value, list):
            for index, url in enumerate(value):
                await _check_image_url(services, f"input.{name}[{index}]", url, limits)


async def _check_image_url(services: Services, path: str, url: str, limits: ImageLimits) -> None:
    own = services.signer.own_file_url(url.strip())
    if own is None:
        problem = services.policy.refusal_at_sight(url)
        if problem is not None:
            raise ValidationFailed(path, f"imagegate will not fetch it: {problem}")
        return
    if own.problem is not None:
        raise ValidationFailed(path, f"this server's file link {own.problem}")
    stored = await services.files.get(own.key)
    if stored is None:
        # A blob without its row (or neither): the worker reads it, or says it is gone.
        return
    limit = min(limits.max_bytes, services.settings.max_image_bytes)
    if stored.size > limit:
        raise ValidationFailed(
            path,
            f"the file is {human_size(stored.size)}, larger than the limit of"
            f" {human_size(limit)} for an input image of this field",
        )
    # The recorded type is the magic bytes' for every image type a field takes, so a file
    # recorded as anything else is no image the worker would accept.
    if stored.mime_type not in limits.accepted_types:
        raise ValidationFailed(
            path,
            f"the file is {stored.mime_type}, not a {type_names(limits.accepted_types)} image",
        )
