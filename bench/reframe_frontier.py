"""Can any fill beat the best baselines on SSIM and on gradient statistics at once?

``bench/reframe_quality.py`` asks the classic engine to beat edge-extend+blur on SSIM (a blur
scores well) and the mirror on gradient statistics (the photo's own texture scores well). This
bench asks whether one fill can do both, using an oracle that no real method has: the true
photo itself. Each case's new area is filled with the engine's layout (``layout_fill``) plus
``gain`` times the true photo's own fine detail, in one of two ways:

- **elsewhere**: the truth's detail taken from the opposite side of the photo (the image turned
  half a circle), then scaled pixel by pixel to the local strength the truth has at that very
  spot. So the texture has the truth's statistics, and is strong exactly where the truth's is
  strong and weak where it is smooth: everything a fill could know short of the true pixels.
- **in place**: the truth's detail where it really is: the true pixels' fine structure.

If no gain of "elsewhere" beats both baselines, no texture that is not the true one can: the
two goals together ask for the true detail, pixel for pixel (the perception-distortion
trade-off, Blau and Michaeli 2018). Writes ``docs/reframe_frontier.md`` and prints it.

Run from the repository root: ``.venv/bin/python bench/reframe_frontier.py`` (about a minute).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from reframe import single_thread
from reframe.baselines import BASELINES, new_area
from reframe.metrics import Scores, score
from reframe.oracle import oracle_fill
from reframe.photos import PHOTOS, load_cases

GAINS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25)


def _means(rows: Sequence[Scores]) -> tuple[float, float]:
    return (
        sum(s.ssim for s in rows) / len(rows),
        sum(s.gradient for s in rows) / len(rows),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--photos", type=int, default=len(PHOTOS))
    parser.add_argument("--out", type=Path, default=Path("docs/reframe_frontier.md"))
    args = parser.parse_args(argv)
    single_thread()
    cases = load_cases(args.photos)
    baseline = {name: _means([score(method(c.crop, c.size, c.box, 0), c.truth,
                                     new_area(c.size, c.box)) for c in cases])
                for name, method in BASELINES.items()}
    best_ssim = max(baseline.items(), key=lambda item: item[1][0])
    best_gradient = min(baseline.items(), key=lambda item: item[1][1])
    command = shlex.join([".venv/bin/python", "bench/reframe_frontier.py", *sys.argv[1:]])
    lines = [
        "# Reframe: the SSIM and gradient goals against an oracle",
        "",
        f"Produced by `{command}` over {len(cases)} cases "
        "(the cases of `docs/reframe_quality.md`); what it measures is in the script's "
        "docstring. Means over the cases:",
        "",
        "| Fill | SSIM ↑ | Gradient ↓ | Beats the best SSIM baseline | Beats the best gradient "
        "baseline |",
        "|---|---:|---:|---|---|",
    ]
    for name, (ssim, gradient) in baseline.items():
        lines.append(f"| baseline {name} | {ssim:.3f} | {gradient:.3f} | | |")
    both = []
    for where in ("elsewhere", "in place"):
        for gain in GAINS if where == "elsewhere" else (1.0,):
            ssim, gradient = _means([
                score(oracle_fill(c, gain, where), c.truth, new_area(c.size, c.box))
                for c in cases
            ])
            wins = (ssim > best_ssim[1][0], gradient < best_gradient[1][1])
            if all(wins) and where == "elsewhere":
                both.append(gain)
            lines.append(
                f"| layout + {gain:g} x truth's detail {where} | {ssim:.3f} | {gradient:.3f} "
                f"| {'yes' if wins[0] else 'no'} | {'yes' if wins[1] else 'no'} |"
            )
    lines += [
        "",
        f"Best baselines: {best_ssim[0]} on SSIM ({best_ssim[1][0]:.3f}), {best_gradient[0]} on "
        f"gradient ({best_gradient[1][1]:.3f}).",
        "",
        ("Verdict: no gain of the truth's own detail, placed elsewhere with the truth's own "
         "local strength, beats both; only the true detail in its true place does."
         if not both else
         f"Verdict: gains {both} of the truth's detail elsewhere beat both baselines: the two "
         "goals are not in conflict on these cases."),
        "",
    ]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
