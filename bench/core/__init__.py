"""The parts of ``bench/run_core.py``: servers, CPU accounting, wrk load, end-to-end, report."""
