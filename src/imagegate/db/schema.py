"""The database tables, in SQLAlchemy Core, shared by SQLite and PostgreSQL.

Times are epoch milliseconds (the wire format of spec 000), credits are integer millicredits so
that prices like 3.5 credits add up exactly.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    # SHA-256 of the API key: keys are 256-bit random tokens, so a fast hash is as safe as a slow
    # one and lets every request find its account with one indexed lookup.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("key_prefix", String(16), nullable=False),
    Column("credits_milli", BigInteger, nullable=False, default=0),
    # Needed in clear to compute HMAC signatures of callbacks (it is a shared secret).
    Column("webhook_secret", String(200), nullable=True),
    # How callbacks are signed: "kie" (Kie's headers) or "standard" (Standard Webhooks;
    # wire/standard_webhooks.py; migration 0010).
    Column("webhook_scheme", String(16), nullable=False, default="kie",
           server_default=text("'kie'")),
    # Per-account overrides of the rate limits, e.g. "100/10s"; NULL means the server default.
    Column("create_rate", String(32), nullable=True),
    Column("query_rate", String(32), nullable=True),
    Column("disabled", Integer, nullable=False, default=0),
    Column("created_at", BigInteger, nullable=False),
    # Fair queuing: the account's virtual clock (epoch ms). Each new task of the account is
    # placed at max(now, clock) + one slot and moves the clock there, so an account with a
    # long backlog queues behind itself, not in front of the others (migration 0002).
    Column("fair_clock", BigInteger, nullable=False, default=0, server_default=text("0")),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", String(32), nullable=False),
    Column("model", String(100), nullable=False),
    Column("state", String(16), nullable=False),
    # The complete create request as the caller sent it (spec 000: `param`).
    Column("param", Text, nullable=False),
    # The validated input with the spec's defaults applied: what engines run on.
    Column("input", Text, nullable=False),
    Column("callback_url", Text, nullable=True),
    Column("result_json", Text, nullable=True),
    Column("fail_code", String(16), nullable=True),
    Column("fail_msg", Text, nullable=True),
    Column("progress", Integer, nullable=False, default=0),
    Column("price_milli", BigInteger, nullable=False, default=0),
    Column("create_time", BigInteger, nullable=False),
    Column("update_time", BigInteger, nullable=False),
    Column("complete_time", BigInteger, nullable=True),
    Column("cost_time", BigInteger, nullable=True),
    # Which engine produced the result (or last failed), for operators.
    Column("engine", String(64), nullable=True),
    # Leasing: a claim is valid while lease_expires_at is in the future; lease_token increases
    # with every claim and fences a slow worker whose lease was taken over.
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_token", Integer, nullable=False, default=0),
    Column("lease_expires_at", BigInteger, nullable=True),
    # The queue's order: the fair-queuing key (accounts.fair_clock), and the priority that
    # reorders an account's own waiting tasks (higher first), never another account's.
    Column("priority", Integer, nullable=False, default=0, server_default=text("0")),
    Column("fair_key", BigInteger, nullable=False, default=0, server_default=text("0")),
    # The API key that created the task, as its spending caps count it: the key's id, or for a
    # rotated key the first key of its chain (api_keys.spend_key_id; migration 0005).
    Column("key_id", String(32), nullable=True),
    # Set by cancelTask while the task runs: the engine stops between steps (migration 0003).
    Column("cancel_requested", Integer, nullable=False, default=0, server_default=text("0")),
    # The API the task was created through (wire/surfaces.py), whose shape its callback takes
    # (migration 0007; the tasks before it were all created through the jobs API).
    Column("surface", String(32), nullable=False, default="jobs", server_default=text("'jobs'")),
    # The create request's ``Cancel-After`` deadline (epoch ms) and ``X-Result-Retention`` (ms);
    # null: none asked (migration 0009).
    Column("cancel_at", BigInteger, nullable=True),
    Column("result_retention_ms", BigInteger, nullable=True),
    # The request's ``webhookEvents``, comma separated; null: "completed" (migration 0011).
    Column("webhook_events", String(64), nullable=True),
    # Expired leases: a partial index, so that inserting a waiting task does not touch it (each
    # index page an insert touches is written to the WAL at commit, the cost of a createTask).
    Index(
        "ix_tasks_claimed_lease",
        "lease_expires_at",
        sqlite_where=text("state IN ('queuing', 'generating')"),
        postgresql_where=text("state IN ('queuing', 'generating')"),
    ),
    # The queue, waiting tasks only (a claim takes a task out of it): the next fair slot is
    # one index step away.
    Index(
        "ix_tasks_waiting_fair",
        "fair_key",
        sqlite_where=text("state = 'waiting'"),
        postgresql_where=text("state = 'waiting'"),
    ),
)
# An account's most urgent waiting task: priority descending, then the oldest, then the id
# (the claim's whole ORDER BY, so that it is read off the index, never sorted; migration 0004).
Index(
    "ix_tasks_waiting_account",
    tasks.c.account_id,
    tasks.c.priority.desc(),
    tasks.c.create_time,
    tasks.c.id,
    sqlite_where=text("state = 'waiting'"),
    postgresql_where=text("state = 'waiting'"),
)

# An account's waiting tasks in the order of their fair keys: the slot its n-th most urgent task
# will run in, one index step for ``queuePosition`` (tasks/queue_stats.py; migration 0008).
Index(
    "ix_tasks_waiting_account_fair",
    tasks.c.account_id,
    tasks.c.fair_key,
    sqlite_where=text("state = 'waiting'"),
    postgresql_where=text("state = 'waiting'"),
)

# The live tasks with a deadline, by deadline: the sweep of tasks/deadlines.py reads the due
# ones off it; a task without one, or once ended, is not in it (migration 0009).
Index(
    "ix_tasks_cancel_at",
    tasks.c.cancel_at,
    sqlite_where=text("cancel_at IS NOT NULL AND state IN ('waiting', 'queuing', 'generating')"),
    postgresql_where=text(
        "cancel_at IS NOT NULL AND state IN ('waiting', 'queuing', 'generating')"
    ),
)

# The task list (an account's tasks, newest first), usage, and a key's spending windows (a
# key's tasks are its account's, filtered: one index less on every write of the queue).
Index("ix_tasks_account_created", tasks.c.account_id, tasks.c.create_time)

# An account's API keys: several at once (a rotated key stays valid until expires_at), each
# with optional spending caps (millicredits per hour, per day, in all; Kie's 433 when reached)
# and an IP allow-list (comma-separated addresses or CIDR networks).
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(32), nullable=False),
    Column("name", String(200), nullable=True),
    # SHA-256 of the key, as accounts.key_hash (the account's first key, kept there too).
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("key_prefix", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger, nullable=True),
    Column("expires_at", BigInteger, nullable=True),
    Column("hourly_cap_milli", BigInteger, nullable=True),
    Column("daily_cap_milli", BigInteger, nullable=True),
    Column("total_cap_milli", BigInteger, nullable=True),
    Column("ip_allow", Text, nullable=True),
    # The first key of this key's rotation chain, whose id its tasks are counted under
    # (tasks.key_id), so a rotation neither resets nor doubles the caps; NULL: its own id.
    Column("spend_key_id", String(32), nullable=True),
    Index("ix_api_keys_account", "account_id"),
)

# What the tasks that retention deleted had cost, per account, model and UTC day: the janitor
# adds them up here as it deletes them (tasks/retention.py, accounts/usage.py), so the account's
# usage outlives task_retention_days (migration 0006).
usage_days = Table(
    "usage_days",
    metadata,
    Column("account_id", String(32), primary_key=True),
    Column("day", BigInteger, primary_key=True),  # epoch ms of the day's start, UTC
    Column("model", String(100), primary_key=True),
    Column("tasks", BigInteger, nullable=False),
    Column("succeeded", BigInteger, nullable=False),
    Column("failed", BigInteger, nullable=False),
    Column("credits_milli", BigInteger, nullable=False),
)

# Every attempt to deliver a task's callback: when, the answer's status or the error, and how
# long it took; what an operator reads (and redelivers from) when a callback goes missing.
callback_attempts = Table(
    "callback_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("status", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("duration_ms", Integer, nullable=False),
    Index("ix_callback_attempts_task", "task_id", "attempt"),
)

# Worker processes and when each last said it is alive (every few seconds): what /readyz and
# the dashboard read. A row is the process's own; one not seen for a while is a dead worker.
workers = Table(
    "workers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("host", String(200), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("models", Text, nullable=True),  # JSON list; NULL serves every model
    Column("concurrency", Integer, nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("seen_at", BigInteger, nullable=False),
)

# Every change of a balance, with the task it belongs to. The unique (task_id, reason) pair is
# what makes "charged once, refunded once" a database guarantee rather than a hope.
credit_ledger = Table(
    "credit_ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(32), nullable=False),
    Column("task_id", String(64), nullable=True),
    Column("reason", String(16), nullable=False),  # debit | refund | grant
    Column("delta_milli", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("task_id", "reason", name="uq_ledger_task_reason"),
)

# The callback outbox: one row per task that asked for a callback, written in the same
# transaction that ends the task, so no terminal callback can be lost.
callbacks = Table(
    "callbacks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", String(64), nullable=False, unique=True),
    Column("account_id", String(32), nullable=False),
    Column("url", Text, nullable=False),
    # What the sender renders the body from (wire/callbacks.py): the task's surface and the
    # account's balance right after the task ended (migration 0007). A row from before it has
    # the body itself instead, sent as it is.
    Column("surface", String(32), nullable=True),
    Column("balance_milli", BigInteger, nullable=True),
    Column("body", Text, nullable=True),
    Column("state", String(16), nullable=False),  # pending | delivered | dead
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("lease_expires_at", BigInteger, nullable=True),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("delivered_at", BigInteger, nullable=True),
    Index("ix_callbacks_state_next", "state", "next_attempt_at"),
)

# Files served by imagegate (uploads and results); the janitor deletes rows and blobs past
# expires_at.
files = Table(
    "files",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("account_id", String(32), nullable=True),
    Column("kind", String(16), nullable=False),  # upload | result
    Column("task_id", String(64), nullable=True),
    Column("file_name", String(300), nullable=False),
    Column("mime_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_files_expires", "expires_at"),
)

# Server-wide values that must survive restarts (the admin key's hash).
meta = Table(
    "meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

# Idempotency-Key of task creation: which task a key made, and a hash of the request it was
# made for. The row is written in the transaction that debits and inserts the task, so a task
# is never charged without its key nor a key kept without its task. The primary key
# (account_id, key) is the uniqueness that decides between two requests racing with one key;
# a row past expires_ms is dead (a new request may take the key over) and the janitor deletes
# it. A table of its own rather than columns on tasks: only keyed creates write it, and the
# janitor can forget keys without touching task rows.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("account_id", String(32), nullable=False),
    Column("key", String(255), nullable=False),
    Column("task_id", String(64), nullable=False),
    # SHA-256 (hex) of the canonical JSON of the request: model, input, callback URL.
    Column("request_hash", String(64), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("account_id", "key", name="pk_idempotency_keys"),
    Index("ix_idempotency_keys_expires", "expires_ms"),
)
