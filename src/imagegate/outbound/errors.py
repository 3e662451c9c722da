"""What can go wrong with a request to a user-given URL; callers translate these at their edge."""

from __future__ import annotations


class OutboundError(Exception):
    """Root of the errors of a request to a user-given URL; the message says what went wrong."""


class OutboundRefused(OutboundError):
    """A URL imagegate will not contact; ``reason`` says why. When the n-th redirect's target
    was refused, ``hop`` is n and ``url`` is that target (the message names it); else 0, None."""

    def __init__(self, reason: str, *, url: str | None = None, hop: int = 0) -> None:
        super().__init__(f"redirected to {url}: {reason}" if hop else reason)
        self.reason = reason
        self.url = url
        self.hop = hop


class TooManyRedirects(OutboundError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"too many redirects (more than {limit})")
        self.limit = limit


class DownloadStatus(OutboundError):
    def __init__(self, status: int) -> None:
        super().__init__(f"server answered HTTP {status}")
        self.status = status


class DownloadTooLarge(OutboundError):
    """Over ``limit`` bytes; ``declared`` is the Content-Length when that alone refused it."""

    def __init__(self, limit: int, declared: int | None) -> None:
        size = "over the limit" if declared is None else f"{declared} bytes, over the limit"
        super().__init__(f"body is {size} of {limit} bytes")
        self.limit = limit
        self.declared = declared


class DownloadTimeout(OutboundError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"timed out after {seconds:g} s")
        self.seconds = seconds


class DownloadFailed(OutboundError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
