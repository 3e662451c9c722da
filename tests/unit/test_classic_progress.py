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


def test_a_reframe_reports_progress_through_its_stages() -> None:
    """Both bands' search rounds and their finishes move the bar, in order, to 1.0: not one
    jump at the end."""
    import numpy as np
    from skimage import data

    from imagegate.engines.classic.reframe import reframe_array

    seen: list[float] = []
    reframe_array(data.astronaut(), (768, 432), speed="BALANCED", progress=seen.append)
    assert seen[-1] == 1.0
    assert (np.diff(seen) > 0).all()
    assert len(seen) >= 10
    assert seen[0] < 0.1  # the first report comes early, not after the first band
    # Halfway (the first band's search and finish done) is reported on its own.
    assert any(0.3 < value < 0.7 for value in seen)
    assert np.diff(seen).max() < 0.4  # no single stage is most of the bar
