"""What the classic engine runs in a CpuPool process: decode → reframe each image → encode.

Everything crosses the process boundary by pickling, so the work is one frozen dataclass and
one top-level function, and failures leave as imagegate errors (picklable, and already saying
whether another engine could help).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol, TypeVar

from imagegate.engines.base import OutputImage
from imagegate.engines.classic.progress import ProgressWriter
from imagegate.errors import EngineUnavailable, GenerationFailed, TaskError

log = logging.getLogger(__name__)

SOFTWARE = "imagegate classic reframe engine"
# The formats the work writes (codec.encode), with their types.
MIME_TYPES: Final[dict[str, str]] = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
}
# Shares of the progress bar: decoding before the images, encoding inside each image's share.
_DECODED = 0.05
_SYNTHESIS = 0.9


@dataclass(frozen=True, slots=True)
class ReframeWork:
    """One task's reframe: the source file, the canvas, and one seed per output image."""

    source: bytes
    width: int
    height: int
    speed: str
    seed: int  # the task's seed, recorded in the outputs' metadata
    image_seeds: tuple[int, ...]  # the seed each output image's fill is drawn with
    output_format: str  # png | jpeg | webp
    # Seconds of work for all the images together, counted from the moment the work starts
    # (time spent queueing for a free process is not taken from it).
    budget_seconds: float
    progress_name: str | None = None  # the ProgressBlock to write to
    source_field: str = "input.image_url"  # named in the error when the source cannot be used


def image_deadlines(started: float, budget: float, count: int) -> list[float]:
    """Each image's deadline: image i may run until its share of the budget, plus whatever
    the images before it left unused, is spent."""
    return [started + budget * (index + 1) / count for index in range(count)]


class Work(Protocol):
    """What every piece of the engine's work carries: the ProgressBlock it writes to."""

    @property
    def progress_name(self) -> str | None: ...


W = TypeVar("W", bound=Work)


def guarded(
    body: Callable[[W, float, ProgressWriter], list[OutputImage]], work: W
) -> list[OutputImage]:
    """``body(work, started, progress)`` with its failures as imagegate errors: its own
    ``TaskError`` as raised, ``EngineUnavailable`` when out of memory and
    ``GenerationFailed`` for anything else."""
    started = time.monotonic()
    progress = ProgressWriter(work.progress_name)
    try:
        return body(work, started, progress)
    except TaskError:
        raise
    except MemoryError as exc:
        # Another engine, or this one on a quieter machine, may well manage.
        raise EngineUnavailable("classic engine: out of memory") from exc
    except Exception as exc:
        log.exception("classic engine failed")
        raise GenerationFailed(f"classic engine failed: {type(exc).__name__}: {exc}") from exc
    finally:
        progress.close()


def render(work: ReframeWork) -> list[OutputImage]:
    """The task's reframed images. Raises ``InputRejected`` for an undecodable source,
    ``EngineUnavailable`` when out of memory and ``GenerationFailed`` for anything else."""
    return guarded(_render, work)


def _render(work: ReframeWork, started: float, progress: ProgressWriter) -> list[OutputImage]:
    # Imported where the work runs: the API's process only builds the work and never needs
    # NumPy and OpenCV (about 27 MB of its memory).
    import cv2

    from imagegate.engines.classic.codec import decode, encode
    from imagegate.engines.classic.reframe import reframe_array

    # One task uses one core: parallelism comes from engine processes (engine_processes), and
    # OpenCV's own pool in each of them would only contend for the same cores.
    cv2.setNumThreads(1)

    size = (work.width, work.height)
    source = decode(work.source, size, field=work.source_field)
    progress.write(_DECODED)
    count = len(work.image_seeds)
    deadlines = image_deadlines(started, work.budget_seconds, count)
    outputs: list[OutputImage] = []
    for index, (seed, deadline) in enumerate(zip(work.image_seeds, deadlines, strict=True)):

        def advance(fraction: float, index: int = index) -> None:
            progress.write(_DECODED + _SYNTHESIS * (index + fraction) / count)

        canvas = reframe_array(
            source, size, speed=work.speed, seed=seed, progress=advance, deadline=deadline
        )
        text = {
            "Software": SOFTWARE,
            "Comment": (
                f"{SOFTWARE}; rendering_speed={work.speed}; seed={work.seed};"
                f" image={index + 1}/{count}; fill_seed={seed}"
            ),
        }
        data = encode(canvas, work.output_format, text)
        outputs.append(
            OutputImage(data, MIME_TYPES[work.output_format], canvas.shape[1], canvas.shape[0])
        )
        advance(1.0)
    progress.write(1.0)
    return outputs
