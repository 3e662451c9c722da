"""Policy for every request to a user-given URL (input images, callbacks, file-url uploads):
http(s) to public addresses unless allow-listed, pinned to the vetted IP against DNS rebinding.

What can go wrong is ``OutboundError`` and its subclasses, in the one tree of
``imagegate.errors``; callers translate them at their edge.
"""

# The errors are re-exported because they are part of what a caller of ``download`` handles.
from imagegate.errors import (
    DownloadFailed,
    DownloadStatus,
    DownloadTimeout,
    DownloadTooLarge,
    OutboundError,
    OutboundRefused,
    TooManyRedirects,
)
from imagegate.outbound.download import Downloaded, download
from imagegate.outbound.policy import (
    ResolvedUrl,
    UrlPolicy,
    address_problem,
    outbound_client,
    send_pinned,
)

__all__ = [
    "DownloadFailed", "DownloadStatus", "DownloadTimeout", "DownloadTooLarge", "Downloaded",
    "OutboundError", "OutboundRefused", "ResolvedUrl", "TooManyRedirects", "UrlPolicy",
    "address_problem", "download", "outbound_client", "send_pinned",
]
