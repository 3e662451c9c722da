"""CPU time from /proc (Linux): a server's process tree, wrk, and the rest of the machine."""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int | str) -> list[str] | None:
    """Fields of /proc/PID/stat after the ``)`` that closes comm (comm may hold spaces)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _own_seconds(fields: list[str]) -> float:
    # utime, stime: fields 14 and 15 of proc(5), 0-based 11 and 12 after comm.
    return (int(fields[11]) + int(fields[12])) / _TICK


def _reaped_children_seconds(fields: list[str]) -> float:
    # cutime, cstime: CPU of children that have exited and been waited for.
    return (int(fields[13]) + int(fields[14])) / _TICK


def _descendants(root: int) -> list[int]:
    """Every live process below ``root`` (children, grandchildren, ...), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(entry.name)
        if fields is not None:
            # ppid: field 4 of proc(5), 0-based 1 after comm.
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


@dataclass(frozen=True)
class TreeCpu:
    """CPU seconds of a server process (its threads) and of everything it started."""

    main: float
    children: float


def tree_cpu_seconds(pid: int) -> TreeCpu:
    """CPU of ``pid`` and of its descendants (imagegate's engine runs in a child process).

    Children's figures include the CPU of their own children that exited and were waited for,
    and so does the root's: a process that ends between two samples is then still counted in
    the difference, in its parent's reaped total instead of its own line.
    """
    fields = _stat_fields(pid)
    if fields is None:
        return TreeCpu(float("nan"), float("nan"))
    main = _own_seconds(fields)
    children = _reaped_children_seconds(fields)
    for child in _descendants(pid):
        child_fields = _stat_fields(child)
        if child_fields is not None:  # it may have exited since the scan
            children += _own_seconds(child_fields) + _reaped_children_seconds(child_fields)
    return TreeCpu(main, children)


def system_busy_seconds() -> float:
    """CPU time all cores spent not idle since boot (/proc/stat), to spot other load."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return float("nan")
    # user nice system idle iowait irq softirq: busy is all but idle and iowait. Steal (time
    # the hypervisor gave to other guests) is left out: no program here used it.
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in first[1:8])
    return (user + nice + system + irq + softirq) / _TICK


def children_cpu_seconds() -> float:
    """CPU time of this process's waited-for children (wrk, once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
