"""The benchmark still runs: `python -m bench.run` end to end, briefly, on SQLite (see bench/README.md).

One short latency run through the whole set-up (the fake Slack, `python main.py`, the load
generator, each its own process): it must finish, send events, relay every one exactly once in the
right place, and measure relay latencies. Its numbers are not checked against targets (the machine
is shared); that is the full benchmark's job. And a benchmark that is stopped (a timeout, CI, kill)
must not leave its processes behind. The load generator redelivers what the app refuses as Slack
does (checked in-process against a tiny server that refuses on purpose). And, without processes: the
targets each option plans, the report's columns and verdicts for them, and the durable floor's store.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
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
    keys = ("events", "acked", "errors", "refused", "redeliveries", "lost", "duplicated", "misplaced")
    summary = {k: latency[k] for k in keys}
    assert latency["events"] > 0, summary
    assert latency["acked"] == latency["events"] and latency["errors"] == 0, summary
    assert latency["refused"] == 0 and latency["redeliveries"] == 0, summary  # 20 ev/s is far from a full backlog
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


def test_the_load_generator_redelivers_like_slack() -> None:
    """A 5xx or a dropped connection: the same body again, signed anew, with X-Slack-Retry-Num 1, 2, 3
    and a reason; after the third redelivery the event is given up. A 4xx is not redelivered."""
    from bench.common import SIGNING_SECRET
    from bench.load import run

    # Per event (seq): what the server does with its 1st, 2nd, ... request; then it answers 200.
    plans: list[list[int | str]] = [[], [503], [503, 503, 503], [503, 503, 503, 503], ["close"], [500], [401]]
    seen: dict[int, list[tuple[dict[str, str], bytes]]] = {seq: [] for seq in range(len(plans))}
    handlers: set[asyncio.Task[Any]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.add(asyncio.current_task())  # type: ignore[arg-type]
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                lines = (await reader.readuntil(b"\r\n\r\n")).decode().split("\r\n")
                headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
                body = await reader.readexactly(int(headers["content-length"]))
                seq = int(json.loads(body)["event_id"][-8:])
                seen[seq].append((headers, body))
                plan = plans[seq]
                action = plan[len(seen[seq]) - 1] if len(seen[seq]) <= len(plan) else 200
                if action == "close":
                    break
                writer.write(f"HTTP/1.1 {action} X\r\nContent-Length: 0\r\n\r\n".encode())
                await writer.drain()
        writer.close()

    async def main() -> dict[str, Any]:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            result = await run(
                {
                    "url": f"http://127.0.0.1:{port}/slack/events",
                    "rate": 100,
                    "duration": len(plans) / 100,
                    "phase": "rt",
                    "targets": [{"kind": "dm", "user": "URETRY"}],
                    "max_connections": 4,
                    "retry_delays": [0.05, 0.1, 0.2],
                }
            )
            await asyncio.wait(handlers, timeout=5)  # each sees its connection closed
            return result

    result = asyncio.run(main())
    records = result["records"]
    assert [r[6] for r in records] == [200, 200, 200, 503, 200, 200, 401]
    assert [len(r[7]) for r in records] == [1, 2, 4, 4, 2, 2, 1]
    assert [len(seen[seq]) for seq in range(len(plans))] == [1, 2, 4, 4, 2, 2, 1]
    for seq, record in enumerate(records):
        requests = seen[seq]
        assert {body for _, body in requests} == {requests[0][1]}, "a redelivery carries the same body"
        retry_nums = [headers.get("x-slack-retry-num") for headers, _ in requests]
        assert retry_nums == [None, *map(str, range(1, len(requests)))]
        reasons = {headers.get("x-slack-retry-reason") for headers, _ in requests[1:]}
        assert reasons <= {"connection_failed" if seq == 4 else "http_error"}, reasons
        for headers, body in requests:  # each request signed when it is sent
            timestamp = headers["x-slack-request-timestamp"]
            digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256)
            assert headers["x-slack-signature"] == f"v0={digest.hexdigest()}"
        assert record[4] == record[7][0][1], "t_sent is the first delivery's"
        assert [q[0] for q in record[7]] == list(range(len(record[7])))
        for delay, before, after in zip([0.05, 0.1, 0.2], record[7], record[7][1:], strict=False):
            assert after[1] - before[1] >= delay, (delay, before, after)
    assert result["unfinished"] == 0


def test_the_options_plan_the_targets() -> None:
    """The durable floor comes with the baseline; the workers' target with PostgreSQL."""
    from bench.plan import make_plan, plan_targets
    from bench.run import build_parser

    def targets(*args: str) -> list[Any]:
        return plan_targets(make_plan(build_parser().parse_args(list(args))))

    plain = ("--no-async-baseline",)
    assert [t.key for t in targets(*plain)] == ["baseline", "floor", "sqlite", "postgresql", "postgresql_workers"]
    assert [t.key for t in targets(*plain, "--workers", "1", "--no-floor")] == ["baseline", "sqlite", "postgresql"]
    assert [t.key for t in targets(*plain, "--workers", "0", "--replicas", "2")] == [
        "baseline",
        "floor",
        "sqlite",
        "postgresql",
    ]
    assert [t.key for t in targets(*plain, "--databases", "sqlite")] == ["baseline", "floor", "sqlite"]
    workers = targets("--no-baseline", "--databases", "postgresql", "--workers", "3")
    assert [(t.key, t.kind, t.database, t.workers) for t in workers] == [
        ("postgresql", "handoff", "postgresql", 1),
        ("postgresql_workers", "handoff", "postgresql", 3),
    ]
    assert len({t.tag for t in targets()}) == len(targets())  # the load runs' files and tokens differ


def test_the_async_baseline_comes_with_the_baseline_when_aiohttp_is_installed(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import bench.plan
    from bench.plan import make_plan, plan_targets
    from bench.run import build_parser

    def keys(*args: str) -> list[str]:
        return [t.key for t in plan_targets(make_plan(build_parser().parse_args(["--databases", "sqlite", *args])))]

    monkeypatch.setattr(bench.plan, "aiohttp_installed", lambda: True)
    assert keys() == ["baseline", "baseline_async", "floor", "sqlite"]
    assert keys("--no-async-baseline") == ["baseline", "floor", "sqlite"]
    assert keys("--no-baseline") == ["sqlite"]
    monkeypatch.setattr(bench.plan, "aiohttp_installed", lambda: False)
    assert keys() == ["baseline", "floor", "sqlite"]


def test_the_report_has_a_column_and_verdicts_per_target() -> None:
    from bench.report import report

    def target(relay_p50: float, ack_p99_at_200: float, **more: Any) -> dict[str, Any]:
        return {
            "latency": {"ack_ms": {"p50": 1.0}, "relay_ms": {"p50": relay_p50}},
            "throughput": {"at_200": {"ack_ms": {"p99": ack_p99_at_200}}},
            "lost_total": "0 / 0",
            **more,
        }

    results = {
        "plan": {"latency_rate": 20.0, "quick": True},
        "targets": {
            "baseline": target(2.0, 2.0),
            "floor": target(3.0, 5.0),
            "sqlite": target(4.0, 20.0),
            "postgresql": target(8.0, 300.0),
            "postgresql_workers": target(6.0, 150.0, workers=2),
            "baseline_async": target(1.6, 1.5),  # ran second; its column goes with the baselines
        },
    }
    table, verdicts = report(results)
    lines = table.splitlines()
    assert lines[0] == (
        "| Measure | bare Bolt | bare Bolt, AsyncApp on aiohttp | bare Bolt + durable SQLite insert"
        " | handoff-slack, SQLite | handoff-slack, PostgreSQL | PostgreSQL, 2 workers | AsyncApp / bare Bolt"
        " | durable insert / bare Bolt | SQLite / bare Bolt | PostgreSQL / bare Bolt"
        " | PostgreSQL, 2 workers / bare Bolt |"
    )
    assert lines[1].count("---") == 12
    relay = next(line for line in lines if line.startswith("| Relay latency p50"))
    assert relay.endswith("| 2.00 | 1.60 | 3.00 | 4.00 | 8.00 | 6.00 | 0.80x | 1.50x | 2.00x | 4.00x | 3.00x |"), relay
    by_target = {v["target"]: v for v in verdicts}
    assert by_target["PostgreSQL, 2 workers: relay p50 within 1.25x of bare Bolt"]["value"] == 3.0
    assert by_target["PostgreSQL, 2 workers: p99 ack at 200 ev/s under 100 ms"]["met"] is False
    assert by_target["postgresql_workers: no event lost or duplicated"]["met"] is True
    assert by_target["floor: no event lost or duplicated"]["met"] is True
    assert by_target["baseline_async: no event lost or duplicated"]["met"] is True
    # The baselines are not targets of the issue: no relay or ack verdict of their own.
    assert [v for v in verdicts if v["target"].startswith(("durable insert", "AsyncApp", "bare Bolt"))] == []


def test_the_durable_floor_commits_each_event_once(tmp_path: Path) -> None:
    """One row per event_id (a redelivery adds none), committed, from any thread's own connection,
    with handoff-slack's SQLite settings (WAL; synchronous left at SQLite's default, as the app does)."""
    from bench.bare_bolt_app import DurableStore

    path = str(tmp_path / "floor.db")
    store = DurableStore(path)
    event = {"channel": "DUFLOOR", "ts": "1700000000.000001", "text": "tkfloorx1 hello"}
    store.store("Ev1", event)
    store.store("Ev1", event)  # Slack's redelivery of the same event
    other = threading.Thread(target=store.store, args=("Ev2", {**event, "ts": "1700000000.000002"}))
    other.start()
    other.join()
    with contextlib.closing(sqlite3.connect(path)) as connection:
        assert connection.execute("SELECT event_id, text FROM event ORDER BY event_id").fetchall() == [
            ("Ev1", "tkfloorx1 hello"),
            ("Ev2", "tkfloorx1 hello"),
        ]
        default_synchronous = connection.execute("PRAGMA synchronous").fetchone()[0]
    info = store.info()
    assert (info["journal_mode"], info["synchronous"], info["rows"]) == ("wal", default_synchronous, 2)


def test_the_async_baseline_acks_and_posts_each_event(tmp_path: Path) -> None:
    """bench.bare_bolt_async_app, the AsyncApp baseline, as the benchmark runs it: a signed message
    event gets its 200, then the event's text reaches Slack once, in the event's channel and thread."""
    pytest.importorskip("aiohttp", reason="the AsyncApp baseline needs aiohttp: pip install -e '.[bench]'")
    from tests.support.app_process import clean_env, free_port
    from tests.support.app_under_test import SIGNING_SECRET
    from tests.support.fake_slack import FakeSlack
    from tests.support.slack_requests import SlackSender, dm_message
    from tests.support.waiting import wait_until

    with FakeSlack() as fake:
        port = free_port()
        env = clean_env(
            SLACK_BOT_TOKEN=fake.bot_token,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=fake.api_url,
            PORT=str(port),
            HOST="127.0.0.1",
        )
        log = (tmp_path / "async-baseline.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.bare_bolt_async_app"], cwd=REPO, env=env, stdout=log, stderr=log
        )
        try:
            base = f"http://127.0.0.1:{port}"

            def healthy() -> bool:
                try:
                    with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
                        return bool(response.status == 200)
                except OSError:
                    assert process.poll() is None, (tmp_path / "async-baseline.log").read_text()
                    return False

            wait_until(healthy, timeout=20)
            events = f"{base}/slack/events"
            assert SlackSender(events, "not-the-secret").event(dm_message("UCUSTOMER", "tkforged")).status == 401
            assert SlackSender(events, SIGNING_SECRET).event(dm_message("UCUSTOMER", "tkasync1 hello")).status == 200
            (post,) = fake.wait_for("chat.postMessage", lambda c: c.params.get("text") == "tkasync1 hello")
            assert post.params["channel"] == "DUCUSTOMER" and not post.params.get("thread_ts")
            assert [c.params.get("text") for c in fake.calls("chat.postMessage")] == ["tkasync1 hello"]
        finally:
            process.terminate()
            assert process.wait(10) == 0
            log.close()


def test_the_large_messages_benchmark_runs(tmp_path: Path) -> None:
    """`python -m bench.large_messages` briefly (one DM per size and mode): every ack and relay it
    waits for arrives, and it reports every size and both targets (their numbers are its job)."""
    mark = uuid.uuid4().hex
    out = tmp_path / "large.json"
    finished = subprocess.run(
        [sys.executable, "-m", "bench.large_messages", "--reps", "1", "--out", str(out)],
        cwd=REPO,
        env={**os.environ, MARK: mark, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    results = json.loads(out.read_text())
    sqlite = results["results"]["sqlite"]
    for mode in ("bot", "connected"):
        assert [int(size) for size in sqlite[mode]] == [60, 1_000, 10_000, 40_000, 160_000]
        assert all(measured["n"] == 1 and measured["max"] > 0 for measured in sqlite[mode].values())
    assert sqlite["other_relay"]["during_large_dm"]["n"] == 1
    assert [v["value"] is not None for v in results["verdicts"]] == [True, True]
    assert not wait_until_gone(mark)
