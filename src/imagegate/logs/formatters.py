"""The two line formats: JSON (one object per line, for a log pipeline) and text (for a
person at a terminal). Both add the task context (logs/context.py) and mask exception text."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from imagegate.logs import context
from imagegate.logs.redact import redact


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", requestId?, taskId?, account?, model?,
    engine?, "exception"?}`` on one line; time in ISO 8601 UTC with milliseconds."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        line.update(context.line_fields())
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = redact(record.exc_text)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message [requestId=... taskId=... model=...]``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = context.line_fields()
        if fields:
            first, newline, rest = text.partition("\n")
            suffix = " ".join(f"{k}={v}" for k, v in fields.items())
            text = f"{first} [{suffix}]{newline}{rest}"
        return text

    def formatException(self, ei: logging._SysExcInfoType) -> str:
        return redact(super().formatException(ei))
