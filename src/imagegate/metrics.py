"""Prometheus metrics: every metric object of imagegate, and the scrape-time queue gauges.

Counted in this process, as things happen (counters and histograms). Each process of a fleet
(API processes, ``imagegate worker`` processes) counts its own share and Prometheus sums them
over the fleet (``sum by (model) (rate(...))``); a restart starts them at 0, which ``rate``
handles.

- ``imagegate_tasks_finished_total{model,state,engine}``: tasks the worker finished
  (state success|fail; engine "" when none ran).
- ``imagegate_task_wait_seconds{model}``: created → claimed (the last claim, if released).
- ``imagegate_task_run_seconds{model,state}``: claimed → finished.
- ``imagegate_task_e2e_seconds{model,state}``: created → finished.
- ``imagegate_engine_failures_total{engine,retryable}``: an engine raised a task error.
- ``imagegate_engine_failovers_total{engine}``: the router moved on from ``engine`` to the
  next engine of the route after ``engine`` failed.
- ``imagegate_callback_attempts_total{outcome}``: callback POSTs made (outcome delivered,
  failed) plus URLs refused without a POST (refused).
- ``imagegate_callbacks_dead_total``: callbacks given up on (attempts exhausted or refused).
- ``imagegate_credits_debited_total{model}`` / ``imagegate_credits_refunded_total{model}``:
  credits charged at create and given back on failure; spent = debited - refunded. Counters,
  not a gauge summed from the ledger: the ledger grows forever (a sum is a full scan per
  scrape), and ``increase()`` over counters answers "credits spent per hour" directly.
- ``imagegate_janitor_deleted_total{kind}``: rows the janitor deleted, kind file,
  idempotency_key or task (task-record retention increments ``task``).

Read from the database at scrape time (``QueueCollector``), so each is the fleet-wide truth
whichever process is scraped (do not sum them over processes: use ``max``):

- ``imagegate_tasks{state,model}``: live tasks (waiting, queuing, generating).
- ``imagegate_queue_depth{model}``: waiting tasks.
- ``imagegate_queue_oldest_waiting_seconds{model}``: age of the oldest waiting task.
- ``imagegate_workers_live``: worker processes that beat within ``3 worker heartbeats``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

# Support code is below every part: the task and the queue come in as the shapes below, which
# tasks/model.py's Task and tasks/queue_stats.py's QueueSnapshot have.
_MILLI = 1000  # millicredits per credit, the ledger's unit (catalog/pricing.py)


class CountedTask(Protocol):
    """What the counters read of a task."""

    @property
    def model(self) -> str: ...
    @property
    def state(self) -> str: ...  # a TaskState is a str
    @property
    def engine(self) -> str | None: ...
    @property
    def price_milli(self) -> int: ...
    @property
    def create_time(self) -> int: ...
    @property
    def update_time(self) -> int: ...
    @property
    def complete_time(self) -> int | None: ...


class QueueCounts(Protocol):
    """What the scrape-time gauges read of the queue."""

    @property
    def counts(self) -> dict[tuple[str, str], int]: ...
    @property
    def oldest_waiting_ms(self) -> dict[str, int]: ...
    @property
    def now_ms(self) -> int: ...

    def waiting_by_model(self) -> dict[str, int]: ...


# One registry of imagegate's own (plus the process's CPU and memory), so that nothing another
# library registers on prometheus_client's global one ends up on /metrics.
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)

# Image tasks take from a fraction of a second (mock, cached upstream) to many minutes (a
# GPU queue, a slow provider): buckets from 100 ms to 30 min.
_LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800)

TASKS_FINISHED = Counter(
    "imagegate_tasks_finished", "Tasks finished by this process's worker",
    ["model", "state", "engine"], registry=REGISTRY,
)
TASK_WAIT = Histogram(
    "imagegate_task_wait_seconds", "Seconds from create to the claim that ran the task",
    ["model"], buckets=_LATENCY_BUCKETS, registry=REGISTRY,
)
TASK_RUN = Histogram(
    "imagegate_task_run_seconds", "Seconds from claim to finish",
    ["model", "state"], buckets=_LATENCY_BUCKETS, registry=REGISTRY,
)
TASK_E2E = Histogram(
    "imagegate_task_e2e_seconds", "Seconds from create to finish",
    ["model", "state"], buckets=_LATENCY_BUCKETS, registry=REGISTRY,
)
ENGINE_FAILURES = Counter(
    "imagegate_engine_failures", "Task errors raised by an engine",
    ["engine", "retryable"], registry=REGISTRY,
)
ENGINE_FAILOVERS = Counter(
    "imagegate_engine_failovers", "Failovers from this engine to the next of the route",
    ["engine"], registry=REGISTRY,
)
CALLBACK_ATTEMPTS = Counter(
    "imagegate_callback_attempts", "Callback delivery attempts by outcome",
    ["outcome"], registry=REGISTRY,
)
CALLBACKS_DEAD = Counter(
    "imagegate_callbacks_dead", "Callbacks given up on", registry=REGISTRY,
)
CREDITS_DEBITED = Counter(
    "imagegate_credits_debited", "Credits charged for created tasks", ["model"],
    registry=REGISTRY,
)
CREDITS_REFUNDED = Counter(
    "imagegate_credits_refunded", "Credits given back for failed tasks", ["model"],
    registry=REGISTRY,
)
JANITOR_DELETED = Counter(
    "imagegate_janitor_deleted", "Rows deleted by the janitor", ["kind"], registry=REGISTRY,
)
# Every kind shows from the first scrape (at 0), so an alert on it has a series to read.
for _kind in ("file", "idempotency_key", "task"):
    JANITOR_DELETED.labels(kind=_kind)
for _outcome in ("delivered", "failed", "refused"):
    CALLBACK_ATTEMPTS.labels(outcome=_outcome)


def task_finished(claimed: CountedTask, finished: CountedTask) -> None:
    """Count a task the worker just finished, its three latencies and a failure's refund.
    ``claimed`` is the task as the claim returned it: its ``update_time`` is the claim's."""
    model, state = finished.model, str(finished.state)
    created, claimed_at = finished.create_time, claimed.update_time
    ended = finished.complete_time or finished.update_time
    TASKS_FINISHED.labels(model=model, state=state, engine=finished.engine or "").inc()
    TASK_WAIT.labels(model=model).observe(max(0, claimed_at - created) / 1000)
    TASK_RUN.labels(model=model, state=state).observe(max(0, ended - claimed_at) / 1000)
    TASK_E2E.labels(model=model, state=state).observe(max(0, ended - created) / 1000)
    if state == "fail" and finished.price_milli:
        CREDITS_REFUNDED.labels(model=model).inc(finished.price_milli / _MILLI)


def task_created(task: CountedTask) -> None:
    """Count the credits a newly created task was charged (the create path calls this)."""
    if task.price_milli:
        CREDITS_DEBITED.labels(model=task.model).inc(task.price_milli / _MILLI)


class QueueCollector(Collector):
    """The scrape-time gauges of one snapshot of the database (built per scrape)."""

    def __init__(self, snapshot: QueueCounts, workers_live: int) -> None:
        self.snapshot = snapshot
        self.workers_live = workers_live

    def collect(self) -> Iterable[Metric]:
        tasks = GaugeMetricFamily(
            "imagegate_tasks", "Live tasks by state and model (database)",
            labels=["state", "model"],
        )
        for (state, model), count in sorted(self.snapshot.counts.items()):
            tasks.add_metric([state, model], count)
        depth = GaugeMetricFamily(
            "imagegate_queue_depth", "Waiting tasks by model (database)", labels=["model"]
        )
        oldest = GaugeMetricFamily(
            "imagegate_queue_oldest_waiting_seconds", "Age of the oldest waiting task",
            labels=["model"],
        )
        for model, count in sorted(self.snapshot.waiting_by_model().items()):
            depth.add_metric([model], count)
            created = self.snapshot.oldest_waiting_ms[model]
            oldest.add_metric([model], max(0, self.snapshot.now_ms - created) / 1000)
        workers = GaugeMetricFamily(
            "imagegate_workers_live", "Worker processes seen recently (database)",
            value=self.workers_live,
        )
        return [tasks, depth, oldest, workers]


def exposition(snapshot: QueueCounts, workers_live: int) -> bytes:
    """The text a scrape gets: this process's metrics, then the database's gauges."""
    scraped = CollectorRegistry()
    scraped.register(QueueCollector(snapshot, workers_live))
    return generate_latest(REGISTRY) + generate_latest(scraped)
