"""The parts of ``bench/reframe_quality.py``: photos, methods, measures, contact sheet, report.

Importing the package first (before numpy) makes the run single-threaded, so every method's
seconds are one core's work and comparable between methods and runs: BLAS and OpenMP read
their thread counts once, when numpy loads, hence environment variables set here (a value
already in the environment wins); OpenCV's pool is set by ``single_thread``.
"""

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")


def single_thread() -> None:
    import cv2

    cv2.setNumThreads(1)
