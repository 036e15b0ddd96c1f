"""The suite's time against an earlier revision's, in the same hour: runs interleaved.

    .venv/bin/python bench/suite_ab.py REVISION [--rounds 2] [--workers auto] [-- extra pytest arguments]

On a shared machine the same code's suite time moves by 10% from one hour to the next
(133.7-157.9 s for one commit on 2026-11-30), so two figures measured apart compare
nothing. This checks REVISION out into a temporary git worktree and runs `make test`'s
pytest command there and here alternately (baseline, current, baseline, current, ...),
with this checkout's virtual environment: pytest imports webapp/ and tests/ from the
tree it runs in. For each run it prints the wall time, the machine's busy and idle
core-seconds from /proc/stat (which also count Chromium, whose processes the children's
rusage misses), the load average, and the failed tests by name; then the means and the
ratio current / baseline. Each tree keeps its own .pytest_cache, so the longest-first
order (tests/conftest.py) uses each tree's own last run: run it with --rounds 2 or more.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import describe  # noqa: E402

FINAL_LINE = re.compile(r"\b(passed|failed|error)\b.* in [0-9.]+s\b")
# Installed, not committed: the OpenID Connect provider the tests start (npm ci --prefix tests/oidc).
NOT_COMMITTED = ("tests/oidc/node_modules",)


@dataclass
class Run:
    label: str
    wall: float
    busy: float
    idle: float
    summary: str
    failed: list[str]


def cpu_seconds() -> tuple[float, float]:
    """The machine's busy (user, nice, system) and idle core-seconds since boot."""
    with open("/proc/stat") as stat:
        user, nice, system, idle = (int(value) for value in stat.readline().split()[1:5])
    ticks = os.sysconf("SC_CLK_TCK")
    return (user + nice + system) / ticks, idle / ticks


def run_suite(label: str, tree: Path, workers: str, extra: list[str]) -> Run:
    command = [str(ROOT / ".venv" / "bin" / "python"), "-m", "pytest", "-n", workers, "--maxschedchunk=2", *extra]
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    busy, idle = cpu_seconds()
    started = time.monotonic()
    result = subprocess.run(command, cwd=tree, env=environment, capture_output=True, text=True)
    wall = time.monotonic() - started
    busy_after, idle_after = cpu_seconds()
    lines = result.stdout.splitlines()
    summary = next((line.strip("= ") for line in reversed(lines) if FINAL_LINE.search(line)), f"exit {result.returncode}")
    failed = [line for line in lines if line.startswith(("FAILED ", "ERROR "))]
    return Run(label, wall, busy_after - busy, idle_after - idle, summary, failed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="the baseline: a commit, tag or branch")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each tree, interleaved")
    parser.add_argument("--workers", default="auto", help="pytest-xdist workers (make test: auto)")
    ours, extra = (sys.argv[1:sys.argv.index("--")], sys.argv[sys.argv.index("--") + 1:]) \
        if "--" in sys.argv else (sys.argv[1:], [])
    args = parser.parse_args(ours)
    current = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
    print(f"baseline {args.revision} against current {current}: {args.rounds} rounds, -n {args.workers}, "
          f"{os.cpu_count()} cores; {describe()}")
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="suite-ab-") as folder:
        baseline = Path(folder) / "baseline"
        subprocess.run(["git", "worktree", "add", "--detach", str(baseline), args.revision], cwd=ROOT,
                       check=True, capture_output=True)
        for path in NOT_COMMITTED:
            if (ROOT / path).exists() and not (baseline / path).exists():
                (baseline / path).symlink_to(ROOT / path)
        try:
            for round_number in range(1, args.rounds + 1):
                for label, tree in (("baseline", baseline), ("current", ROOT)):
                    run = run_suite(label, tree, args.workers, extra)
                    runs.append(run)
                    print(f"round {round_number} {label:8s} wall {run.wall:6.1f} s  busy {run.busy:5.0f} "
                          f"idle {run.idle:4.0f} core-s  load {os.getloadavg()[0]:.2f}  {run.summary}", flush=True)
                    for line in run.failed:
                        print(f"    {line}")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(baseline)], cwd=ROOT, check=False)
    means = {label: (statistics.mean(r.wall for r in runs if r.label == label),
                     statistics.mean(r.busy for r in runs if r.label == label)) for label in ("baseline", "current")}
    for label, (wall, busy) in means.items():
        print(f"mean {label:8s} wall {wall:6.1f} s  busy {busy:5.0f} core-s")
    print(f"ratio current / baseline: wall {means['current'][0] / means['baseline'][0]:.3f}, "
          f"busy {means['current'][1] / means['baseline'][1]:.3f}")
    if any(run.failed for run in runs):
        sys.exit(1)


if __name__ == "__main__":
    main()
