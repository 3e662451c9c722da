"""Every store protocol of tasks/ (and, through accounts/memory.py, of accounts/) in memory, on
one ``MemoryDatabase`` that all the stores of one backend share: for unit tests that need a
store but no database, and for a server that keeps nothing (``backend.open_memory``).

One module per idea: ``database`` (the rows), ``rows`` (a task, a key, a callback as stored),
``queue`` (create and claim), ``ending`` (finish and cancel), ``store`` (the backend's one
store object), ``outbox``, ``registries`` (files, workers), ``reads`` (dashboard, queue
counts) and ``retention``.
"""
