"""Policy for every request to a user-given URL (input images, callbacks, file-url uploads):
http(s) to public addresses unless allow-listed, pinned to the vetted IP against DNS rebinding.

    OutboundError           root; the message is a phrase for the caller's own envelope
    ├── OutboundRefused     the URL, or a redirect's target, breaks the policy
    ├── TooManyRedirects    more redirects than the caller allows
    ├── DownloadStatus      the server answered neither 2xx nor a redirect
    ├── DownloadTooLarge    the body, declared or streamed, is over the byte cap
    ├── DownloadTimeout     the deadline over the whole download passed
    └── DownloadFailed      connect, read or protocol failure (httpx errors, translated)
"""

from imagegate.outbound.download import Downloaded, download
from imagegate.outbound.errors import (
    DownloadFailed,
    DownloadStatus,
    DownloadTimeout,
    DownloadTooLarge,
    OutboundError,
    OutboundRefused,
    TooManyRedirects,
)
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
