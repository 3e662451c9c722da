"""Progress through one byte of shared memory: written as percents, never backwards, relayed."""

from __future__ import annotations

import asyncio
import os

from imagegate.engines.classic.progress import ProgressBlock, ProgressWriter


def test_the_writer_writes_rising_percents_the_block_reads_them() -> None:
    with ProgressBlock() as block:
        writer = ProgressWriter(block.name)
        assert block.read() == 0
        writer.write(0.427)
        assert block.read() == 42
        writer.write(0.2)  # never backwards
        assert block.read() == 42
        writer.write(7.0)  # clamped
        assert block.read() == 100
        writer.close()


def test_a_block_that_is_gone_is_no_error() -> None:
    block = ProgressBlock()
    name = block.name
    block.close()
    assert not os.path.exists(f"/dev/shm/{name.lstrip('/')}")
    writer = ProgressWriter(name)
    writer.write(0.5)  # nobody listens any more
    writer.close()
    nobody = ProgressWriter(None)
    nobody.write(0.5)
    nobody.close()


async def test_relay_reports_each_new_value_once() -> None:
    seen: list[int] = []
    with ProgressBlock() as block:
        relay = asyncio.create_task(block.relay(seen.append, 0.005))
        writer = ProgressWriter(block.name)
        for fraction in (0.1, 0.1, 0.5):
            writer.write(fraction)
            await asyncio.sleep(0.03)
        relay.cancel()
        writer.close()
    assert seen == [10, 50]
