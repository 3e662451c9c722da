"""Callbacks: the sender (``sender``), which delivers the outbox's rows (``tasks/outbox.py``,
kept by ``db/``) and renders each body through ``imagegate.wire.callbacks`` when it sends it;
bodies are signed and verified in ``imagegate.wire.webhooks`` (a receiver imports ``verify``
from ``imagegate.client``)."""
