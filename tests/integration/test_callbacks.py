"""The callback sender against a real HTTP receiver on loopback, over the SQLite outbox (the
outbox's own contract, its leases and outcomes, runs on every backend in
tests/contract/test_contract_outbox.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from imagegate.callbacks.sender import CallbackSender
from imagegate.clock import now_ms
from imagegate.db.sqlite.database import SqliteDatabase
from imagegate.db.sqlite.outbox import SqliteOutbox
from imagegate.db.sqlite.tasks import SqliteStore
from imagegate.outbound import UrlPolicy
from imagegate.storage.urls import UrlSigner
from imagegate.tasks.outbox import CallbackRow
from imagegate.wire.webhooks import verify_callback

from loopback import free_port

SECRET = "whsec-account-1"
LOOPBACK = UrlPolicy(["127.0.0.1"])
SIGNER = UrlSigner(b"test-secret", "http://imagegate.test")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A loopback HTTP server that records every request and answers from a script."""

    statuses: list[int] = field(default_factory=list)  # answered in order, then 200
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else 200

    def record(self, received: Received) -> None:
        with self.lock:
            self.requests.append(received)

    def bodies_by_callback_id(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.requests:
            key = r.headers["X-Imagegate-Callback-Id"]
            counts[key] = counts.get(key, 0) + 1
        return counts


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.record(Received(self.path, dict(self.headers.items()), body))
            if receiver.delay:
                time.sleep(receiver.delay)
            status = receiver.next_status()
            try:
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting (the timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 drops connections when a pass sends 16 at once.
    request_queue_size = 128
    daemon_threads = True


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    server = _Server(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook?token=t0ps3cret"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def closed_port_url() -> str:
    # Nothing listens there: connections are refused. A port of this test process's own block
    # (not bind(0)'s ephemeral range, which other processes' outgoing connections also use).
    return f"http://127.0.0.1:{free_port()}/hook"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SqliteDatabase]:
    database = SqliteDatabase(str(tmp_path / "imagegate.db"))
    yield database
    database.close()


@pytest.fixture
def outbox(db: SqliteDatabase) -> SqliteOutbox:
    return SqliteOutbox(db)


async def secret_for(account_id: str) -> str | None:
    return SECRET if account_id == "acct-signed" else None


SenderFactory = Callable[..., CallbackSender]


@pytest.fixture
async def make_sender(
    db: SqliteDatabase, outbox: SqliteOutbox
) -> AsyncIterator[SenderFactory]:
    made: list[CallbackSender] = []

    def make(policy: UrlPolicy = LOOPBACK, **overrides: float) -> CallbackSender:
        options: dict[str, float] = {
            "timeout": 2.0, "max_attempts": 5, "backoff_base": 0.01, "backoff_max": 0.05,
            "poll_interval": 5.0, "lease_margin": 30.0,
        }
        options.update(overrides)
        sender = CallbackSender(
            outbox, policy, tasks=SqliteStore(db), url_for=SIGNER.url, secret_for=secret_for,
            timeout=options["timeout"], max_attempts=int(options["max_attempts"]),
            backoff_base=options["backoff_base"], backoff_max=options["backoff_max"],
            poll_interval=options["poll_interval"], lease_margin=options["lease_margin"],
        )
        made.append(sender)
        return sender

    yield make
    for sender in made:
        await sender.stop()


def callback_body(task_id: str) -> str:
    return json.dumps(
        {"code": 200, "msg": "Image generated successfully.",
         "data": {"taskId": task_id, "model": "mock/model", "state": "success",
                  "resultJson": '{"resultUrls":["http://x/y.png"]}', "consumeCredits": 1.5}},
        separators=(",", ":"),
    )


async def add_callback(
    db: SqliteDatabase, task_id: str, url: str, account_id: str = "acct-plain"
) -> str:
    body = callback_body(task_id)

    def tx(conn: sqlite3.Connection) -> None:
        now = now_ms()
        conn.execute(
            "INSERT INTO callbacks (task_id, account_id, url, body, state, attempts,"
            " next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)",
            (task_id, account_id, url, body, now, now),
        )

    await db.write(tx)
    return body


async def row(outbox: SqliteOutbox, task_id: str) -> CallbackRow:
    found = await outbox.get(task_id)
    assert found is not None
    return found


async def deliver_until_settled(
    sender: CallbackSender, outbox: SqliteOutbox, task_id: str, *, within: float = 2.0
) -> CallbackRow:
    """Run passes (as the loop would) until the row is delivered or dead."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        await sender.deliver_due()
        current = await row(outbox, task_id)
        if current.state != "pending":
            return current
        await asyncio.sleep(0.01)
    raise AssertionError(f"callback {task_id} still pending: {current}")


async def test_delivered_on_200_with_the_exact_body_and_headers(
    db: SqliteDatabase, outbox: SqliteOutbox, receiver: Receiver, make_sender: SenderFactory
) -> None:
    body = await add_callback(db, "task-1", receiver.url)
    sender = make_sender()

    assert await sender.deliver_due() == 1

    [got] = receiver.requests
    assert got.path == "/hook?token=t0ps3cret"
    assert got.body == body.encode()
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["User-Agent"] == "imagegate-callback/0.1"
    assert got.headers["Host"] == receiver.url.split("/")[2]
    assert got.headers["X-Imagegate-Attempt"] == "1"
    delivered = await row(outbox, "task-1")
    assert got.headers["X-Imagegate-Callback-Id"] == str(delivered.id)
    # The account has no webhook secret: nothing is signed.
    assert "X-Webhook-Signature" not in got.headers
    assert (delivered.state, delivered.attempts, delivered.last_status) == ("delivered", 1, 200)
    assert delivered.delivered_at is not None
    assert await outbox.pending_count() == 0
    assert await sender.deliver_due() == 0
    assert len(receiver.requests) == 1


async def test_signed_callback_verifies_only_with_the_right_secret_and_body(
    db: SqliteDatabase, receiver: Receiver, make_sender: SenderFactory
) -> None:
    await add_callback(db, "task-signed", receiver.url, account_id="acct-signed")
    await make_sender().deliver_due()

    [got] = receiver.requests
    timestamp = int(got.headers["X-Webhook-Timestamp"])
    assert abs(timestamp - time.time()) < 5
    assert verify_callback(got.body, got.headers, SECRET)
    assert not verify_callback(got.body, got.headers, "wrong-secret")
    tampered = got.body.replace(b"task-signed", b"task-forged")
    assert not verify_callback(tampered, got.headers, SECRET)
    assert not verify_callback(got.body, got.headers, SECRET, now=timestamp + 301)


async def test_retried_after_500s_then_delivered_with_the_same_callback_id(
    db: SqliteDatabase, outbox: SqliteOutbox, receiver: Receiver, make_sender: SenderFactory
) -> None:
    receiver.statuses = [500, 500]
    await add_callback(db, "task-retry", receiver.url, account_id="acct-signed")
    sender = make_sender()

    first = await sender.deliver_due()
    failed = await row(outbox, "task-retry")
    assert first == 1
    assert (failed.state, failed.attempts, failed.last_status) == ("pending", 1, 500)
    assert failed.last_error == "HTTP 500"
    assert failed.next_attempt_at > now_ms() - 50

    delivered = await deliver_until_settled(sender, outbox, "task-retry")

    assert (delivered.state, delivered.attempts, delivered.last_status) == ("delivered", 3, 200)
    assert [r.headers["X-Imagegate-Attempt"] for r in receiver.requests] == ["1", "2", "3"]
    assert {r.headers["X-Imagegate-Callback-Id"] for r in receiver.requests} == {str(failed.id)}
    assert all(verify_callback(r.body, r.headers, SECRET) for r in receiver.requests)


async def test_running_loop_retries_on_its_own_schedule(
    db: SqliteDatabase, outbox: SqliteOutbox, receiver: Receiver, make_sender: SenderFactory
) -> None:
    # The loop wakes for a retry when it falls due, not at the (long) poll interval.
    receiver.statuses = [503, 502]
    await add_callback(db, "task-loop", receiver.url)
    sender = make_sender(poll_interval=5.0)
    sender.start()
    sender.notify()

    deadline = time.monotonic() + 2.0
    while (await row(outbox, "task-loop")).state == "pending":
        assert time.monotonic() < deadline, "the loop did not retry in time"
        await asyncio.sleep(0.01)

    delivered = await row(outbox, "task-loop")
    assert (delivered.state, delivered.attempts) == ("delivered", 3)


async def test_receiver_down_is_retried_then_dead_with_the_error_kept(
    db: SqliteDatabase,
    outbox: SqliteOutbox,
    closed_port_url: str,
    make_sender: SenderFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = await add_callback(db, "task-down", closed_port_url, account_id="acct-signed")
    sender = make_sender(max_attempts=3)

    with caplog.at_level(logging.INFO, logger="imagegate.callbacks"):
        dead = await deliver_until_settled(sender, outbox, "task-down")

    assert (dead.state, dead.attempts, dead.last_status) == ("dead", 3, None)
    assert dead.last_error is not None and "ConnectError" in dead.last_error
    assert dead.delivered_at is None
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    message = warning.getMessage()
    assert "task-down" in message and "127.0.0.1" in message and "ConnectError" in message
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert body not in logged and SECRET not in logged


async def test_non_2xx_to_the_end_keeps_the_last_status(
    db: SqliteDatabase, outbox: SqliteOutbox, receiver: Receiver, make_sender: SenderFactory
) -> None:
    receiver.statuses = [500, 404]
    await add_callback(db, "task-404", receiver.url)

    dead = await deliver_until_settled(make_sender(max_attempts=2), outbox, "task-404")

    assert (dead.state, dead.attempts, dead.last_status, dead.last_error) == (
        "dead", 2, 404, "HTTP 404"
    )


async def test_redirects_are_not_followed(
    db: SqliteDatabase, outbox: SqliteOutbox, receiver: Receiver, make_sender: SenderFactory
) -> None:
    receiver.statuses = [302]
    await add_callback(db, "task-302", receiver.url)

    await make_sender().deliver_due()

    assert [r.path for r in receiver.requests] == ["/hook?token=t0ps3cret"]
    failed = await row(outbox, "task-302")
    assert (failed.state, failed.last_status) == ("pending", 302)
    assert failed.last_error is not None and "redirect" in failed.last_error


async def test_a_slow_receiver_times_out_as_a_failed_attempt(
    db: SqliteDatabase, outbox: SqliteOutbox, receiver: Receiver, make_sender: SenderFactory
) -> None:
    receiver.delay = 0.5
    await add_callback(db, "task-slow", receiver.url)

    await make_sender(timeout=0.1).deliver_due()

    failed = await row(outbox, "task-slow")
    assert (failed.state, failed.attempts, failed.last_status) == ("pending", 1, None)
    assert failed.last_error is not None and "timed out" in failed.last_error.lower()


async def test_a_url_the_policy_refuses_is_dead_at_once_with_the_reason(
    db: SqliteDatabase, outbox: SqliteOutbox, receiver: Receiver, make_sender: SenderFactory
) -> None:
    await add_callback(db, "task-refused", receiver.url)

    await make_sender(policy=UrlPolicy([])).deliver_due()

    dead = await row(outbox, "task-refused")
    assert (dead.state, dead.attempts) == ("dead", 1)
    assert dead.last_error is not None and "loopback" in dead.last_error
    assert receiver.requests == []


async def test_notify_wakes_the_running_loop_promptly(
    db: SqliteDatabase, outbox: SqliteOutbox, receiver: Receiver, make_sender: SenderFactory
) -> None:
    sender = make_sender(poll_interval=5.0)
    sender.start()
    await asyncio.sleep(0.05)  # let the loop find nothing and go to sleep
    await add_callback(db, "task-notify", receiver.url)

    started = time.monotonic()
    sender.notify()
    while (await row(outbox, "task-notify")).state != "delivered":
        assert time.monotonic() - started < 1.0, "notify() did not wake the loop"
        await asyncio.sleep(0.005)

    assert time.monotonic() - started < 0.5
    assert len(receiver.requests) == 1


async def test_concurrent_passes_never_send_a_row_twice(
    db: SqliteDatabase, outbox: SqliteOutbox, receiver: Receiver, make_sender: SenderFactory
) -> None:
    receiver.delay = 0.05  # keep sends in flight while the other pass claims
    for i in range(20):
        await add_callback(db, f"task-{i}", receiver.url)
    one, two = make_sender(), make_sender()

    counts = await asyncio.gather(one.deliver_due(), two.deliver_due(), one.deliver_due())

    assert sum(counts) == 20
    per_row = receiver.bodies_by_callback_id()
    assert len(per_row) == 20 and set(per_row.values()) == {1}
    assert await outbox.pending_count() == 0
    assert len(await outbox.list_for_account("acct-plain", state="delivered")) == 20


async def test_a_claim_lasts_the_timeout_plus_the_lease_margin(
    db: SqliteDatabase, outbox: SqliteOutbox, receiver: Receiver, make_sender: SenderFactory
) -> None:
    # A sender killed after its claim: the row waits out timeout + margin, then another sender
    # takes it (tests/acceptance/test_fleet_faults.py shortens both through the settings).
    await add_callback(db, "task-1", receiver.url)
    killed = make_sender(timeout=0.2, lease_margin=0.3)
    assert killed.lease_ms == 500
    [claimed] = await killed._claim()  # claimed, never sent

    other = make_sender()
    assert await other.deliver_due() == 0  # still leased
    await asyncio.sleep(0.6)
    assert await other.deliver_due() == 1
    assert (await row(outbox, "task-1")).state == "delivered"
    assert len(receiver.requests) == 1 and receiver.requests[0].body == claimed.body.encode()


def test_the_lease_margin_setting_reaches_the_runtimes_sender(runtime_factory: Any) -> None:
    runtime = runtime_factory(callback_timeout_seconds=4, callback_lease_margin_seconds=1.5)
    assert runtime.callbacks.lease_ms == 5500


def test_backoff_doubles_up_to_the_cap_with_jitter(make_sender: SenderFactory) -> None:
    sender = make_sender(backoff_base=5.0, backoff_max=60.0)
    for attempts, expected in [(1, 5.0), (2, 10.0), (3, 20.0), (4, 40.0), (5, 60.0), (99, 60.0)]:
        delay = sender.backoff_delay(attempts)
        assert expected * 0.9 <= delay <= expected * 1.1


@pytest.mark.parametrize("yields", [0, 1, 2, 3])
async def test_stop_ends_the_loop_even_when_woken_at_the_same_moment(
    make_sender: SenderFactory, yields: int
) -> None:
    # Regression: on Python 3.11 a cancel landing as the wake-up fired was swallowed by
    # asyncio.wait_for, and stop() then waited forever for the loop.
    sender = make_sender(poll_interval=5.0)
    sender.start()
    await asyncio.sleep(0.02)
    sender.notify()
    for _ in range(yields):
        await asyncio.sleep(0)
    started = time.monotonic()
    async with asyncio.timeout(1.0):
        await sender.stop()
    assert time.monotonic() - started < 0.5
