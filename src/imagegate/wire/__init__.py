"""The providers' shapes as pure functions: task states (``states``), records and callback
bodies per surface, the envelope they travel in, and webhook signing and verifying.

Nothing here does I/O or imports the server's other parts (only ``imagegate.errors`` and
``imagegate.catalog`` may be imported), so the client can use it where no server is installed.
This file imports nothing, so importing one module pulls in only that module.
"""
