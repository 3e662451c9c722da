"""The Markdown report of a quality run: summary, verdict, per-photo tables, how it was made."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
from collections.abc import Mapping, Sequence

from machine import cpu_model, load_average, versions
from reframe.baselines import BASELINES
from reframe.methods import CLASSIC
from reframe.metrics import MEASURES, Scores
from reframe.photos import Case

# The explanation that goes under the header; kept here, beside the code that it describes.
EXPLANATION = """\
Each photo (bundled with scikit-image, long side capped at 640 px) is cut twice to a centred
band of a different aspect: full width (`-rows`: bands to fill above and below) and full height
(`-cols`: left and right), 38 % of the photo missing either way. Every method reframes the
band back to the photo's size, with the band landing exactly where it was cut (checked against
the engine's `place()`: no scaling), and only the synthesised area is compared with the real
photo:

- **SSIM** (higher is better): mean of skimage's SSIM map (grayscale, 7x7 windows) over the
  synthesised pixels. Rewards putting back what was really there; catches wrong layout and
  seams. It also rewards blur of the right mean over a plausible but different texture, so it
  is not read alone.
- **Gradient** (lower is better, 0-2): L1 distance between the joint histograms of gradient
  orientation (8 bins) and log gradient magnitude (8 bins) of result and truth. Blind to where
  things are; catches blur (too few gradients) and smeared streaks (orientations piled into one
  direction).
- **Colour** (lower is better, 0-1): chi-square distance between 8x8x8 Lab histograms of result
  and truth. Catches casts and colours brought from the wrong part of the photo.
- **Large-scale error** (lower is better, 0-255): mean absolute RGB difference of result and
  truth both shrunk 16x by area averaging (16x16 block means), over the blocks wholly in the
  synthesised area. What a viewer sees from across the room (where the sky is, how bright each
  side is); blind to texture, so it catches convincing texture in the wrong place.

Methods: `classic-TURBO|BALANCED|QUALITY` is the engine's `reframe_array` at each speed.
`classic-layout-only` is the engine's predicted layout (`layout.py`) with no texture added: not
a speed and not a baseline (the verdict leaves it out), it shows what the texture costs and buys.
`edge-extend+blur` repeats the border pixels outwards and blurs them more with distance;
`opencv-telea` and `opencv-ns` are `cv2.inpaint` (radius 5) over the new area; `mirror`
reflects the source about its edges (`cv2.BORDER_REFLECT_101`);
`plain-patchmatch` is a textbook multi-scale PatchMatch with Wexler EM voting (7x7 patches,
onion-peel start at the coarsest scale; no repetition, saliency or colour guards;
`bench/reframe/plain_patchmatch.py`). Seconds are wall time of the method call alone, on one
thread (`cv2.setNumThreads(1)`, BLAS and OpenMP at one thread), on the machine named above;
they vary with what else that machine runs (hence the load average).
"""


def machine() -> str:
    packages = versions(
        (("numpy", "numpy"), ("opencv", "opencv-python-headless"), ("scikit-image", "scikit-image"))
    )
    # Other work on the machine slows the timings (not the scores): record how busy it was.
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, load average {load_average()} at the start; "
        f"Python {platform.python_version()}, {packages}"
    )


def _format(value: float, attribute: str) -> str:
    return f"{value:.2f}" if attribute in ("seconds", "large") else f"{value:.3f}"


def _means(scores: Mapping[str, Sequence[Scores]], attribute: str) -> dict[str, float]:
    return {
        method: statistics.fmean(getattr(s, attribute) for s in rows)
        for method, rows in scores.items()
    }


def _best(means: Mapping[str, float], higher_is_better: bool) -> str:
    pick = max if higher_is_better else min
    return pick(means, key=means.__getitem__)


def summary_table(
    scores: Mapping[str, Sequence[Scores]], seconds: Mapping[str, Sequence[float]]
) -> list[str]:
    header = (
        "| Method | "
        + " | ".join(f"{title} {'↑' if higher else '↓'}" for _, title, higher in MEASURES)
        + " | Seconds / image |"
    )
    lines = [header, "|---|" + "---:|" * (len(MEASURES) + 1)]
    means = {attribute: _means(scores, attribute) for attribute, _, _ in MEASURES}
    best = {a: _best(means[a], higher) for a, _, higher in MEASURES}
    for method in scores:
        cells = []
        for attribute, _, _ in MEASURES:
            text = _format(means[attribute][method], attribute)
            cells.append(f"**{text}**" if best[attribute] == method else text)
        cells.append(_format(statistics.fmean(seconds[method]), "seconds"))
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return lines


def per_photo_table(
    cases: Sequence[Case],
    values: Mapping[str, Sequence[float]],
    attribute: str,
    higher_is_better: bool | None,
) -> list[str]:
    """Photos down, methods across, then the mean row (best mean in bold unless ``None``)."""
    methods = list(values)
    lines = ["| Photo | " + " | ".join(methods) + " |", "|---|" + "---:|" * len(methods)]
    for index, case in enumerate(cases):
        cells = [_format(values[m][index], attribute) for m in methods]
        lines.append(f"| {case.name} | " + " | ".join(cells) + " |")
    means = {m: statistics.fmean(values[m]) for m in methods}
    best = None if higher_is_better is None else _best(means, higher_is_better)
    cells = [
        f"**{_format(means[m], attribute)}**" if m == best else _format(means[m], attribute)
        for m in methods
    ]
    lines.append("| **mean** | " + " | ".join(cells) + " |")
    return lines


def verdict(scores: Mapping[str, Sequence[Scores]]) -> list[str]:
    """For each classic speed run: does its mean beat every baseline's, measure by measure?"""
    baselines = [m for m in scores if m in BASELINES]
    classics = [m for m in scores if m in CLASSIC]
    if not baselines or not classics:
        return ["(No verdict: the run needs at least one classic method and one baseline.)"]
    means = {attribute: _means(scores, attribute) for attribute, _, _ in MEASURES}
    lines = []
    for method in classics:
        parts = []
        for attribute, title, higher in MEASURES:
            mine = means[attribute][method]
            losses = [
                b
                for b in baselines
                if (means[attribute][b] >= mine if higher else means[attribute][b] <= mine)
            ]
            if losses:
                parts.append(f"{title}: **no** (not better than {', '.join(losses)})")
            else:
                parts.append(f"{title}: yes")
        everywhere = all(p.endswith("yes") for p in parts)
        lead = "beats" if everywhere else "does not beat"
        lead += f" every baseline on all {len(MEASURES)} means"
        lines.append(f"- **{method}** {lead}. " + "; ".join(parts) + ".")
    return lines


def cases_table(cases: Sequence[Case]) -> list[str]:
    lines = ["| Photo | Size | Kept (box) | Bands filled | New area |", "|---|---|---|---|---:|"]
    for case in cases:
        w, h = case.size
        b = case.box
        lines.append(
            f"| {case.name} | {w}x{h} | {b.width}x{b.height} at ({b.left}, {b.top}) "
            f"| {case.bands} | {case.new_fraction:.1%} |"
        )
    return lines


def markdown(
    cases: Sequence[Case],
    scores: Mapping[str, Sequence[Scores]],
    seconds: Mapping[str, Sequence[float]],
    *,
    command: str,
    seed: int,
    sheet: str | None,
    machine_line: str,
    started: dt.datetime,
) -> str:
    date = started.strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Reframe quality: the classic engine against baselines",
        "",
        f"Produced by `{command}` on {date} (seed {seed}); machine: {machine_line}.",
        "Every figure below is measured by that run; rerun the command to refresh them.",
        "",
        EXPLANATION,
        f"## Summary: means over {len(cases)} cases"
        f" ({len({c.photo for c in cases})} photos, each cut two ways)",
        "",
        *summary_table(scores, seconds),
        "",
        "Best mean in bold. Does each classic speed beat every baseline on the mean?",
        "",
        *verdict(scores),
        "",
    ]
    if sheet:
        out += [f"Contact sheet (truth, then each method; source outlined): `{sheet}`.", ""]
    out += ["## Per photo", ""]
    for attribute, title, higher in MEASURES:
        values = {m: [getattr(s, attribute) for s in rows] for m, rows in scores.items()}
        out += [
            f"### {title} ({'higher' if higher else 'lower'} is better)",
            "",
            *per_photo_table(cases, values, attribute, higher),
            "",
        ]
    out += [
        "### Seconds per image (wall time of the method call, one thread)",
        "",
        *per_photo_table(cases, seconds, "seconds", None),
        "",
        "## The photos and what was kept",
        "",
        *cases_table(cases),
        "",
    ]
    return "\n".join(out)
