"""An upstream's result links, downloaded into imagegate: provider links expire (Kie's after
14 days, Ideogram's after 24 hours), imagegate's results live as long as the operator says.

The links come from the upstream's answer, so they are fetched under the same URL policy as a
user's input: a provider (or whoever poses as one) cannot make imagegate fetch its private
network. A result that is not a PNG, JPEG or WebP image, or that cannot be decoded, counts as
the upstream failing, never as the user's fault.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence

import httpx
from PIL import Image

from imagegate.engines.base import OutputImage
from imagegate.errors import (
    DownloadStatus,
    DownloadTimeout,
    DownloadTooLarge,
    EngineUnavailable,
    GenerationFailed,
    OutboundError,
    OutboundRefused,
)
from imagegate.imagetypes import sniff_image
from imagegate.outbound import UrlPolicy, download

_RESULT_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})
_HEADERS = {"Accept": "image/png, image/jpeg, image/webp", "User-Agent": "imagegate"}


def _dimensions(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.size


class ResultDownloader:
    """Fetches the result images of one upstream task, in order."""

    def __init__(self, client: httpx.AsyncClient, policy: UrlPolicy, timeout: float,
                 max_bytes: int) -> None:
        self._client = client
        self._policy = policy
        self._timeout = timeout
        self._max_bytes = max_bytes

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch_all(self, name: str, upstream_id: str, urls: Sequence[str]
                        ) -> list[OutputImage]:
        if not urls:
            raise GenerationFailed(f"upstream {name}: task {upstream_id} succeeded with no images")
        return [await self.fetch(name, upstream_id, url, index, len(urls))
                for index, url in enumerate(urls)]

    async def fetch(self, name: str, upstream_id: str, url: str, index: int, count: int
                    ) -> OutputImage:
        what = f"upstream {name}: result {index + 1} of {count} of task {upstream_id}"
        try:
            got = await download(
                self._client, self._policy, url, max_bytes=self._max_bytes,
                timeout=self._timeout, headers=_HEADERS,
            )
        except DownloadStatus as exc:
            raise GenerationFailed(f"{what} answered HTTP {exc.status} at {url}") from exc
        except DownloadTimeout as exc:
            raise EngineUnavailable(f"{what} did not download within {self._timeout:g} s") from exc
        except DownloadTooLarge as exc:
            raise GenerationFailed(f"{what} is larger than {exc.limit} bytes") from exc
        except OutboundRefused as exc:
            raise GenerationFailed(f"{what} is at a refused address: {exc}") from exc
        except OutboundError as exc:
            raise EngineUnavailable(f"{what} could not be downloaded: {exc}") from exc
        mime = sniff_image(got.data)
        if mime not in _RESULT_TYPES:
            raise GenerationFailed(f"{what} is not a PNG, JPEG or WebP image")
        try:
            width, height = await asyncio.to_thread(_dimensions, got.data)
        except Exception as exc:  # Pillow raises many types on a broken file
            raise GenerationFailed(f"{what} is a broken image ({exc})") from exc
        return OutputImage(data=got.data, mime_type=mime, width=width, height=height)

