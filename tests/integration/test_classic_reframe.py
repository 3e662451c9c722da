"""ideogram/v3-reframe through the API and the worker on the classic engine (not the mock): a
photograph served on loopback comes back reframed, its pixels kept, at the preset's size."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import numpy as np
from skimage import data

from imagegate.tasks.state import TaskState

from photos import assert_source_kept, photo_file, pixels


async def wait_terminal(api: Any, task_id: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = (await api.record(task_id)).json()["data"]
        if found["state"] in ("success", "fail"):
            return dict(found)
        assert asyncio.get_running_loop().time() < deadline, f"task stuck in {found['state']}"
        await asyncio.sleep(0.11)  # stays under the 10/s recordInfo limit


async def test_a_photograph_is_reframed_by_the_classic_engine(
    harness_opener: Any, runtime_factory: Any, loopback: Any
) -> None:
    photo = photo_file(data.chelsea(), "JPEG", quality=92)
    loopback.responses["/chelsea.jpg"] = (200, "image/jpeg", photo)
    harness, client = await harness_opener(runtime_factory(mock=False), start=True)
    async with client:
        body = {
            "model": "ideogram/v3-reframe",
            "input": {"image_url": loopback.url("/chelsea.jpg"), "image_size": "square",
                      "rendering_speed": "TURBO", "num_images": "2", "seed": 4},
        }
        task_id = (await harness.create(body)).json()["data"]["taskId"]
        record = await wait_terminal(harness, task_id)
        assert record["state"] == "success", record
        assert record["progress"] == 100
        task = await harness.runtime.store.get_task(task_id)
        assert task.state is TaskState.SUCCESS and task.engine == "classic"

        outputs = []
        for url in json.loads(record["resultJson"])["resultUrls"]:
            response = await client.get(url.removeprefix("http://testserver"))
            assert response.status_code == 200
            assert response.headers["content-type"] == "image/png"
            assert_source_kept(response.content, photo, (512, 512))
            outputs.append(pixels(response.content))
        assert len(outputs) == 2 and not np.array_equal(outputs[0], outputs[1])
    await harness.runtime.worker.stop()
    await harness.runtime.callbacks.stop()
