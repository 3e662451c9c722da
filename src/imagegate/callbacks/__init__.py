"""Callbacks: the outbox (``outbox``, ``pg_outbox``) and its sender (``sender``); a body is
rendered through ``imagegate.wire`` when it is sent, and signed and verified there too
(``imagegate.wire.webhooks``; a receiver imports ``verify`` from ``imagegate.client``)."""
