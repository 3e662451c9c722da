"""Engine lanes (worker/lanes.py) and the pools behind them: which engines are bounded, which
tasks take a place, what a full lane leaves in the queue, and each CPU engine's own pool."""

from __future__ import annotations

from imagegate.engines.base import EngineJob, OutputImage, capacity_of
from imagegate.engines.classic.engine import ClassicEngine
from imagegate.engines.cpu import CpuPools
from imagegate.engines.mock import MockEngine
from imagegate.engines.registry import EngineContext, EngineSet
from imagegate.engines.router import Router
from imagegate.outbound import UrlPolicy
from imagegate.settings import Settings
from imagegate.worker.lanes import EngineLanes

REFRAME = "ideogram/v3-reframe"
UPSCALE = "topaz/image-upscale"
BANANA = "google/nano-banana"


class Named:
    """An engine that serves every model; bounded when given a capacity."""

    def __init__(self, name: str, capacity: int | None = None) -> None:
        self.name = name
        if capacity is not None:
            self.capacity = capacity

    def supports(self, model: str) -> bool:
        return True

    async def run(self, job: EngineJob) -> list[OutputImage]:
        raise AssertionError("not run here")


def test_a_full_lane_passes_over_the_models_its_engine_heads() -> None:
    cpu, mock = Named("cpu", capacity=2), Named("mock")
    lanes = EngineLanes(Router({REFRAME: [cpu], UPSCALE: [cpu], BANANA: [mock]}))
    assert lanes.bounded and lanes.excluded() == []
    assert lanes.take(BANANA) is None  # the mock engine is not bounded: no place taken
    assert lanes.take(REFRAME) == "cpu"
    assert lanes.excluded() == []  # one place of two left
    assert lanes.take(UPSCALE) == "cpu"
    assert lanes.excluded() == [REFRAME, UPSCALE] and lanes.held() == {"cpu": 2}
    assert lanes.give_back("cpu") is True  # it was full: waiting tasks may be claimed now
    assert lanes.excluded() == [] and lanes.give_back("cpu") is False
    assert lanes.give_back(None) is False


def test_no_bounded_engine_no_lanes() -> None:
    lanes = EngineLanes(Router({BANANA: [Named("mock")]}))
    assert not lanes.bounded and lanes.excluded() == [] and lanes.take(BANANA) is None


def test_a_route_counts_on_the_lane_of_the_engine_that_heads_it_in_rotation() -> None:
    """An upstream ahead of the CPU engine serves the route's tasks: they take no place on the
    CPU lane, until the upstream's circuit opens and the CPU engine heads the route."""
    cpu, upstream = Named("cpu", capacity=1), Named("kie")
    router = Router({REFRAME: [upstream, cpu], BANANA: [cpu]}, breaker_failures=1)
    lanes = EngineLanes(router)
    assert router.head(REFRAME) is upstream and lanes.take(REFRAME) is None
    assert lanes.take(BANANA) == "cpu"
    assert lanes.excluded() == [BANANA]  # the reframes still go to the upstream
    router.breaker("kie").failure()  # one failure opens it here
    assert router.head(REFRAME) is cpu
    assert lanes.excluded() == [REFRAME, BANANA]


def test_capacity_is_at_least_one_and_optional() -> None:
    assert capacity_of(Named("cpu", capacity=0)) == 1
    assert capacity_of(Named("cpu", capacity=3)) == 3
    assert capacity_of(Named("mock")) is None


def test_each_cpu_engine_has_a_pool_of_its_own(settings: Settings) -> None:
    """The classic engine's pool has IMAGEGATE_ENGINE_PROCESSES processes, and as many
    places; the mock engine renders in a pool of its own, of one process, so its renders never
    wait behind reframes. Nothing starts until the runtime starts the pools."""
    settings = settings.model_copy(update={"engine_processes": 3, "mock": False})
    pools = CpuPools(settings.engine_processes)
    engines = EngineSet(EngineContext(settings, pools, UrlPolicy(settings.url_allowlist)))
    classic, mock = engines.get("classic"), engines.get("mock")
    assert isinstance(classic, ClassicEngine) and isinstance(mock, MockEngine)
    classic_pool, mock_pool = classic.cpu, mock.cpu
    assert classic_pool is not mock_pool
    assert classic_pool.processes == 3 and mock_pool.processes == 1
    assert capacity_of(classic) == 3 and capacity_of(mock) is None
    assert pools.pool("classic") is classic_pool  # one pool per engine, made once


def test_threads_instead_of_processes_keep_one_place() -> None:
    pools = CpuPools(0)
    assert pools.pool("classic").processes == 0 and pools.pool("mock", most=1).processes == 0
    assert ClassicEngine(pools.pool("classic")).capacity == 1
