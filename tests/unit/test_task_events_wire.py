"""The pure parts of live task events: which events a reading of the task gives and their ids
(wire/task_events.py), ``Last-Event-ID`` parsing, the client's SSE parser (client/core/events.py)
and the fleet's NOTIFY payloads (tasks/watch.py ``batches``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from imagegate.client.core import EventParser
from imagegate.tasks.watch import MAX_PAYLOAD, TaskWatch, WakeRelay, batches
from imagegate.wire.states import TaskState
from imagegate.wire.task_events import Shown, parse_last_event_id


@dataclass
class Row:
    id: str
    state: TaskState
    progress: int
    update_time: int


def record() -> dict[str, str]:
    return {"taskId": "t", "state": "success"}


def test_each_reading_gives_only_what_changed_with_growing_ids() -> None:
    shown = Shown()
    first = shown.events(Row("t", TaskState.WAITING, 0, 100), record)
    same = shown.events(Row("t", TaskState.WAITING, 0, 105), record)  # a heartbeat's write
    running = shown.events(Row("t", TaskState.GENERATING, 10, 200), record)
    moved = shown.events(Row("t", TaskState.GENERATING, 40, 300), record)
    done = shown.events(Row("t", TaskState.SUCCESS, 100, 400), record)
    assert [e.event for e in first] == ["state"] and same == []
    assert [e.event for e in running + moved + done] == ["state", "progress", "state", "record"]
    ids = [e.id for e in first + running + moved + done]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert done[-1].data == record() and moved[0].data == {"taskId": "t", "progress": 40}
    assert first[0].encode().endswith(b"\n\n") and b"event: state\n" in first[0].encode()


def test_a_resume_skips_what_was_seen_but_always_sends_the_record() -> None:
    seen = Shown().events(Row("t", TaskState.SUCCESS, 100, 400), record)
    after_record = Shown(after=seen[-1].id).events(Row("t", TaskState.SUCCESS, 100, 400), record)
    assert [e.event for e in after_record] == ["record"]
    assert after_record[0].id > seen[-1].id
    unchanged = Shown(after=2000).events(Row("t", TaskState.WAITING, 0, 200), record)
    assert unchanged == []  # nothing newer than what the client saw
    newer = Shown(after=1000).events(Row("t", TaskState.QUEUING, 5, 200), record)
    assert [e.event for e in newer] == ["state"]


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "١٢", "9" * 21])
def test_a_last_event_id_is_digits(value: str) -> None:
    with pytest.raises(ValueError):
        parse_last_event_id(value)
    assert parse_last_event_id(None) is None and parse_last_event_id("42") == 42


def test_the_client_parser_follows_the_sse_grammar() -> None:
    parser = EventParser()
    lines = ["retry: 2000", "", ": keep-alive", "", "id: 7", "event: state",
             'data: {"state":', 'data: "waiting"}', "", "data: plain", ""]
    events = [e for e in (parser.feed(line) for line in lines) if e is not None]
    assert [(e.event, e.id, e.data) for e in events] == [
        ("state", "7", {"state": "waiting"}), ("message", "7", "plain"),
    ]
    assert parser.last_id == "7" and not events[0].is_final


def test_notify_payloads_stay_under_postgresql_s_limit() -> None:
    ids = [f"{n:032x}" for n in range(1000)]
    payloads = list(batches(ids))
    assert len(payloads) > 1 and all(len(p) < MAX_PAYLOAD for p in payloads)
    assert " ".join(payloads).split() == ids


async def test_the_relay_sends_what_gathered_in_few_notifies() -> None:
    sent: list[str] = []

    async def send(payload: str) -> None:
        sent.append(payload)
        await asyncio.sleep(0)

    relay = WakeRelay(send)
    for n in range(50):
        relay.changed(f"t{n}")
    await relay.aclose()
    assert len(sent) <= 2 and " ".join(sent).split() == [f"t{n}" for n in range(50)]
    watch = TaskWatch()
    with watch.watching("t3") as woken, watch.watching("t3") as other:
        watch.heard(sent[0])
        assert woken.is_set() and other.is_set() and watch.streams == 2
    assert watch.streams == 0
