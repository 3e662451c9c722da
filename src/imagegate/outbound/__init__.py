"""Policy for every request to a user-given URL (input images, callbacks, file-url uploads):
http(s) to public addresses unless allow-listed, pinned to the vetted IP against DNS rebinding.

What can go wrong is ``OutboundError`` and its subclasses, defined in the one tree of
``imagegate.errors`` and imported from there; callers translate them at their edge.
"""

from imagegate.outbound.download import Downloaded, download
from imagegate.outbound.policy import (
    ResolvedUrl,
    UrlPolicy,
    address_problem,
    outbound_client,
    send_pinned,
)

__all__ = [
    "Downloaded", "ResolvedUrl", "UrlPolicy", "address_problem", "download", "outbound_client",
    "send_pinned",
]
