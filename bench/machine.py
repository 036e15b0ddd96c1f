"""How fast this machine is right now, so that figures from different days can be compared.

The machine is shared: on 2026-11-29 the same code measured /healthz at half the rate of
the day before, with nothing else of ours running. Each bench prints the time of one fixed
pure-Python loop beside its figures; compare figures only between runs whose probes agree.
"""
from __future__ import annotations

import os
import time

REFERENCE_LOOP = "sum(i * i for i in range(1_000_000))"


def probe_ms(repeat: int = 5) -> float:
    """The fastest of `repeat` runs of the reference loop, in CPU milliseconds."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        sum(i * i for i in range(1_000_000))
        best = min(best, time.process_time() - started)
    return best * 1000


def describe() -> str:
    return (f"machine probe: {probe_ms():.0f} ms CPU for `{REFERENCE_LOOP}` (lower is faster), "
            f"load average {os.getloadavg()[0]:.2f}")
