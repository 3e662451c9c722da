"""bench/gpu.py proven without a GPU: ``--tiny`` runs its whole code path (plain call, FLOP
count, DiffusersEngine with batching and fused QKV, the float8 row, rendering, --write) on the
CPU with the tests' tiny pipelines; the full-size architectures are built on the meta device
(no memory); without --tiny and without CUDA it refuses with exit 2."""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

torch = pytest.importorskip("torch", reason="bench/gpu.py needs torch (the test extra)")
pytest.importorskip("diffusers", reason="bench/gpu.py needs diffusers (the test extra)")
# One torch thread in this process (tests/conftest.py says why).
pytestmark = pytest.mark.usefixtures("one_torch_thread")

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench" / "gpu.py"
PIPELINES = ("flux", "kontext", "qwen-edit")
NUMBER = r"\d+\.\d+"


@functools.cache
def bench_module() -> ModuleType:
    """bench/gpu.py imported (bench/ is no package); registered first, as dataclasses need.
    bench/ goes on the path, as it is for the script itself (its helpers are in bench/core)."""
    if str(BENCH.parent) not in sys.path:
        sys.path.insert(0, str(BENCH.parent))
    spec = importlib.util.spec_from_file_location("bench_gpu", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def run_bench(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    # The bench's torch on one thread too, as this process's (torch reads it at import).
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, str(BENCH), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env=environment)


def test_tiny_runs_every_pipeline_and_writes_between_the_markers(tmp_path: Path) -> None:
    bench = bench_module()
    target = tmp_path / "performance.md"
    target.write_text(f"# Performance\n\nbefore\n\n{bench.MARK_BEGIN}\nstale figures\n"
                      f"{bench.MARK_END}\n\nafter\n")
    done = run_bench("--tiny", "--pipelines", ",".join(PIPELINES), "--write", str(target),
                     timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    # The last table printed is the whole run's: per pipeline, plain and imagegate with
    # numbers and a FLOP count, the compute bound n/a (no GPU peak), float8 skipped.
    table = done.stdout[done.stdout.rindex(bench.MARK_BEGIN):]
    assert "tiny CPU smoke run (NOT a measurement)" in table
    for kind in PIPELINES:
        for how in (r"plain diffusers \(float32, eager, 1 at a time\)",
                    r"imagegate, lossless \(fused QKV, batch 2\)"):
            assert re.search(
                rf"^\| {kind} \| {how} \| {NUMBER} \| {NUMBER} \| {NUMBER} \| [\d.]+ [kMGTP]?FLOP"
                r" \| n/a \| n/a \|$", table, re.MULTILINE), (kind, how, table)
        if importlib.util.find_spec("torchao") is None:
            assert re.search(rf"^\| {kind} \| imagegate \+ float8 \(LOSSY\) \|.*\| skipped:"
                             " torchao not installed", table, re.MULTILINE), table

    written = target.read_text()
    assert written.startswith("# Performance\n\nbefore\n\n")
    assert written.endswith(f"{bench.MARK_END}\n\nafter\n")
    assert "stale figures" not in written
    assert written.count(bench.MARK_BEGIN) == 1 and written.count(bench.MARK_END) == 1
    section = written[written.index(bench.MARK_BEGIN):written.index(bench.MARK_END)]
    assert "tiny CPU smoke run" in section and all(f"| {kind} |" in section for kind in PIPELINES)


def test_write_section_appends_when_the_file_has_no_markers(tmp_path: Path) -> None:
    bench = bench_module()
    target = tmp_path / "performance.md"
    target.write_text("# Performance\n")
    section = f"{bench.MARK_BEGIN}\nfigures\n{bench.MARK_END}\n"
    bench.write_section(target, section)
    assert target.read_text() == f"# Performance\n\n{section}"
    bench.write_section(target, section.replace("figures", "new figures"))
    assert target.read_text().count("figures") == 1 and "new figures" in target.read_text()


@pytest.mark.parametrize("kind, billions", [
    ("flux", {"transformer": 11.9, "text_encoder_2": 4.76, "text_encoder": 0.123}),
    ("kontext", {"transformer": 11.9, "text_encoder_2": 4.76, "text_encoder": 0.123}),
    ("qwen-edit", {"transformer": 20.4, "text_encoder": 8.29}),
])
def test_the_full_size_architectures_build(kind: str, billions: dict[str, float]) -> None:
    """What a GPU run builds, on the meta device: the configs are valid and the sizes are the
    real models' (FLUX.1 12B, T5-XXL, CLIP-L; Qwen-Image 20B, Qwen2.5-VL-7B), in bf16."""
    bench = bench_module()
    pipe = bench.build(kind, bench.Setup(tiny=False, device="meta", size=bench.SIZE))
    assert torch.get_default_dtype() == torch.float32  # restored after the bf16 build
    modules = {name: m for name, m in pipe.components.items() if isinstance(m, torch.nn.Module)}
    for name, expected in billions.items():
        count = sum(p.numel() for p in modules[name].parameters()) / 1e9
        assert count == pytest.approx(expected, rel=0.01), name
    assert {p.dtype for m in modules.values() for p in m.parameters()} == {torch.bfloat16}


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_without_tiny_and_without_cuda_it_refuses() -> None:
    done = run_bench("--pipelines", "flux", timeout=120)
    assert done.returncode == 2
    assert "this machine has none" in done.stderr and "--tiny" in done.stderr
    assert done.stdout == ""


def test_an_unknown_pipeline_is_refused_before_anything_runs() -> None:
    done = run_bench("--tiny", "--pipelines", "flux,nope", timeout=120)
    assert done.returncode == 2 and "'nope' is not one of" in done.stderr
    assert bench_module().MARK_BEGIN not in done.stdout
