"""The whole benchmark, on one machine: `python -m bench.run` (see bench/README.md).

For the bare Bolt baseline, the durable floor (bare Bolt committing each event to SQLite before
its ack), handoff-slack on each database and handoff-slack on PostgreSQL in several worker
processes (`--workers`), it starts, each in its own process, a fake Slack Web API
(`bench.fake_slack_process`) and the app (`python main.py`, HTTP mode, waitress, a real database;
or `bench.bare_bolt_app`), connects conversations through the app's HTTP edge, and drives it with
`bench.load` (another process). Then, per database, the queue-scale data set is written into a
fresh database and single operations are timed against it.
Prints a table and writes everything as JSON (`--out`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    ADMIN,
    AGENTS,
    BOT_TOKEN,
    REPO,
    SIGNING_SECRET,
    SUPPORT_CHANNEL,
    TOKEN_RE,
    clean_env,
    cpu_seconds,
    die_with_parent,
    free_port,
    http_json,
    process_tree,
    start_process,
    stop_process,
    tree_cpu_seconds,
    tree_rss_kib,
    wait_for_http,
)
from bench.load import end_wait
from bench.slack_edge import SlackEdge

BENCH_CONFIG = REPO / "bench" / "bench_config.yaml"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "bench_handoff"
PROFILE_DIR: Path | None = None  # --profile: run each app under py-spy, collapsed stacks here
PROFILE_ARGS = ["--rate", "250"]
PROFILER = "py-spy"
APP_ROOT = REPO  # --app-root: run main.py from another checkout (e.g. a branch with a fix)
APP_CODE = REPO  # where the apps really run from: a copy of APP_ROOT's code taken when the run starts
APP_ENV: dict[str, str] = {}  # --app-env: settings for every app process, over the benchmark's own

# Targets from the issue.
TARGET_RELAY_RATIO = 1.25
TARGET_ACK_P99_AT_200_MS = 100.0
TARGET_QUEUE_MS = 150.0
TARGET_CLAIM_MS = 150.0
TARGET_RSS_MB = 150.0
TARGET_RATE = 200.0  # the p99 ack target's rate, always measured when it is one of the steps
# After a run, relays are waited for while they keep arriving: an overloaded step may still be
# delivering what it deferred to the database. Only a stall or the cap ends the wait; what has
# not arrived then counts as lost.
DRAIN_STALL_S = 15.0
DRAIN_CAP_S = 600.0
HELD_ACK_P99_MS = 1000.0  # the throughput criterion: p99 ack under 1 s (and no errors or 503s, nothing lost)
REFUSED = 503  # the app's answer while its backlog is full; the load generator redelivers, like Slack


@dataclass
class Plan:
    quick: bool
    databases: list[str]
    baseline: bool
    postgres_admin_url: str
    conversations: int
    latency_rate: float
    latency_seconds: float
    steps: list[float]
    step_seconds: float
    scale_waiting: int
    scale_connected: int
    scale_repeats: int
    scale_relay_seconds: float
    phases: set[str]
    replicas: int = 1
    workers: int = 0  # --workers: one more target, PostgreSQL with HANDOFF_WORKERS=workers (0: none)
    floor: bool = False  # the durable floor: bare Bolt + a durable SQLite insert before the ack
    async_baseline: bool = False  # bare Bolt as an AsyncApp on aiohttp: the other serving stack


@dataclass(frozen=True)
class Target:
    """One column of the table: an app, how it is served, and where it stores."""

    key: str  # in the JSON's `targets`
    # "bare" (the baseline), "bare_async" (the same as an AsyncApp on aiohttp), "floor" (the
    # baseline + a durable SQLite insert) or "handoff"
    kind: str
    tag: str  # two letters: load runs' files and tokens, set-up customers
    database: str | None = None
    workers: int = 1  # HANDOFF_WORKERS


def plan_targets(plan: Plan) -> list[Target]:
    targets = []
    if plan.baseline:
        targets.append(Target("baseline", "bare", "ba"))
    if plan.async_baseline:
        targets.append(Target("baseline_async", "bare_async", "as"))
    if plan.floor:
        targets.append(Target("floor", "floor", "fl"))
    for database in plan.databases:
        targets.append(Target(database, "handoff", database[:2], database))
        if database == "postgresql" and plan.workers > 1:
            targets.append(Target("postgresql_workers", "handoff", "pw", database, plan.workers))
    return targets


def make_plan(args: argparse.Namespace) -> Plan:
    quick = args.quick
    steps = (
        [float(s) for s in args.steps.split(",")]
        if args.steps
        else ([50, 200] if quick else [50, 100, 200, 300, 400, 600, 800, 1000, 1200])
    )
    return Plan(
        quick=quick,
        databases=[d for d in args.databases.split(",") if d],
        baseline=not args.no_baseline,
        postgres_admin_url=args.postgres_url,
        conversations=args.conversations or (20 if quick else 200),
        latency_rate=args.latency_rate,
        latency_seconds=args.latency_seconds or (3 if quick else 20),
        steps=steps,
        step_seconds=args.step_seconds or (3 if quick else 30),
        scale_waiting=args.scale_waiting,
        scale_connected=args.scale_connected,
        scale_repeats=3 if quick else 7,
        scale_relay_seconds=3 if quick else 10,
        phases=set(args.phases.split(",")),
        replicas=args.replicas,
        workers=args.workers if args.workers > 1 else 0,
        floor=not args.no_baseline and not args.no_floor,
        async_baseline=not args.no_baseline and not args.no_async_baseline and aiohttp_installed(),
    )


def aiohttp_installed() -> bool:
    """The AsyncApp baseline's server: a benchmark dependency (`.[bench]`), not the app's."""
    return importlib.util.find_spec("aiohttp") is not None


# ----------------------------------------------------------------------------- statistics


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100) of `values`; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_ms(seconds: list[float]) -> dict[str, float | None]:
    ms = [s * 1000 for s in seconds]
    return {
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "max": max(ms) if ms else None,
        "n": len(ms),
    }


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    return total - idle, total


# ----------------------------------------------------------------------------- processes


class FakeSlackProcess:
    def __init__(self, workdir: Path, name: str) -> None:
        self.port = free_port()
        self.process = start_process(
            ["-m", "bench.fake_slack_process", "--port", str(self.port)], clean_env(), workdir / f"fake-{name}.log"
        )
        try:
            wait_for_http(f"{self.base_url}/bench/health", self.process, 15, "the fake Slack")
        except BaseException:
            stop_process(self.process)  # nobody else holds it yet
            raise
        self.cursor = 0
        self.entries: list[list[Any]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.base_url}/response/{name}"

    def fetch(self) -> list[list[Any]]:
        """Entries logged since the last fetch (also kept in `entries`)."""
        answer = http_json(f"{self.base_url}/bench/log?since={self.cursor}")
        self.cursor = answer["next"]
        self.entries.extend(answer["entries"])
        return answer["entries"]

    def mark(self) -> int:
        self.fetch()
        return len(self.entries)

    def wait_for(self, predicate: Callable[[list[Any]], bool], since: int, timeout: float = 30) -> list[Any]:
        """The first entry from index `since` on that satisfies `predicate`."""
        deadline = time.monotonic() + timeout
        checked = since
        while True:
            for entry in self.entries[checked:]:
                if predicate(entry):
                    return entry
            checked = len(self.entries)
            if time.monotonic() > deadline:
                raise TimeoutError("the fake Slack did not receive the expected call in time")
            time.sleep(0.01)
            self.fetch()

    def stats(self) -> dict[str, int]:
        return http_json(f"{self.base_url}/bench/stats")

    def stop(self) -> None:
        stop_process(self.process)


class AppProcess:
    """handoff-slack (`python main.py`) or the bare Bolt app, HTTP on a free port.

    `kind` "floor": the bare Bolt app committing each event to the SQLite file `database_url` (a
    path) before its ack. `workers` above 1: handoff-slack with HANDOFF_WORKERS (its process is then
    the workers' supervisor; CPU and memory are read over its process tree).
    """

    def __init__(
        self,
        kind: str,
        fake: FakeSlackProcess,
        workdir: Path,
        name: str,
        database_url: str | None,
        workers: int = 1,
    ) -> None:
        self.kind = kind
        self.port = free_port()
        env = clean_env(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=fake.api_url,
            HANDOFF_SUPPORT_CHANNEL=SUPPORT_CHANNEL,
            HANDOFF_ADMINS=ADMIN,
            PORT=str(self.port),
            HOST="127.0.0.1",
            LOG_LEVEL="WARNING",
            HANDOFF_CONFIG=str(BENCH_CONFIG),
            # A load generator writes far faster per customer than a person: without this every
            # benchmark message would be a flood-control case (still relayed, plus a notice).
            HANDOFF_FLOOD_LIMIT="10000",
        )
        if database_url and kind == "handoff":
            env["DATABASE_URL"] = database_url
        env.update(APP_ENV)
        if workers > 1:
            env["HANDOFF_WORKERS"] = str(workers)
        if kind == "handoff":
            args = ["main.py"]
        elif kind == "floor":
            args = ["-m", "bench.bare_bolt_app", "--durable-sqlite", str(database_url)]
        elif kind == "bare_async":
            args = ["-m", "bench.bare_bolt_async_app"]
        else:
            args = ["-m", "bench.bare_bolt_app"]
        self.log_path = workdir / f"app-{name}.log"
        self.profiled = PROFILE_DIR is not None
        if self.profiled and PROFILER == "yappi":
            # CPU time per function, all threads; written when the app ends.
            args = ["-m", "bench.cpu_profile", str(PROFILE_DIR / f"cpu-{name}.pstat"), "--", *args]  # type: ignore[operator]
            env["PYTHONPATH"] = str(REPO)  # `bench` is not in the app's copy it runs in; the app's code is first
            self.profiled = False  # the app is the process itself: stopped like any other
        elif self.profiled:
            # py-spy runs the app as its child and writes collapsed stacks when the app ends.
            out = PROFILE_DIR / f"profile-{name}.txt"  # type: ignore[operator]
            args = [
                "-c",
                "import os, sys; os.execv(sys.argv[1], sys.argv[1:])",
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--format",
                "raw",
                *PROFILE_ARGS,
                *(["--subprocesses"] if workers > 1 else []),  # the workers, not just their supervisor
                "--nonblocking",
                "-o",
                str(out),
                "--",
                sys.executable,
                *args,
            ]
        self.process = start_process(args, env, self.log_path, cwd=APP_CODE if kind == "handoff" else REPO)
        try:
            wait_for_http(f"{self.base_url}/healthz", self.process, 60, f"the app ({name})")
        except BaseException:
            stop_process(self.process)  # nobody else holds it yet
            raise
        self._pid = self.process.pid
        if self.profiled:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
            self._pid = int(children[0])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def events_url(self) -> str:
        return f"{self.base_url}/slack/events"

    @property
    def pid(self) -> int:
        return self._pid

    def stop(self) -> None:
        if self.profiled and self.process.poll() is None:
            os.kill(self._pid, signal.SIGTERM)  # py-spy writes its profile once the app has ended
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)
        stop_process(self.process)


class Replicas:
    """Several handoff-slack processes on one database (PostgreSQL), driven round-robin."""

    def __init__(self, apps: list[AppProcess]) -> None:
        self.apps = apps

    @property
    def events_url(self) -> str:
        return self.apps[0].events_url

    @property
    def events_urls(self) -> list[str]:
        return [app.events_url for app in self.apps]

    @property
    def pid(self) -> int:
        return self.apps[0].pid

    @property
    def pids(self) -> list[int]:
        return [app.pid for app in self.apps]

    def stop(self) -> None:
        for app in self.apps:
            app.stop()


def _urls(app: AppProcess | Replicas) -> str | list[str]:
    return app.events_urls if isinstance(app, Replicas) else app.events_url


def _pids(app: AppProcess | Replicas) -> list[int]:
    return app.pids if isinstance(app, Replicas) else [app.pid]


def _cpu(app: AppProcess | Replicas) -> float:
    """CPU seconds of the app: all replicas, and all workers of each (HANDOFF_WORKERS)."""
    return sum(tree_cpu_seconds(pid) for pid in _pids(app))


def _cpu_by_process(app: AppProcess | Replicas) -> dict[int, float]:
    """CPU seconds of each process of the app (replicas, workers and their supervisor)."""
    found = {}
    for pid in _pids(app):
        for member in process_tree(pid):
            with contextlib.suppress(OSError):
                found[member] = cpu_seconds(member)
    return found


def _rss_mb(app: AppProcess | Replicas) -> float:
    """Resident memory of the (largest) app process: a replica, or a worker of one."""
    return round(max(tree_rss_kib(pid)["VmRSS"] for pid in _pids(app)) / 1024, 1)


# ----------------------------------------------------------------------------- databases


def sqlite_url(workdir: Path, name: str) -> str:
    path = workdir / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def fresh_postgres(admin_url: str, name: str) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(admin_url)
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_postgres(admin_url: str, name: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    conninfo = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_version(admin_url: str) -> str | None:
    try:
        import psycopg
        from sqlalchemy.engine import make_url

        conninfo = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, connect_timeout=3) as connection:
            return str(connection.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    except Exception:
        return None


# ----------------------------------------------------------------------------- the machine


APP_FILES = ("main.py", "alembic.ini", "handoff_slack", "migrations")
APP_REF: str | None = None  # --app-ref: benchmark this commit of APP_ROOT instead of its working tree


def snapshot_app(root: Path, workdir: Path) -> Path:
    """A copy of the app's code for this run: others may edit the checkout while the benchmark runs,
    and every process of one run must run the same code."""
    dest = workdir / "app"
    dest.mkdir()
    if APP_REF:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", APP_REF, *APP_FILES], cwd=root, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        return dest
    for name in ("main.py", "alembic.ini"):
        shutil.copy2(root / name, dest / name)
    for name in ("handoff_slack", "migrations"):
        shutil.copytree(root / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kib = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=APP_ROOT, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except OSError:
            return ""

    from importlib.metadata import version

    packages = {}
    for package in ("slack_bolt", "slack_sdk", "waitress", "SQLAlchemy", "sqlmodel", "psycopg"):
        try:
            packages[package] = version(package)
        except Exception:
            packages[package] = None
    hypervisor = "yes" if " hypervisor" in Path("/proc/cpuinfo").read_text() else "no"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "virtualised": hypervisor,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "git_commit": git("rev-parse", APP_REF or "HEAD"),
        # Of the app's code only (what the run copies and runs), when the run started.
        "git_uncommitted_changes": APP_REF is None
        and bool(git("status", "--porcelain", "--untracked-files=all", "--", "main.py", "handoff_slack", "migrations")),
        "packages": packages,
        "load_average_at_start": os.getloadavg(),
    }


# ----------------------------------------------------------------------------- load phases


@dataclass
class Load:
    """Where the load goes: the generator's targets, each with where its relay must arrive."""

    targets: list[dict[str, Any]]


def run_load(
    workdir: Path,
    app: AppProcess | Replicas,
    fake: FakeSlackProcess,
    load: Load,
    phase: str,
    rate: float,
    seconds: float,
    fake_pid: int,
    idle_cpu_per_s: float = 0.0,
) -> dict[str, Any]:
    """One open-loop run at `rate` for `seconds`, drained, checked for lost and duplicated relays.

    `idle_cpu_per_s`: the app's CPU use when nothing happens (its scheduler, the server's loop),
    taken off the CPU per event (`app_cpu_ms_per_event_net`).
    """
    spec_path, out_path = workdir / f"load-{phase}.json", workdir / f"load-{phase}-out.json"
    spec = {
        "url": _urls(app),
        "rate": rate,
        "duration": seconds,
        "phase": phase,
        "targets": [{k: t[k] for k in ("kind", "user", "thread_ts") if k in t} for t in load.targets],
        "max_connections": 90,
    }
    spec_path.write_text(json.dumps(spec))
    since = fake.mark()
    app_cpu, fake_cpu = _cpu(app), cpu_seconds(fake_pid)
    by_process = _cpu_by_process(app)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy0, total0 = cpu_times()
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "bench.load", str(spec_path), str(out_path)],
        cwd=REPO,
        env=clean_env(),
        check=True,
        timeout=seconds + end_wait() + 60,  # the end waits for outstanding redeliveries
        preexec_fn=die_with_parent(),
    )
    load_wall = time.monotonic() - started
    busy1, total1 = cpu_times()
    app_cpu_load = _cpu(app) - app_cpu
    # How the load spread over the app's processes (workers share one port: the kernel hands out connections).
    by_process = {pid: seconds - by_process.get(pid, 0.0) for pid, seconds in _cpu_by_process(app).items()}
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    generator_cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    result = json.loads(out_path.read_text())
    records = result["records"]  # one per event; r[7]: its requests, [retry_num, sent, answered, status]
    requests = [request for r in records for request in r[7]]

    ok = [r for r in records if _accepted(r[6])]  # acknowledged, at the first delivery or a redelivery
    acked = {r[2]: r for r in ok}
    expected = {r[2]: load.targets[r[1]] for r in records}
    refused = sum(1 for q in requests if q[3] == REFUSED)
    redeliveries = sum(1 for q in requests if q[0] > 0)
    # Any other failed request: another status, a connection error, a timeout (and redelivered too).
    failed = sum(1 for q in requests if not _accepted(q[3]) and q[3] != REFUSED)
    # Never acknowledged, even by the last redelivery: Slack gives such an event up.
    undelivered = [r for r in records if not _accepted(r[6])]

    # Drain: wait until every acknowledged event's relay arrived, or nothing new came for a while.
    arrivals: dict[str, list[list[Any]]] = defaultdict(list)
    seen = since
    last_progress = time.monotonic()
    drain_started = time.monotonic()

    def index_new() -> None:
        nonlocal seen
        for entry in fake.entries[seen:]:
            if entry[1] == "chat.postMessage":
                for token in TOKEN_RE.findall(entry[5]):
                    arrivals[token].append(entry)
        seen = len(fake.entries)

    def matching(token: str) -> list[list[Any]]:
        target = expected[token]
        return [
            e
            for e in arrivals.get(token, [])
            if e[2] == target["expect_channel"] and (target["expect_thread"] is None or e[3] == target["expect_thread"])
        ]

    missing = set(acked)
    while True:
        fake.fetch()
        before = len(missing)
        index_new()
        missing = {t for t in missing if not matching(t)}
        if not missing:
            time.sleep(0.5)  # late duplicates
            fake.fetch()
            index_new()
            break
        if len(missing) < before:
            last_progress = time.monotonic()
        if time.monotonic() - last_progress > DRAIN_STALL_S or time.monotonic() - drain_started > DRAIN_CAP_S:
            break
        time.sleep(0.1)
    drain_seconds = time.monotonic() - drain_started
    busy2, total2 = cpu_times()

    # The acknowledging request's own time; an event acknowledged on a redelivery counts that one.
    ack_latencies = [r[7][-1][2] - r[7][-1][1] for r in ok]
    relay: dict[str, list[float]] = {"all": [], "dm": [], "reply": [], "redelivered": []}
    lost = lost_acked = duplicated = misplaced = 0
    # Lost: never relayed where expected, after all redeliveries (acknowledged or not: a request that
    # timed out may still have been processed; one refused to the end never is).
    for record in records:
        token = record[2]
        found = matching(token)
        if not found:
            lost += 1
            lost_acked += token in acked
            continue
        if len(found) > 1:
            duplicated += 1
        if len(arrivals.get(token, [])) > len(found):
            misplaced += 1
        # From the first delivery, whichever request got it in: what the customer waits.
        latency = min(e[0] for e in found) - record[4]
        if math.isnan(latency):
            continue
        relay["all"].append(latency)
        relay[expected[token]["kind"]].append(latency)
        if len(record[7]) > 1:
            relay["redelivered"].append(latency)
    sent_times = [r[4] for r in records if not math.isnan(r[4])]
    achieved = (len(sent_times) - 1) / (max(sent_times) - min(sent_times)) if len(sent_times) > 1 else 0.0
    ack = summary_ms(ack_latencies)
    all_relays = summary_ms(relay["all"])
    held = (
        failed == 0
        and refused == 0
        and lost == 0
        and duplicated == 0
        and misplaced == 0
        and ack["p99"] is not None
        and ack["p99"] < HELD_ACK_P99_MS
        and achieved >= 0.97 * rate
    )
    return {
        "phase": phase,
        "rate": rate,
        "seconds": seconds,
        "events": len(records),
        "acked": len(ok),
        "acked_first_time": sum(1 for r in ok if len(r[7]) == 1),
        "requests": len(requests),
        "errors": failed,
        "error_kinds": result["errors"],
        "refused": refused,
        "redeliveries": redeliveries,
        "redelivered_events": sum(1 for r in records if len(r[7]) > 1),
        "undelivered": len(undelivered),
        "refused_lost": sum(1 for r in undelivered if r[6] == REFUSED),
        "retry_delays_s": result.get("retry_delays"),
        "unfinished": result.get("unfinished", 0),
        "statuses": _count(r[6] for r in records),
        "request_statuses": _count(q[3] for q in requests),
        "achieved_rate": round(achieved, 1),
        "generator_most_behind_s": round(result["most_behind_schedule"], 3),
        "connections": result["most_connections"],
        "redelivery_connections": result.get("most_redelivery_connections", 0),
        "ack_ms": ack,
        "relay_ms": all_relays,
        "relay_dm_ms": summary_ms(relay["dm"]),
        "relay_reply_ms": summary_ms(relay["reply"]),
        "relay_redelivered_ms": summary_ms(relay["redelivered"]),
        "lost": lost,
        "lost_acked": lost_acked,
        "duplicated": duplicated,
        "misplaced": misplaced,
        "drain_s": round(drain_seconds, 2),
        "app_cpu_ms_per_event": round(1000 * app_cpu_load / max(1, len(records)), 3),
        "app_cpu_ms_per_event_incl_drain": round(1000 * (_cpu(app) - app_cpu) / max(1, len(records)), 3),
        "app_cpu_ms_per_event_net": round(
            1000 * (_cpu(app) - app_cpu - idle_cpu_per_s * (time.monotonic() - started)) / max(1, len(records)), 3
        ),
        "fake_cpu_ms_per_event": round(1000 * (cpu_seconds(fake_pid) - fake_cpu) / max(1, len(records)), 3),
        "generator_cpu_ms_per_event": round(1000 * generator_cpu / max(1, len(records)), 3),
        "machine_busy_during_load": round((busy1 - busy0) / max(1, total1 - total0), 3),
        "machine_busy_incl_drain": round((busy2 - busy0) / max(1, total2 - total0), 3),
        "load_wall_s": round(load_wall, 2),
        "app_rss_after_mb": _rss_mb(app),
        "app_cpu_s_by_process": sorted((round(seconds, 2) for seconds in by_process.values()), reverse=True)
        if len(by_process) > 1
        else None,
        "held": held,
    }


def _accepted(status: int) -> bool:
    return 200 <= status < 300  # what Slack takes for a delivered event


def _spread(step: dict[str, Any]) -> str:
    """For a step's line, with several app processes: ", app CPU by process 3.1/2.8/0.0 s"."""
    seconds = step.get("app_cpu_s_by_process")
    return f", app CPU by process {'/'.join(f'{s:.1f}' for s in seconds)} s" if seconds else ""


def _refusals(step: dict[str, Any]) -> str:
    """For a step's line: ", refused 380 (412 redeliveries, 0 still refused after 3)"; nothing if none."""
    if not step["refused"] and not step["redeliveries"]:
        return ""
    retries = len(step["retry_delays_s"] or ())
    return (
        f", refused {step['refused']} ({step['redeliveries']} redeliveries,"
        f" {step['refused_lost']} still refused after {retries})"
    )


def idle_cpu_per_s(app: AppProcess | Replicas, seconds: float = 3.0) -> float:
    """The app's CPU seconds per second while no request comes (its scheduler, the server's loop)."""
    before, started = _cpu(app), time.monotonic()
    time.sleep(seconds)
    return (_cpu(app) - before) / (time.monotonic() - started)


def _count(values: Iterator[Any]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for value in values:
        counts[str(value)] += 1
    return dict(counts)


def throughput(
    workdir: Path,
    app: AppProcess | Replicas,
    fake: FakeSlackProcess,
    load: Load,
    plan: Plan,
    name: str,
    idle: float = 0.0,
    rates: list[float] | None = None,
) -> dict[str, Any]:
    """The steps (`rates`, by default the plan's) up to the first not held; see bench/README.md."""
    rates = plan.steps if rates is None else rates
    steps = []
    highest = highest_with_relays = None
    relays_kept_up = True
    for index, rate in enumerate(rates):
        step = run_load(workdir, app, fake, load, f"{name}s{index}", rate, plan.step_seconds, fake.process.pid, idle)
        steps.append(step)
        _progress(
            f"  {rate:5.0f} ev/s: ack p99 {_fmt(step['ack_ms']['p99'])} ms, relay p50/p99 "
            f"{_fmt(step['relay_ms']['p50'])}/{_fmt(step['relay_ms']['p99'])} ms, errors {step['errors']}"
            f"{_refusals(step)}, lost {step['lost']}, dup {step['duplicated']}, achieved {step['achieved_rate']} ev/s, "
            f"app CPU {step['app_cpu_ms_per_event_net']} ms/event{_spread(step)},"
            f" machine busy {step['machine_busy_during_load']:.0%}"
            f" -> {'held' if step['held'] else 'NOT held'}"
        )
        if not step["held"]:
            if TARGET_RATE in rates and rate < TARGET_RATE:
                # The target is stated at 200 ev/s: measure it even past the limit.
                time.sleep(1)
                step = run_load(
                    workdir, app, fake, load, f"{name}t", TARGET_RATE, plan.step_seconds, fake.process.pid, idle
                )
                step["past_the_limit"] = True
                steps.append(step)
                _progress(
                    f"  {TARGET_RATE:5.0f} ev/s (the target's rate, past the limit): ack p99 "
                    f"{_fmt(step['ack_ms']['p99'])} ms, relay p50/p99 {_fmt(step['relay_ms']['p50'])}/"
                    f"{_fmt(step['relay_ms']['p99'])} ms, errors {step['errors']}{_refusals(step)},"
                    f" lost {step['lost']},"
                    f" dup {step['duplicated']}, achieved {step['achieved_rate']} ev/s"
                )
            break
        highest = rate
        relays_kept_up = relays_kept_up and step["relay_ms"]["p99"] is not None and step["relay_ms"]["p99"] < 1000
        if relays_kept_up:
            highest_with_relays = rate
        time.sleep(1)
    at_200 = next((s for s in steps if s["rate"] == 200), None)
    return {
        "steps": steps,
        "highest_held": highest,
        # The definition above says nothing of the relays: this one also wants them within 1 s.
        "highest_held_relay_p99_under_1s": highest_with_relays,
        "at_200": at_200,
    }


# ----------------------------------------------------------------------------- set-up through the HTTP edge

TICKET_POST = re.compile(r"Support request #(\d+) from Customer (U[A-Z0-9]+)")


def _until_accepted(send: Callable[[], tuple[int, float, float]], tries: int = 8) -> int:
    """A set-up request, sent again while the app refuses it for a full backlog (503: nothing was
    stored). A new request each time: fine for set-up, where only the outcome counts."""
    for attempt in range(tries):
        status, _, _ = send()
        if status != REFUSED or attempt == tries - 1:
            return status
        time.sleep(min(0.25 * 2**attempt, 4))
    raise AssertionError("unreachable")


def connect_conversations(app: AppProcess, fake: FakeSlackProcess, count: int, prefix: str) -> Load:
    """`count` customers escalate by typing and are claimed by agents, as Slack would drive it."""
    customers = [f"UB{prefix}{k:05d}" for k in range(count)]
    since = fake.mark()
    edges = [SlackEdge(app.events_url) for _ in range(8)]

    def escalate(k: int) -> None:
        status = _until_accepted(lambda: edges[k % len(edges)].dm(customers[k], "I need a human please"))
        assert status == 200, f"escalation answered {status}"

    with ThreadPoolExecutor(len(edges)) as pool:
        for batch in range(0, count, len(edges)):
            list(pool.map(escalate, range(batch, min(count, batch + len(edges)))))
    tickets: dict[str, tuple[int, str]] = {}
    deadline = time.monotonic() + 60 + count / 10
    while len(tickets) < count:
        for entry in fake.fetch():
            if entry[1] == "chat.postMessage" and entry[2] == SUPPORT_CHANNEL and not entry[3]:
                match = TICKET_POST.search(entry[5])
                if match:
                    tickets[match.group(2)] = (int(match.group(1)), entry[4])
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(tickets)} of {count} ticket messages were posted")
        time.sleep(0.05)

    def claim(k: int) -> None:
        ticket_id, ts = tickets[customers[k]]
        agent = AGENTS[k % len(AGENTS)]
        status = _until_accepted(
            lambda: edges[k % len(edges)].claim(agent, ticket_id, ts, fake.response_url(f"setup-claim-{k}"))
        )
        assert status == 200, f"claim answered {status}"

    with ThreadPoolExecutor(len(edges)) as pool:
        for batch in range(0, count, len(edges)):
            list(pool.map(claim, range(batch, min(count, batch + len(edges)))))
    told = set()
    claimed = set()
    deadline = time.monotonic() + 60 + count / 10
    while len(told) < count or len(claimed) < count:
        fake.fetch()
        for entry in fake.entries[since:]:
            if entry[1] == "chat.postMessage" and "You are now talking with" in entry[5]:
                told.add(entry[2])
            elif entry[1] == "chat.update" and "Claimed by" in entry[5]:
                claimed.add(entry[4])
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(told)} of {count} customers were connected")
        time.sleep(0.05)
    for edge in edges:
        edge.close()
    targets = []
    for k, customer in enumerate(customers):
        _, ts = tickets[customer]
        targets.append({"kind": "dm", "user": customer, "expect_channel": SUPPORT_CHANNEL, "expect_thread": ts})
        targets.append(
            {
                "kind": "reply",
                "user": AGENTS[k % len(AGENTS)],
                "thread_ts": ts,
                "expect_channel": f"D{customer}",
                "expect_thread": None,
            }
        )
    return Load(targets)


def baseline_load(count: int) -> Load:
    """The same shape of traffic for the bare Bolt app, which posts each message back where it came from."""
    targets = []
    for k in range(count):
        customer = f"UBBASE{k:05d}"
        thread = f"1700000000.{k:06d}"
        targets.append({"kind": "dm", "user": customer, "expect_channel": f"D{customer}", "expect_thread": None})
        targets.append(
            {
                "kind": "reply",
                "user": AGENTS[k % len(AGENTS)],
                "thread_ts": thread,
                "expect_channel": SUPPORT_CHANNEL,
                "expect_thread": thread,
            }
        )
    return Load(targets)


# ----------------------------------------------------------------------------- queue scale


POSITION = re.compile(r"You are \*#(\d+)\* in the queue")


def queue_scale(workdir: Path, plan: Plan, database: str) -> dict[str, Any]:
    """10,000 waiting + 1,000 connected in a fresh database; time single operations against it."""
    name = f"{database}-scale"
    if database == "sqlite":
        url = sqlite_url(workdir, name)
    else:
        url = fresh_postgres(plan.postgres_admin_url, f"{BENCH_DATABASE}_scale")
    env = clean_env(DATABASE_URL=url)
    subprocess.run(
        [sys.executable, "main.py", "migrate"],
        cwd=APP_CODE,
        env=env,
        check=True,
        capture_output=True,
        preexec_fn=die_with_parent(),
    )
    seeded = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.seed",
            url,
            "--waiting",
            str(plan.scale_waiting),
            "--connected",
            str(plan.scale_connected),
        ],
        cwd=APP_CODE,  # the app's models as the app runs them; `bench` comes from PYTHONPATH
        env={**env, "PYTHONPATH": str(REPO)},
        check=True,
        capture_output=True,
        text=True,
        preexec_fn=die_with_parent(),
    ).stdout.strip()
    _progress(f"  {seeded}")
    connected = _connected_from_database(url)

    fake = FakeSlackProcess(workdir, name)
    app = None
    try:
        app = AppProcess("handoff", fake, workdir, name, url)
        rss_started = tree_rss_kib(app.pid)
        edge = SlackEdge(app.events_url)
        result: dict[str, Any] = {"database": database, "rss_after_start_kib": rss_started}

        def timed(
            action: Callable[[int], tuple[int, float, float]], arrival: Callable[[list[Any]], bool], k: int
        ) -> dict[str, Any]:
            since = fake.mark()
            status, sent, answered = action(k)
            assert status == 200, f"answered {status}"
            entry = fake.wait_for(arrival, since, timeout=30)
            return {"ms": (entry[0] - sent) * 1000, "ack_ms": (answered - sent) * 1000, "entry": entry}

        # /handoff-queue: its answer goes to the response_url.
        queue_runs = []
        for k in range(plan.scale_repeats):
            run = timed(
                lambda k: edge.slash_command("/handoff-queue", "", AGENTS[k % len(AGENTS)], fake.response_url(f"q{k}")),
                lambda e, k=k: e[1] == f"response_url:q{k}",
                k,
            )
            assert f"Waiting tickets: {plan.scale_waiting}" in run["entry"][5], run["entry"][5][:200]
            queue_runs.append(run)
            time.sleep(0.2)
        # A claim of the tickets at the head of the queue: until the ticket message shows it.
        claim_runs = []
        waiting = _waiting_tickets(url, plan.scale_repeats)
        for k, (ticket_id, ts) in enumerate(waiting):
            run = timed(
                lambda k, ticket_id=ticket_id, ts=ts: edge.claim(
                    AGENTS[k % len(AGENTS)], ticket_id, ts, fake.response_url(f"c{k}")
                ),
                lambda e, ticket_id=ticket_id: (
                    e[1] == "chat.update" and f"Support request #{ticket_id} " in e[5] and "Claimed by" in e[5]
                ),
                k,
            )
            claim_runs.append(run)
            time.sleep(0.2)
        # A new escalation, until the customer is told their position.
        escalation_runs = []
        for k in range(plan.scale_repeats):
            user = f"UNEW{k:05d}"
            run = timed(
                lambda k, user=user: edge.dm(user, "I need a human please"),
                lambda e, user=user: e[1] == "chat.postMessage" and e[2] == f"D{user}" and "in the queue" in e[5],
                k,
            )
            match = POSITION.search(run["entry"][5])
            run["position"] = int(match.group(1)) if match else None
            run["expected_position"] = plan.scale_waiting - len(claim_runs) + k + 1
            escalation_runs.append(run)
            time.sleep(0.2)
        # Relay over the seeded connected conversations (a short run, for the effect of the data set).
        load = Load(
            [
                t
                for customer, agent, ts in connected
                for t in (
                    {"kind": "dm", "user": customer, "expect_channel": SUPPORT_CHANNEL, "expect_thread": ts},
                    {
                        "kind": "reply",
                        "user": agent,
                        "thread_ts": ts,
                        "expect_channel": f"D{customer}",
                        "expect_thread": None,
                    },
                )
            ]
        )
        relay = run_load(
            workdir,
            app,
            fake,
            load,
            f"{database[:2]}scale",
            plan.latency_rate * 2.5,
            plan.scale_relay_seconds,
            fake.process.pid,
            idle_cpu_per_s(app, 1.0),
        )
        edge.close()
        rss = tree_rss_kib(app.pid)

        def stats(runs: list[dict[str, Any]]) -> dict[str, Any]:
            warm = [r["ms"] for r in runs[1:]] or [r["ms"] for r in runs]
            return {
                "first_ms": runs[0]["ms"],
                "p50_ms": percentile(warm, 50),
                "max_ms": max(warm),
                "ack_p50_ms": percentile([r["ack_ms"] for r in runs], 50),
                "runs_ms": [round(r["ms"], 2) for r in runs],
            }

        result.update(
            queue=stats(queue_runs),
            claim=stats(claim_runs),
            escalation={
                **stats(escalation_runs),
                "positions": [r["position"] for r in escalation_runs],
                "positions_correct": all(r["position"] == r["expected_position"] for r in escalation_runs),
            },
            relay=relay,
            rss_kib=rss,
            rss_mb=round(rss["VmRSS"] / 1024, 1),
            peak_rss_mb=round(rss["VmHWM"] / 1024, 1),
        )
        return result
    finally:
        if app is not None:
            app.stop()
        fake.stop()
        if database == "postgresql":
            drop_postgres(plan.postgres_admin_url, f"{BENCH_DATABASE}_scale")


def _waiting_tickets(url: str, count: int) -> list[tuple[int, str]]:
    from sqlalchemy import text

    from handoff_slack.storage.database import create_database_engine

    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, message_ts FROM ticket WHERE state = 'waiting' ORDER BY id LIMIT :n"), {"n": count}
            ).all()
            return [(int(r[0]), str(r[1])) for r in rows]
    finally:
        engine.dispose()


def _connected_from_database(url: str) -> list[tuple[str, str, str]]:
    from sqlalchemy import text

    from handoff_slack.storage.database import create_database_engine

    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT c.customer_user_id, t.agent_user_id, t.message_ts FROM ticket t "
                    "JOIN conversation c ON c.id = t.conversation_id WHERE t.state = 'connected' ORDER BY t.id"
                )
            ).all()
            return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------- one target


def bench_target(workdir: Path, plan: Plan, target: Target) -> dict[str, Any]:
    name, kind, database, tag = target.key, target.kind, target.database, target.tag
    result: dict[str, Any] = {"target": name}
    if target.workers > 1:
        result["workers"] = target.workers
    url = None
    if kind == "floor":
        url = sqlite_url(workdir, name).removeprefix("sqlite:///")  # a fresh file: the app takes a path
    elif database == "sqlite":
        url = sqlite_url(workdir, name)
    elif database == "postgresql":
        url = fresh_postgres(plan.postgres_admin_url, BENCH_DATABASE)
    fake = FakeSlackProcess(workdir, name)
    app: AppProcess | Replicas | None = None
    try:
        app = AppProcess(kind, fake, workdir, name, url, target.workers)
        if kind == "handoff" and database == "postgresql" and target.workers == 1 and plan.replicas > 1:
            # Replicas: more processes on the same database, each its own waitress, port and GIL.
            replicas = [app]
            app = Replicas(replicas)
            for index in range(1, plan.replicas):
                replicas.append(AppProcess(kind, fake, workdir, f"{name}-{index + 1}", url))
            result["replicas"] = plan.replicas
        result["rss_after_start_kib"] = tree_rss_kib(app.pid)
        result["app_processes"] = sum(len(process_tree(pid)) for pid in _pids(app))  # workers: theirs + 1
        started = time.monotonic()
        if kind == "handoff":
            load = connect_conversations(app, fake, plan.conversations, prefix=tag.upper())  # type: ignore[arg-type]
        else:
            load = baseline_load(plan.conversations)
        result["setup_s"] = round(time.monotonic() - started, 1)
        result["conversations"] = plan.conversations
        time.sleep(1)
        idle = idle_cpu_per_s(app, 1.0 if plan.quick else 3.0)
        result["app_idle_cpu_ms_per_s"] = round(idle * 1000, 2)
        if "latency" in plan.phases:
            latency = run_load(
                workdir,
                app,
                fake,
                load,
                f"{tag}lat",
                plan.latency_rate,
                plan.latency_seconds,
                fake.process.pid,
                idle,
            )
            result["latency"] = latency
            _progress(
                f"  latency at {plan.latency_rate:.0f} ev/s: ack p50/p99 {_fmt(latency['ack_ms']['p50'])}/"
                f"{_fmt(latency['ack_ms']['p99'])} ms, relay p50/p99 {_fmt(latency['relay_ms']['p50'])}/"
                f"{_fmt(latency['relay_ms']['p99'])} ms{_refusals(latency)}, lost {latency['lost']}, "
                f"dup {latency['duplicated']}, "
                f"app CPU {latency['app_cpu_ms_per_event_net']} ms/event{_spread(latency)}"
            )
            time.sleep(1)
        if "throughput" in plan.phases:
            if kind != "floor":
                result["throughput"] = throughput(workdir, app, fake, load, plan, tag, idle)
            elif TARGET_RATE in plan.steps:
                # The floor: only the p99 ack target's rate (its own search for the limit would take
                # the full run minutes longer). No highest rate held: it was not looked for.
                result["throughput"] = throughput(workdir, app, fake, load, plan, tag, idle, [TARGET_RATE])
                result["throughput"].update(
                    highest_held=None, highest_held_relay_p99_under_1s=None, only_at=TARGET_RATE
                )
        result["rss_end_kib"] = tree_rss_kib(app.pid)
        result["fake_calls"] = fake.stats()
        if kind == "floor":
            # What its connections see (synchronous 2 is FULL) and that every acknowledged event is stored.
            store = http_json(f"{app.base_url}/bench/store")  # type: ignore[union-attr]
            store["events_acked"] = sum(run["acked"] for run in _load_runs(result))
            result["durable_sqlite"] = store
            _progress(
                f"  store: journal_mode {store['journal_mode']}, synchronous {store['synchronous']},"
                f" {store['rows']} rows for {store['events_acked']} acknowledged events"
            )
    finally:
        if app is not None:
            app.stop()
        fake.stop()
        if database == "postgresql":
            drop_postgres(plan.postgres_admin_url, BENCH_DATABASE)
    if kind == "handoff" and target.workers == 1 and "scale" in plan.phases:
        result["scale"] = queue_scale(workdir, plan, database)  # type: ignore[arg-type]
        scale = result["scale"]
        _progress(
            f"  queue scale: /handoff-queue {_fmt(scale['queue']['p50_ms'])} ms,"
            f" claim {_fmt(scale['claim']['p50_ms'])} ms,"
            f" escalation {_fmt(scale['escalation']['p50_ms'])} ms (positions {scale['escalation']['positions']}),"
            f" RSS {scale['rss_mb']} MB"
        )
    return result


# ----------------------------------------------------------------------------- the report


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _get(data: dict[str, Any] | None, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _label(key: str, target: dict[str, Any]) -> str:
    """A target's short name: in the ratio columns' headers and the verdicts."""
    if key == "postgresql_workers":
        return f"PostgreSQL, {target.get('workers')} workers"
    names = {
        "sqlite": "SQLite",
        "postgresql": "PostgreSQL",
        "floor": "durable insert",
        "baseline": "bare Bolt",
        "baseline_async": "AsyncApp",
    }
    return names.get(key, key)


def _header(key: str, target: dict[str, Any]) -> str:
    if key == "baseline":
        return "bare Bolt"
    if key == "floor":
        return "bare Bolt + durable SQLite insert"
    if key == "baseline_async":
        return "bare Bolt, AsyncApp on aiohttp"
    if key == "postgresql_workers":
        return _label(key, target)  # short: the column is next to handoff-slack's PostgreSQL one
    return f"handoff-slack, {_label(key, target)}"


def report(results: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The table (Markdown) and the targets with their verdicts."""
    targets = results["targets"]
    base = targets.get("baseline")
    # handoff-slack's columns; the order they ran in (the databases', each with its workers after it)
    baselines = ("baseline", "baseline_async", "floor")
    dbs = [k for k in targets if k not in baselines]
    columns = [k for k in baselines if k in targets] + dbs
    ratios = [c for c in columns if c != "baseline"] if base else []  # each divided by bare Bolt
    header = (
        "| Measure | "
        + " | ".join(_header(c, targets[c]) for c in columns)
        + "".join(f" | {_label(c, targets[c])} / bare Bolt" for c in ratios)
        + " |"
    )
    lines = [header, "|" + " --- |" * (1 + len(columns) + len(ratios))]
    rate = results["plan"]["latency_rate"]

    def row(label: str, path: tuple[str, ...], ratio: bool = True, digits: int = 1, suffix: str = "") -> None:
        values = [_get(targets[c], *path) for c in columns]
        if all(v is None for v in values):
            return
        cells = [v if isinstance(v, str) else _fmt(v, digits) + suffix if v is not None else "-" for v in values]
        if base:
            b = _get(base, *path)
            for d in ratios:
                v = _get(targets[d], *path)
                cells.append(f"{v / b:.2f}x" if ratio and v is not None and b else "")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    for p in ("p50", "p95", "p99"):
        row(f"Ack latency {p} at {rate:.0f} ev/s (ms)", ("latency", "ack_ms", p), digits=2)
    for p in ("p50", "p95", "p99"):
        row(f"Relay latency {p} at {rate:.0f} ev/s (ms)", ("latency", "relay_ms", p), digits=2)
    row("… customer DM → ticket thread, p50 (ms)", ("latency", "relay_dm_ms", "p50"), digits=2)
    row("… agent reply → customer DM, p50 (ms)", ("latency", "relay_reply_ms", "p50"), digits=2)
    row("App CPU per event (ms)", ("latency", "app_cpu_ms_per_event_net"), digits=2)
    row(
        "Throughput: highest rate held 30 s (ev/s)"
        if not results["plan"]["quick"]
        else "Throughput: highest rate held (ev/s, quick)",
        ("throughput", "highest_held"),
        digits=0,
    )
    row(
        "… and with relay p99 also under 1 s (ev/s)",
        ("throughput", "highest_held_relay_p99_under_1s"),
        digits=0,
    )
    row("Ack p99 at 200 ev/s (ms)", ("throughput", "at_200", "ack_ms", "p99"), digits=1)
    row("Relay p99 at 200 ev/s (ms)", ("throughput", "at_200", "relay_ms", "p99"), digits=1)
    row("App CPU per event at 200 ev/s (ms)", ("throughput", "at_200", "app_cpu_ms_per_event_net"), digits=2)
    row("RSS after the load runs (MB)", ("rss_end_mb",), digits=1)
    row("/handoff-queue, 10,000 waiting (ms)", ("scale", "queue", "p50_ms"), ratio=False)
    row("Claim, 10,000 waiting (ms)", ("scale", "claim", "p50_ms"), ratio=False)
    row("New escalation incl. position (ms)", ("scale", "escalation", "p50_ms"), ratio=False)
    row(
        "Relay p50 over the 1,000 seeded conversations (ms)",
        ("scale", "relay", "relay_ms", "p50"),
        ratio=False,
        digits=2,
    )
    row("RSS with 10,000 + 1,000 (MB)", ("scale", "rss_mb"), ratio=False)
    row("Events lost / duplicated (all runs)", ("lost_total",), ratio=False, digits=0)
    row("Requests refused with 503 / redeliveries (all runs)", ("refused_total",), ratio=False, digits=0)
    table = "\n".join(lines)

    verdicts = []
    for d in dbs:
        t = targets[d]
        label = _label(d, t)
        relay = _get(t, "latency", "relay_ms", "p50")
        base_relay = _get(base, "latency", "relay_ms", "p50") if base else None
        if relay is not None and base_relay:
            verdicts.append(
                _verdict(
                    f"{label}: relay p50 within {TARGET_RELAY_RATIO}x of bare Bolt",
                    relay / base_relay,
                    TARGET_RELAY_RATIO,
                    "x",
                )
            )
        ack200 = _get(t, "throughput", "at_200", "ack_ms", "p99")
        if _get(t, "throughput") is not None:
            verdicts.append(
                _verdict(
                    f"{label}: p99 ack at 200 ev/s under {TARGET_ACK_P99_AT_200_MS:.0f} ms",
                    ack200,
                    TARGET_ACK_P99_AT_200_MS,
                    " ms",
                )
            )
        for key, what, limit in (("queue", "/handoff-queue", TARGET_QUEUE_MS), ("claim", "a claim", TARGET_CLAIM_MS)):
            value = _get(t, "scale", key, "p50_ms")
            if value is not None:
                verdicts.append(
                    _verdict(f"{label}: {what} with 10,000 waiting under {limit:.0f} ms", value, limit, " ms")
                )
        rss = _get(t, "scale", "rss_mb")
        if rss is not None:
            verdicts.append(
                _verdict(f"{label}: RSS with 10,000 + 1,000 under {TARGET_RSS_MB:.0f} MB", rss, TARGET_RSS_MB, " MB")
            )
        positions = _get(t, "scale", "escalation", "positions_correct")
        if positions is not None:
            verdicts.append(
                {"target": f"{label}: escalation positions correct", "value": positions, "met": bool(positions)}
            )
    for c in columns:
        lost = targets[c].get("lost_total")
        verdicts.append({"target": f"{c}: no event lost or duplicated", "value": lost, "met": lost == "0 / 0"})
    return table, verdicts


def _verdict(label: str, value: float | None, limit: float, unit: str) -> dict[str, Any]:
    return {
        "target": label,
        "value": None if value is None else round(value, 2),
        "limit": limit,
        "unit": unit.strip(),
        "met": value is not None and value < limit if unit.strip() != "x" else value is not None and value <= limit,
    }


def _load_runs(target: dict[str, Any]) -> list[dict[str, Any]]:
    runs = [target.get("latency"), *(_get(target, "throughput", "steps") or []), _get(target, "scale", "relay")]
    return [r for r in runs if r]


def _lost_total(target: dict[str, Any]) -> str:
    runs = _load_runs(target)
    return f"{sum(r['lost'] for r in runs)} / {sum(r['duplicated'] for r in runs)}"


def _refused_total(target: dict[str, Any]) -> str:
    runs = _load_runs(target)
    return f"{sum(r.get('refused', 0) for r in runs)} / {sum(r.get('redeliveries', 0) for r in runs)}"


def _progress(text: str) -> None:
    print(text, flush=True)


# ----------------------------------------------------------------------------- main


def _terminated(signum: int, frame: Any) -> None:
    """SIGTERM (a test's timeout, CI, `kill`): unwind like Ctrl-C, so every `finally` stops its processes."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut the clean-up short
    raise KeyboardInterrupt


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a ~2-minute smoke run: short steps, fewer conversations")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the bare Bolt baseline (and the durable floor with it)"
    )
    parser.add_argument(
        "--no-floor", action="store_true", help="skip the durable floor: bare Bolt + a durable SQLite insert"
    )
    parser.add_argument(
        "--no-async-baseline",
        action="store_true",
        help="skip the bare Bolt baseline as an AsyncApp on aiohttp (skipped anyway without aiohttp)",
    )
    parser.add_argument("--out", default=str(REPO / "bench" / "results.json"), help="where the JSON goes")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="an existing PostgreSQL database to connect to for creating the benchmark's own",
    )
    parser.add_argument("--conversations", type=int, default=0, help="connected conversations the load is spread over")
    parser.add_argument("--latency-rate", type=float, default=20.0, help="events/s of the latency run")
    parser.add_argument("--latency-seconds", type=float, default=0)
    parser.add_argument("--steps", default="", help="throughput steps in events/s, e.g. 50,100,200")
    parser.add_argument("--step-seconds", type=float, default=0)
    parser.add_argument("--scale-waiting", type=int, default=10_000)
    parser.add_argument("--scale-connected", type=int, default=1_000)
    parser.add_argument("--phases", default="latency,throughput,scale")
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="handoff-slack processes on PostgreSQL (each its own port), events in turn",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="with PostgreSQL, one more target: handoff-slack with HANDOFF_WORKERS=N (0 or 1: none)",
    )
    parser.add_argument("--keep-workdir", action="store_true", help="keep logs and load records")
    parser.add_argument("--profile", default="", help="run each app under py-spy; collapsed stacks go to this folder")
    parser.add_argument("--profiler", choices=["py-spy", "yappi"], default="py-spy")
    parser.add_argument("--profile-args", default="--rate 250", help="py-spy record options, e.g. '--gil' for CPU only")
    parser.add_argument(
        "--app-root", default="", help="run handoff-slack's main.py from this checkout instead (to compare a change)"
    )
    parser.add_argument(
        "--app-ref", default="", help="benchmark this commit (e.g. HEAD) of the app instead of its working tree"
    )
    parser.add_argument(
        "--app-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting for every app process (repeatable), e.g. HANDOFF_MAX_BACKLOG=500",
    )
    return parser


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _terminated)
    parser = build_parser()
    args = parser.parse_args(argv[1:])
    for setting in args.app_env:
        key, sep, value = setting.partition("=")
        if not sep or not key:
            parser.error(f"--app-env wants KEY=VALUE, not {setting!r}")
        APP_ENV[key] = value
    if args.app_ref:
        global APP_REF
        APP_REF = args.app_ref
    if args.app_root:
        global APP_ROOT
        APP_ROOT = Path(args.app_root).resolve()
    if args.profile:
        global PROFILE_DIR, PROFILE_ARGS, PROFILER
        PROFILER = args.profiler
        PROFILE_DIR = Path(args.profile).resolve()
        PROFILE_ARGS = args.profile_args.split()
        PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    plan = make_plan(args)
    workdir = Path(tempfile.mkdtemp(prefix="handoff-bench-"))
    global APP_CODE
    APP_CODE = snapshot_app(APP_ROOT, workdir)
    started = time.monotonic()
    results: dict[str, Any] = {
        "machine": {
            **machine(),
            "postgresql": postgres_version(plan.postgres_admin_url) if "postgresql" in plan.databases else None,
        },
        "plan": plan.__dict__ | {"phases": sorted(plan.phases)},
        "app_root": str(APP_ROOT),
        "app_ref": APP_REF,
        "app_env": APP_ENV,
        "targets": {},
    }
    _progress(f"handoff-slack benchmark ({'quick' if plan.quick else 'full'}); work files in {workdir}")
    if plan.baseline and not plan.async_baseline and not aiohttp_installed():
        _progress("(no AsyncApp baseline: aiohttp is not installed; pip install -e '.[bench]')")
    failed = False
    try:
        for target in plan_targets(plan):
            if target.kind == "bare":
                _progress("bare Bolt baseline")
            elif target.kind == "bare_async":
                _progress("bare Bolt baseline as an AsyncApp on aiohttp (the other serving stack)")
            elif target.kind == "floor":
                _progress("bare Bolt + durable SQLite insert (the durable floor)")
            else:
                workers = f" with {target.workers} workers" if target.workers > 1 else ""
                _progress(f"handoff-slack on {target.database}{workers}")
            results["targets"][target.key] = bench_target(workdir, plan, target)
    except BaseException:
        failed = True
        raise
    finally:
        for target in results["targets"].values():
            target["lost_total"] = _lost_total(target)
            target["refused_total"] = _refused_total(target)
            if "rss_end_kib" in target:
                target["rss_end_mb"] = round(target["rss_end_kib"]["VmRSS"] / 1024, 1)
        results["wall_seconds"] = round(time.monotonic() - started, 1)
        results["completed"] = not failed  # every planned target and phase ran to its end
        if results["targets"]:
            table, verdicts = report(results)
            results["table_markdown"] = table
            results["verdicts"] = verdicts
            out = Path(args.out)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(results, indent=2, default=str))
            if not failed:
                print()
                print(table)
                print()
                for v in verdicts:
                    unit = f" {v['unit']}" if v.get("unit") else ""
                    print(f"  [{'ok' if v['met'] else 'MISSED'}] {v['target']}: {v.get('value')}{unit}")
                m = results["machine"]
                print(
                    f"\n{m['cpu']}, {m['cores']} cores, Python {m['python']}, commit {m['git_commit'][:10]}"
                    f"{' (+ uncommitted changes)' if m['git_uncommitted_changes'] else ''};"
                    f" {results['wall_seconds']} s."
                    f" JSON: {out}"
                )
        if failed or args.keep_workdir:
            print(f"logs kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
