"""A task as the client sees it: recordInfo's ``data`` (or a callback's) parsed once."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from imagegate.client.errors import ProtocolError

# Kie's task states: the client reads the same names the server shows (``success`` and
# ``fail`` are terminal).
from imagegate.wire.states import TaskState as TaskState

TERMINAL_STATES = frozenset(state for state in TaskState if state.is_terminal)


@dataclass(frozen=True)
class Task:
    """One task: its state, results (``result_urls``) or failure (``fail_code``,
    ``fail_msg``), and times in epoch milliseconds. ``raw`` is the record as received, for
    fields this type does not name (``consumeCredits`` of a callback, a provider's extras)."""

    task_id: str
    state: TaskState
    model: str | None = None
    result_urls: tuple[str, ...] = ()
    fail_code: str | None = None
    fail_msg: str | None = None
    progress: int | None = None
    param: Mapping[str, Any] | None = None
    create_time: int | None = None
    update_time: int | None = None
    complete_time: int | None = None
    cost_time: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_terminal(self) -> bool:
        return self.state.is_terminal

    @property
    def succeeded(self) -> bool:
        return self.state is TaskState.SUCCESS

    @property
    def failed(self) -> bool:
        return self.state is TaskState.FAIL

    @classmethod
    def from_record(cls, data: Any) -> Task:
        """Parse recordInfo's ``data`` (also a callback's ``data``)."""
        if not isinstance(data, Mapping):
            raise ProtocolError(f"task record is not an object: {data!r:.200}")
        task_id = data.get("taskId") or data.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            raise ProtocolError(f"task record has no taskId: {dict(data)!r:.200}")
        raw_state = data.get("state")
        try:
            state = TaskState(str(raw_state).lower())
        except ValueError:
            raise ProtocolError(f"task {task_id} has an unknown state {raw_state!r}") from None
        fail_code = data.get("failCode")
        return cls(
            task_id=task_id,
            state=state,
            model=_text(data.get("model")),
            result_urls=_result_urls(data.get("resultJson")),
            # Kie documents failCode as a string; some answers carry a number.
            fail_code=None if fail_code in (None, "") else str(fail_code),
            fail_msg=_text(data.get("failMsg")) or None,
            progress=_int(data.get("progress")),
            param=_param(data.get("param")),
            create_time=_int(data.get("createTime")),
            update_time=_int(data.get("updateTime")),
            complete_time=_int(data.get("completeTime")),
            cost_time=_int(data.get("costTime")),
            raw=dict(data),
        )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _json(value: Any) -> Any:
    # Kie sends resultJson and param as JSON strings; tolerate them already parsed.
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _result_urls(value: Any) -> tuple[str, ...]:
    parsed = _json(value)
    urls = parsed.get("resultUrls") if isinstance(parsed, Mapping) else None
    if not isinstance(urls, list):
        return ()
    return tuple(url for url in urls if isinstance(url, str) and url)


def _param(value: Any) -> Mapping[str, Any] | None:
    parsed = _json(value)
    return dict(parsed) if isinstance(parsed, Mapping) else None


def parse_callback(body: bytes | str | Mapping[str, Any]) -> Task:
    """The Task a callback carries (Kie's body: ``{code, msg, data}``, ``data`` as in
    recordInfo), from the raw request body or its parsed JSON; any web framework will do.
    Verify it first with ``imagegate.client.verify`` when the account signs callbacks."""
    parsed: Any = body
    if isinstance(body, bytes | str):
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ProtocolError("callback body is not JSON") from None
    if not isinstance(parsed, Mapping) or not isinstance(parsed.get("data"), Mapping):
        raise ProtocolError("callback body has no data object")
    return Task.from_record(parsed["data"])
