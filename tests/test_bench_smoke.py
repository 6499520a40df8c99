"""The benchmark still runs: `python -m bench.run` end to end, briefly, on SQLite (see bench/README.md).

One short latency run through the whole set-up (the fake Slack, `python main.py`, the load
generator, each its own process): it must finish, send events, relay every one exactly once in the
right place, and measure relay latencies. Its numbers are not checked against targets (the machine
is shared); that is the full benchmark's job. And a benchmark that is stopped (a timeout, CI, kill)
must not leave its processes behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
BENCH = ["-m", "bench.run", "--quick", "--databases", "sqlite", "--phases", "latency", "--no-baseline"]
RUN_TIMEOUT = 90  # seconds; the run takes ~10
MARK = "BENCH_SMOKE_MARK"  # in the environment of the benchmark and every process it starts


def marked_processes(mark: str) -> dict[int, str]:
    """PID → command line of the live processes that inherited `mark` (zombies have no environment)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if f"{MARK}={mark}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def wait_until_gone(mark: str, timeout: float = 30) -> dict[int, str]:
    """The marked processes still alive after `timeout`; those are killed (a failed test must not leave
    them running either) and returned, for the test to fail on."""
    deadline = time.monotonic() + timeout
    while (left := marked_processes(mark)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left


class Bench:
    """`python -m bench.run` in its own session, its output in a file, its JSON in `out`."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.mark = uuid.uuid4().hex
        self.out = tmp_path / "r.json"
        self.log = tmp_path / "bench.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, *BENCH, "--out", str(self.out), *args],
                cwd=REPO,
                # TMPDIR: its work files (kept when it fails) go with the test's, not into /tmp.
                env={**os.environ, MARK: self.mark, "TMPDIR": str(tmp_path)},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        """What it printed, and the end of each of its processes' logs (kept when it fails)."""
        text = self.log.read_text(errors="replace")
        for log in sorted(self.log.parent.glob("handoff-bench-*/*.log")):
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            text += f"\n--- {log.name}, last lines ---\n{tail}"
        return text

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            pytest.fail(f"the benchmark did not finish within {timeout} s:\n{self.output()}")

    def stop(self) -> None:
        """SIGTERM (it stops what it started), then SIGKILL to its whole process group."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        left = wait_until_gone(self.mark)
        assert not left, f"processes left behind: {left}"


@pytest.fixture
def bench(tmp_path: Path) -> Any:
    started: list[Bench] = []

    def start(*args: str) -> Bench:
        started.append(Bench(tmp_path, *args))
        return started[-1]

    yield start
    for run in started:  # also when the test failed: nothing may outlive it
        run.stop()


def test_a_short_latency_run_relays_every_event_exactly_once(bench: Any) -> None:
    run = bench()
    status = run.wait(RUN_TIMEOUT)
    assert status == 0, run.output()
    results = json.loads(run.out.read_text())
    assert results["completed"] is True
    assert results["plan"]["databases"] == ["sqlite"] and results["plan"]["phases"] == ["latency"]
    assert list(results["targets"]) == ["sqlite"]
    latency = results["targets"]["sqlite"]["latency"]
    summary = {k: latency[k] for k in ("events", "acked", "errors", "lost", "duplicated", "misplaced")}
    assert latency["events"] > 0, summary
    assert latency["acked"] == latency["events"] and latency["errors"] == 0, summary
    assert (latency["lost"], latency["duplicated"], latency["misplaced"]) == (0, 0, 0), summary
    assert latency["relay_ms"]["n"] == latency["acked"]
    assert latency["relay_ms"]["p50"] > 0
    assert latency["ack_ms"]["p50"] > 0
    assert all(verdict["met"] for verdict in results["verdicts"]), results["verdicts"]
    assert not wait_until_gone(run.mark)


@pytest.mark.parametrize("when", ["main.py", "bench.load"], ids=["app-starting", "load-running"])
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["terminated", "killed"])
def test_a_stopped_benchmark_leaves_no_process_behind(bench: Any, how: signal.Signals, when: str) -> None:
    """SIGTERM unwinds the orchestrator's clean-up; after SIGKILL, the kernel tells its children."""
    run = bench()
    deadline = time.monotonic() + RUN_TIMEOUT
    # Stopped while `when` runs: the app starting (the fake Slack is up), or the load generator sending.
    while not any(when in cmdline for cmdline in marked_processes(run.mark).values()):
        assert run.process.poll() is None, run.output()
        assert time.monotonic() < deadline, run.output()
        time.sleep(0.02)
    run.process.send_signal(how)  # to the orchestrator alone, not its process group
    run.process.wait(60)
    left = wait_until_gone(run.mark)
    assert not left, f"processes left behind: {left}\n{run.output()}"
