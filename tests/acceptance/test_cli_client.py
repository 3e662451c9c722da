"""The client commands (`imagegate reframe|edit|generate|task|credits`) as subprocesses, against
a running `imagegate serve` (mock mode): files, JSON, progress on and off a terminal, exit codes.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from photos import photo_file

pytestmark = pytest.mark.acceptance

IMAGEGATE = Path(sys.executable).parent / "imagegate"
CLI_TIMEOUT = 60
# landscape_16_9 in pixels (catalog/presets.py).
LANDSCAPE_16_9 = (1024, 576)


def cli_env(server: Any, key: str | None, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("IMAGEGATE_") and k != "KIE_API_KEY"
    }
    env["IMAGEGATE_BASE_URL"] = server.base_url
    if key is not None:
        env["IMAGEGATE_API_KEY"] = key
    env.update(extra)
    return env


def cli(
    server: Any, key: str | None, *args: str, cwd: Path, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(IMAGEGATE), *args],
        capture_output=True,
        text=True,
        env=cli_env(server, key, **extra),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        timeout=CLI_TIMEOUT,
        check=False,
    )


def show(done: subprocess.CompletedProcess[str]) -> str:
    return f"rc={done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "coffee.png"
    path.write_bytes(photo_file())
    return path


@pytest.fixture(scope="module")
def slow(shared: Any) -> Any:
    """A second server whose mock engine takes 2 s a task (killed with the shared one)."""
    return shared.servers.start(env={"IMAGEGATE_MOCK_LATENCY": "2"})


# ------------------------------------------------------------------ success


def test_reframe_local_photo_downloads_predictable_files_with_plain_progress(
    shared: Any, photo: Path, tmp_path: Path
) -> None:
    done = cli(
        shared.server, shared.api.key,
        "reframe", photo.name, "--size", "landscape_16_9", "-n", "2", "--seed", "7",
        "-o", "out", cwd=tmp_path,
    )
    assert done.returncode == 0, show(done)
    paths = [Path(line) for line in done.stdout.splitlines()]
    assert len(paths) == 2, show(done)
    names = [re.fullmatch(r"(.+)-(\d)\.png", path.name) for path in paths]
    assert all(names), paths
    task_id = names[0].group(1)  # type: ignore[union-attr]
    assert [(m.group(1), m.group(2)) for m in names if m] == [(task_id, "1"), (task_id, "2")]
    for path in paths:
        full = tmp_path / path if not path.is_absolute() else path
        assert full.parent.resolve() == (tmp_path / "out").resolve()
        with Image.open(full) as image:
            assert image.size == LANDSCAPE_16_9
    # Not on a terminal: plain lines on stderr, the last one the success.
    lines = done.stderr.splitlines()
    assert f"task {task_id} created" in lines[0], show(done)
    progress = [line for line in lines if line.startswith(f"task {task_id}: ")]
    assert progress and progress[-1] == f"task {task_id}: success 100%", show(done)
    assert "\r" not in done.stderr and "━" not in done.stderr
    record = shared.api.record_data(task_id)
    assert record["state"] == "success" and record["model"] == "ideogram/v3-reframe"
    assert json.loads(record["param"])["input"]["num_images"] in ("2", 2)


def test_json_output_then_task_show_and_task_wait(
    shared: Any, photo: Path, tmp_path: Path
) -> None:
    done = cli(
        shared.server, shared.api.key,
        "reframe", str(photo), "--size", "square", "--json", "-o", str(tmp_path / "a"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, show(done)
    answer = json.loads(done.stdout)  # stdout is the JSON document and nothing else
    task_id = answer["taskId"]
    assert answer["state"] == "success"
    assert answer["task"]["taskId"] == task_id and answer["task"]["state"] == "success"
    assert json.loads(answer["task"]["resultJson"])["resultUrls"]
    assert [Path(p).name for p in answer["files"]] == [f"{task_id}-1.png"]
    with Image.open(answer["files"][0]) as image:
        assert image.size == (512, 512)

    shown = cli(shared.server, shared.api.key, "task", "show", task_id, cwd=tmp_path)
    assert shown.returncode == 0, show(shown)
    assert f"task:         {task_id}" in shown.stdout
    assert re.search(r"^state:\s+success$", shown.stdout, re.M), show(shown)
    assert re.search(r"^result 1:\s+http", shown.stdout, re.M), show(shown)
    shown = cli(shared.server, shared.api.key, "task", "show", task_id, "--json", cwd=tmp_path)
    assert shown.returncode == 0, show(shown)
    assert json.loads(shown.stdout)["task"]["taskId"] == task_id

    waited = cli(
        shared.server, shared.api.key, "task", "wait", task_id, "-o", "b", cwd=tmp_path
    )
    assert waited.returncode == 0, show(waited)
    assert [Path(line).name for line in waited.stdout.splitlines()] == [f"{task_id}-1.png"]
    assert (tmp_path / "b" / f"{task_id}-1.png").is_file()


def test_generate_no_wait_prints_the_id_and_task_wait_downloads(
    shared: Any, tmp_path: Path
) -> None:
    done = cli(
        shared.server, shared.api.key,
        "generate", "--model", "google/imagen4-fast", "--prompt", "a lighthouse",
        "--set", "aspect_ratio=16:9", "--no-wait", cwd=tmp_path,
    )
    assert done.returncode == 0, show(done)
    task_id = done.stdout.strip()
    assert task_id and "\n" not in task_id, show(done)
    assert f"imagegate task wait {task_id}" in done.stderr
    waited = cli(
        shared.server, shared.api.key, "task", "wait", task_id, "--json", cwd=tmp_path
    )
    assert waited.returncode == 0, show(waited)
    answer = json.loads(waited.stdout)
    assert answer["task"]["model"] == "google/imagen4-fast"
    assert json.loads(answer["task"]["param"])["input"]["aspect_ratio"] == "16:9"
    assert [Path(p).name for p in answer["files"]] == [f"{task_id}-1.png"]
    assert (tmp_path / f"{task_id}-1.png").is_file()


def test_credits(shared: Any, tmp_path: Path) -> None:
    balance = shared.api.balance()
    done = cli(shared.server, shared.api.key, "credits", cwd=tmp_path)
    assert done.returncode == 0, show(done)
    assert float(done.stdout) == balance
    done = cli(shared.server, shared.api.key, "credits", "--json", cwd=tmp_path)
    assert json.loads(done.stdout) == {"credits": balance}
    # KIE_API_KEY is read when IMAGEGATE_API_KEY is not set; --api-key beats both.
    done = cli(shared.server, None, "credits", cwd=tmp_path, KIE_API_KEY=shared.api.key)
    assert done.returncode == 0 and float(done.stdout) == balance, show(done)


# ------------------------------------------------------------------ exit codes


def test_usage_errors_exit_2(shared: Any, photo: Path, tmp_path: Path) -> None:
    for args in (
        ["reframe", str(photo), "--size", "square", "--speed", "FAST"],
        ["reframe", str(photo)],
        ["reframe", str(tmp_path / "missing.png"), "--size", "square"],
        ["generate", "--model", "google/imagen4", "--prompt", "x", "--set", "novalue"],
        ["task", "show"],
        ["credits", "--bogus"],
    ):
        done = cli(shared.server, shared.api.key, *args, cwd=tmp_path)
        assert done.returncode == 2, (args, show(done))
        assert done.stdout == "", (args, show(done))


def test_api_errors_exit_3_and_say_what_to_do(shared: Any, photo: Path, tmp_path: Path) -> None:
    done = cli(shared.server, "ig_" + "x" * 40, "credits", cwd=tmp_path)
    assert done.returncode == 3, show(done)
    assert "IMAGEGATE_API_KEY" in done.stderr and "--api-key" in done.stderr, show(done)

    done = cli(shared.server, None, "credits", "--json", cwd=tmp_path)
    assert done.returncode == 3, show(done)
    assert "set IMAGEGATE_API_KEY" in done.stderr and "--api-key" in done.stderr, show(done)
    assert json.loads(done.stdout)["error"]["exitCode"] == 3

    done = cli(shared.server, shared.api.key, "task", "show", "no-such-task", cwd=tmp_path)
    assert done.returncode == 3, show(done)
    assert "not found" in done.stderr and "task id" in done.stderr, show(done)

    done = cli(
        shared.server, shared.api.key,
        "reframe", str(photo), "--size", "enormous", cwd=tmp_path,
    )
    assert done.returncode == 3, show(done)
    assert "image_size" in done.stderr and "imagegate reframe --help" in done.stderr, show(done)


def test_failed_task_exits_4(servers: Any, photo: Path, tmp_path: Path) -> None:
    server = servers.start(env={"IMAGEGATE_MOCK_FAIL_RATE": "1"})
    key = server.printed_key()
    done = cli(
        server, key, "reframe", str(photo), "--size", "square", "--json", cwd=tmp_path
    )
    assert done.returncode == 4, show(done)
    answer = json.loads(done.stdout)
    task_id = answer["taskId"]
    assert answer["state"] == "fail" and answer["task"]["failMsg"], show(done)
    assert answer["error"]["exitCode"] == 4
    assert f"task {task_id} failed" in done.stderr, show(done)
    assert f"imagegate task show {task_id}" in done.stderr, show(done)
    assert not list(tmp_path.glob(f"{task_id}-*"))


def test_timeout_exits_5_and_names_the_way_on(
    shared: Any, slow: Any, photo: Path, tmp_path: Path
) -> None:
    key = slow.printed_key()
    started = time.monotonic()
    done = cli(
        slow, key, "reframe", str(photo), "--size", "square", "--timeout", "0.1", cwd=tmp_path
    )
    assert done.returncode == 5, show(done)
    assert time.monotonic() - started < 10
    match = re.search(r"the task is still running: imagegate task wait (\S+)", done.stderr)
    assert match, show(done)
    assert done.stdout == ""


# ------------------------------------------------------------------ a terminal


def run_in_terminal(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run ``args`` with stdin, stdout and stderr on a pseudo-terminal; (exit code, output)."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
            start_new_session=True,
        )
    finally:
        os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + CLI_TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: every end of the terminal is closed
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return code, b"".join(chunks).decode(errors="replace")


def test_terminal_shows_a_live_progress_bar(
    shared: Any, slow: Any, photo: Path, tmp_path: Path
) -> None:
    env = cli_env(slow, slow.printed_key(), TERM="xterm-256color", COLUMNS="100")
    code, output = run_in_terminal(
        [str(IMAGEGATE), "reframe", str(photo), "--size", "square", "-o", "out"],
        env, tmp_path,
    )
    assert code == 0, output
    files = list((tmp_path / "out").glob("*-1.png"))
    assert len(files) == 1, output
    task_id = files[0].name.removesuffix("-1.png")
    assert "━" in output, output  # rich's bar
    assert re.search(rf"{task_id} (waiting|queuing|generating)", output), output
    assert f"{task_id} success" in output, output
    assert "100%" in output, output
    assert "\x1b[" in output, output  # the bar is redrawn in place
    assert str(Path("out") / files[0].name) in output
