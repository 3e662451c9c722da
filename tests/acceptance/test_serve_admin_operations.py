"""The operator's controls end to end: ``imagegate admin ...`` as subprocesses (on SQLite and
PostgreSQL) and a real ``imagegate serve`` seeing what they change: a rotated key working
through its grace and not after, a capped key's 433, maintenance's 455 while a running task
finishes, a disabled model's 505; and ``admin callbacks`` asking that server for a task's
deliveries and redelivering one."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

TASK = {"model": "google/nano-banana", "input": {"prompt": "a lighthouse"}}  # 4 credits
ADMIN_KEY = "acceptance-admin-key"
# The server's key and switch caches live this long (accounts/keys.py, tasks/switches.py).
CACHE_TTL = 2.0


class Admin:
    """``imagegate admin ...`` against one database."""

    def __init__(self, command: Path, env: dict[str, str], data_dir: Path) -> None:
        self.command, self.env, self.data_dir = command, env, data_dir

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(self.command), "admin", *args, "--data-dir", str(self.data_dir)],
            capture_output=True, text=True, env=self.env, cwd=self.data_dir.parent,
            timeout=60, check=False,
        )
        if ok:
            assert done.returncode == 0, done.stdout + done.stderr
        return done

    def last_line(self, *args: str) -> str:
        return self.run(*args).stdout.strip().splitlines()[-1]

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)


def every_command(admin: Admin) -> None:
    """Each ``imagegate admin`` command once, checked through the others."""
    key = admin.last_line("accounts", "create", "--name", "acme", "--credits", "20")
    assert key.startswith("ig_")
    account = next(a for a in admin.json("accounts", "list") if a["name"] == "acme")
    assert account["credits"] == 20 and account["disabled"] is False
    assert "acme" in admin.run("accounts", "list").stdout
    topped = admin.run("accounts", "top-up", account["id"], "--credits", "5").stdout
    assert "balance 25" in topped

    added = admin.run("keys", "create", account["id"], "--name", "ci", "--hourly-cap", "8",
                      "--ip-allow", "10.0.0.0/8, 192.0.2.1",
                      "--expires-at", "2999-01-01T00:00:00Z").stdout.strip().splitlines()
    assert added[-1].startswith("ig_") and added[-1] != key
    keys = admin.json("keys", "list", "--account", account["id"])
    assert [k["name"] for k in keys] == ["first key", "ci"]
    ci = keys[1]
    assert ci["hourlyCap"] == 8 and ci["ipAllow"] == ["10.0.0.0/8", "192.0.2.1/32"]
    assert ci["expiresAt"] == 32_472_144_000_000 and ci["status"] == "active"
    assert added[-1] not in json.dumps(keys)  # keys are printed once, never listed
    assert "caps: hourly 8" in admin.run("keys", "list").stdout

    capped = admin.run("keys", "caps", ci["id"], "--total-cap", "40", "--hourly-cap", "none",
                       "--ip-allow", "none").stdout
    assert "caps: total 40" in capped and "hourly" not in capped and "ip-allow" not in capped
    rotated = admin.run("keys", "rotate", ci["id"], "--grace", "60").stdout.splitlines()
    assert rotated[-1].startswith("ig_") and "stops at" in rotated[0]
    after = {k["id"]: k for k in admin.json("keys", "list", "--account", account["id"])}
    assert after[ci["id"]]["expiresAt"] is not None and len(after) == 3
    new = next(k for k in after.values() if k["id"] not in (ci["id"], account["id"]))
    assert new["totalCap"] == 40  # the rotated key's limits carry over
    assert "revoked" in admin.run("keys", "revoke", ci["id"]).stdout
    assert admin.json("keys", "list", "--account", account["id"])[1]["status"] == "revoked"
    again = admin.run("keys", "rotate", ci["id"], ok=False)
    assert again.returncode != 0 and "revoked or expired" in again.stderr

    assert "disabled" in admin.run("accounts", "disable", account["id"]).stdout
    assert next(a for a in admin.json("accounts", "list") if a["id"] == account["id"])[
        "disabled"]
    assert "enabled" in admin.run("accounts", "enable", account["id"]).stdout

    assert admin.run("maintenance", "status").stdout.strip() == "maintenance: off"
    assert "on since" in admin.run("maintenance", "on", "--message", "upgrade").stdout
    assert "(upgrade)" in admin.run("maintenance", "status").stdout
    assert admin.run("maintenance", "off").stdout.strip() == "maintenance: off"

    disabled = admin.run("models", "disable", "qwen/image-edit", "--reason", "gpu").stdout
    assert "qwen/image-edit  disabled (gpu)" in disabled
    assert "qwen/image-edit  disabled (gpu)" in admin.run("models", "list").stdout
    assert "qwen/image-edit  enabled" in admin.run("models", "enable", "qwen/image-edit").stdout

    for args, message in (
        (("models", "disable", "no/such"), "unknown model 'no/such'"),
        (("accounts", "top-up", "nope", "--credits", "1"), "account not found: nope"),
        (("keys", "revoke", "nope"), "API key not found: nope"),
        (("keys", "create", "nope"), "account not found: nope"),
        (("keys", "create", account["id"], "--ip-allow", "x"), "'x' is not an IP address"),
        (("keys", "create", account["id"], "--expires-at", "1700000000"),
         "--expires-at: must be in the future, in epoch milliseconds"),
        (("keys", "caps", new["id"], "--daily-cap", "lots"), "'lots' is not a number"),
    ):
        refused = admin.run(*args, ok=False)
        assert refused.returncode == 2 and message in refused.stderr, refused.stderr


def test_every_admin_command_on_sqlite(
    tmp_path: Path, imagegate_command: Path, env_for: Any
) -> None:
    every_command(Admin(imagegate_command, env_for(), tmp_path / "data"))


def test_every_admin_command_on_postgres(
    tmp_path: Path, imagegate_command: Path, env_for: Any, postgres_url: str
) -> None:
    env = env_for({"IMAGEGATE_DATABASE_URL": postgres_url})
    every_command(Admin(imagegate_command, env, tmp_path / "data"))


def callbacks(
    command: Path, env: dict[str, str], base_url: str, *args: str, key: str = ADMIN_KEY
) -> subprocess.CompletedProcess[str]:
    """``imagegate admin callbacks ...`` against a running server."""
    return subprocess.run(
        [str(command), "admin", "callbacks", *args, "--base-url", base_url],
        capture_output=True, text=True, env={**env, "IMAGEGATE_ADMIN_KEY": key}, timeout=60,
        check=False,
    )


def test_serve_obeys_rotation_caps_maintenance_and_disabled_models(
    servers: Any, make_api: Any, imagegate_command: Path, env_for: Any, receiver_factory: Any
) -> None:
    server = servers.start(env={"IMAGEGATE_ADMIN_KEY": ADMIN_KEY,
                                "IMAGEGATE_MOCK_LATENCY": "2"})
    default_key = server.printed_key()
    assert default_key, server.output()
    admin = Admin(imagegate_command, env_for(), server.data_dir)
    account = next(a for a in admin.json("accounts", "list") if a["name"] == "default")
    http = httpx.Client(base_url=server.base_url, timeout=15.0,
                        headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    # A task whose callback fails once, then is delivered: it runs while the rest goes on,
    # and ``admin callbacks`` reads and redelivers it at the end.
    receiver = receiver_factory()
    receiver.post_statuses = [500]
    hooked = make_api(server, default_key).create_ok(
        {**TASK, "callBackUrl": receiver.url("/hook")}
    )
    try:
        # A key made by the CLI beside the running server works at once (no cache entry).
        old_key = admin.last_line("keys", "create", account["id"], "--name", "app")
        old = make_api(server, old_key)
        old.create_ok(TASK)
        old_id = next(k["id"] for k in admin.json("keys", "list") if k["name"] == "app")
        rotated = http.post(f"/api/admin/keys/{old_id}/rotate", json={"graceSeconds": 3})
        assert rotated.status_code == 200, rotated.text
        new = make_api(server, rotated.json()["data"]["apiKey"])
        old.create_ok(TASK)  # within the grace
        new.create_ok(TASK)
        time.sleep(3.2)
        refused = old.create(TASK)
        assert refused.status_code == 401 and refused.json()["code"] == 401, refused.text
        new.create_ok(TASK)

        # A key capped at 8 credits in all: two 4-credit tasks, then Kie's 433.
        capped = make_api(server, admin.last_line(
            "keys", "create", account["id"], "--total-cap", "8"))
        capped.create_ok(TASK)
        capped.create_ok(TASK)
        over = capped.create(TASK)
        assert over.status_code == 429 and over.json()["code"] == 433, over.text
        assert "total cap is 8 credits" in over.json()["msg"]

        # Maintenance from the CLI: within the cache's TTL createTask answers 455, while the
        # task already running (the mock takes 2 s) finishes and queries still answer.
        default = make_api(server, default_key)
        running = default.create_ok(TASK)
        admin.run("maintenance", "on", "--message", "upgrading")
        time.sleep(CACHE_TTL + 0.3)
        paused = default.create(TASK)
        assert paused.status_code == 503 and paused.json()["code"] == 455, paused.text
        assert "upgrading" in paused.json()["msg"]
        assert default.wait_state(running)["state"] == "success"
        admin.run("maintenance", "off")
        time.sleep(CACHE_TTL + 0.3)
        default.create_ok(TASK)

        # A model disabled through the admin API: 505 at once on this server.
        off = http.post("/api/admin/models/disable", json={"model": TASK["model"]})
        assert off.status_code == 200, off.text
        disabled = default.create(TASK)
        assert disabled.status_code == 403 and disabled.json()["code"] == 505, disabled.text
        assert TASK["model"] in disabled.json()["msg"]
        plain = default.create_ok({"model": "qwen/text-to-image", "input": {"prompt": "a boat"}})

        receiver.wait_for_posts("/hook", 2)
        env = env_for()
        shown = callbacks(imagegate_command, env, server.base_url, "show", hooked)
        assert shown.returncode == 0, shown.stderr
        lines = shown.stdout.splitlines()
        assert f"task {hooked}  callback delivered  {receiver.url('/hook')}" in lines[0]
        assert "attempt 1" in lines[1] and "HTTP 500" in lines[1]
        assert "attempt 2" in lines[2] and "HTTP 200" in lines[2] and len(lines) == 3
        again = callbacks(imagegate_command, env, server.base_url, "redeliver", hooked, "--json")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["state"] == "pending"
        assert receiver.wait_for_posts("/hook", 3)[2].json()["data"]["taskId"] == hooked
        deadline = time.monotonic() + 10
        while (view := json.loads(callbacks(
            imagegate_command, env, server.base_url, "show", hooked, "--json"
        ).stdout))["state"] != "delivered" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert view["state"] == "delivered", view
        assert [a["status"] for a in view["attempts"]] == [500, 200, 200]
        for args, key, message in (
            (("show", "nope"), ADMIN_KEY, "Task not found: nope"),
            (("show", hooked), "wrong-key", "check IMAGEGATE_ADMIN_KEY / --admin-key"),
            (("redeliver", plain), ADMIN_KEY, "has no callback to send"),
        ):
            refused = callbacks(imagegate_command, env, server.base_url, *args, key=key)
            assert refused.returncode == 3 and message in refused.stderr, refused.stderr
        down = callbacks(imagegate_command, env, "http://127.0.0.1:9", "show", hooked)
        assert down.returncode == 3 and "is unavailable" in down.stderr, down.stderr
    finally:
        http.close()


def test_the_ip_allow_list_reads_the_forwarded_address_of_a_local_proxy(
    servers: Any, make_api: Any, imagegate_command: Path, env_for: Any
) -> None:
    # uvicorn trusts X-Forwarded-For from 127.0.0.1 (FORWARDED_ALLOW_IPS' default): a reverse
    # proxy on the same machine passes the client's address through.
    server = servers.start()
    admin = Admin(imagegate_command, env_for(), server.data_dir)
    account = admin.json("accounts", "list")[0]
    key = admin.last_line("keys", "create", account["id"], "--ip-allow", "203.0.113.0/24")
    api = make_api(server, key)
    refused = api.create(TASK)
    assert refused.status_code == 401 and "127.0.0.1" in refused.json()["msg"], refused.text
    proxied = api.http.post("/api/v1/jobs/createTask", json=TASK,
                            headers={**api.auth, "X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 200, proxied.text
