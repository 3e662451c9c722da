"""Task ids: time-prefixed, and strictly increasing within a process even inside one
millisecond or when the clock steps back (the task list's newest-first order relies on it)."""

from __future__ import annotations

import pytest

from imagegate.tasks import ids


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    # Ids made earlier in this process (real time, later than these tests' clocks) are
    # forgotten, as in a process that starts at the stopped clock's time.
    monkeypatch.setattr(ids, "_last", (0, 0))


def test_ids_made_in_the_same_millisecond_still_increase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ids, "_clock", lambda: 1_700_000_000.0005)
    made = [ids.new_task_id() for _ in range(1000)]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in made)
    assert {i[:12] for i in made} == {f"{1_700_000_000_000:012x}"}
    assert made == sorted(made) and len(set(made)) == len(made)


def test_a_clock_stepping_back_does_not_reorder_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ids, "_clock", lambda: 1_800_000_000.0)
    before = ids.new_task_id()
    monkeypatch.setattr(ids, "_clock", lambda: 1_799_999_999.0)  # one second back
    after = ids.new_task_id()
    assert after > before and after[:12] == before[:12]
    monkeypatch.setattr(ids, "_clock", lambda: 1_800_000_001.0)
    later = ids.new_task_id()
    assert later[:12] == f"{1_800_000_001_000:012x}"


def test_a_full_random_part_moves_to_the_next_millisecond(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ids, "_clock", lambda: 1_900_000_000.0)
    monkeypatch.setattr(ids, "_last", (1_900_000_000_000, (1 << 80) - 1))
    assert ids.new_task_id()[:12] == f"{1_900_000_000_001:012x}"
