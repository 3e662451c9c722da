"""``configure_logging``: the root handler every process of imagegate logs through."""

from __future__ import annotations

import logging
import sys

from imagegate.logs.formatters import JsonFormatter, TextFormatter
from imagegate.logs.redact import RedactingFilter

LOG_FORMATS = ("text", "json")


def configure_logging(level: str, log_format: str) -> None:
    """One stderr handler on the root logger, masking secrets, in ``log_format``; replaces
    any handler installed before (a second call reconfigures instead of doubling lines)."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log_format {log_format!r}: use one of {', '.join(LOG_FORMATS)}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's loggers go through the root handler (serve passes log_config=None), so their
    # lines are formatted and masked as ours are.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # Alembic narrates every start ("Context impl SQLiteImpl..."); migrate.py says the one
    # thing an operator needs: that the schema was upgraded, from which revision.
    logging.getLogger("alembic").setLevel(logging.WARNING)
