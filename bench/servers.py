"""The servers a run starts, each a child process on a free port: the fake Slack (and the reader of
its log), and the app under load (handoff-slack, or a bare Bolt baseline), with what it uses."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import ADMIN, AGENTS, BOT_TOKEN, REPO, SIGNING_SECRET, SUPPORT_CHANNEL
from bench.processes import clean_env, free_port, http_json, start_process, stop_process, wait_for_http
from bench.resource_use import cpu_seconds, process_tree, tree_cpu_seconds, tree_rss_kib

BENCH_CONFIG = REPO / "bench" / "bench_config.yaml"


def app_env(api_url: str, port: int, config: Path, **more: str) -> dict[str, str]:
    """The environment of an app under the benchmark: the fake Slack, loopback, quiet logs."""
    return clean_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=api_url,
        HANDOFF_SUPPORT_CHANNEL=SUPPORT_CHANNEL,
        HANDOFF_ADMINS=ADMIN,
        PORT=str(port),
        HOST="127.0.0.1",
        LOG_LEVEL="WARNING",
        HANDOFF_CONFIG=str(config),
        # A load generator writes far faster per customer than a person: without this every
        # benchmark message would be a flood-control case (still relayed, plus a notice).
        HANDOFF_FLOOD_LIMIT="10000",
        **more,
    )


class FakeSlackProcess:
    def __init__(self, workdir: Path, name: str, members: int = len(AGENTS)) -> None:
        """`members`: the support channel's agents (bench.common.ROSTER's first)."""
        self.port = free_port()
        self.process = start_process(
            ["-m", "bench.fake_slack_process", "--port", str(self.port), "--members", str(members)],
            clean_env(),
            workdir / f"fake-{name}.log",
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


@dataclass(frozen=True)
class AppLaunch:
    """How every app process of a run starts: from which code, with which extra settings, profiled or not."""

    code: Path = REPO  # where handoff-slack's main.py runs: the run's copy of --app-root's code
    env: dict[str, str] = field(default_factory=dict)  # --app-env: over the benchmark's own settings
    profile_dir: Path | None = None  # --profile: run each app under the profiler, its output here
    profiler: str = "py-spy"  # --profiler: "py-spy" (sampled stacks) or "yappi" (CPU time per function)
    profile_args: tuple[str, ...] = ("--rate", "250")  # --profile-args, for py-spy record


class AppProcess:
    """handoff-slack (`python main.py`) or the bare Bolt app, HTTP on a free port.

    `kind` "floor": the bare Bolt app committing each event to the SQLite file `database_url` (a
    path) before its ack. `workers` above 1: handoff-slack with HANDOFF_WORKERS (its process is then
    gunicorn's arbiter; CPU and memory are read over its process tree).
    """

    def __init__(
        self,
        kind: str,
        fake: FakeSlackProcess,
        workdir: Path,
        name: str,
        database_url: str | None,
        workers: int = 1,
        *,
        launch: AppLaunch,
    ) -> None:
        self.kind = kind
        self.port = free_port()
        env = app_env(fake.api_url, self.port, BENCH_CONFIG)
        if database_url and kind == "handoff":
            env["DATABASE_URL"] = database_url
        env.update(launch.env)
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
        profile_dir = launch.profile_dir
        self.profiled = profile_dir is not None
        if profile_dir is not None and launch.profiler == "yappi":
            # CPU time per function, all threads; written when the app ends.
            args = ["-m", "bench.cpu_profile", str(profile_dir / f"cpu-{name}.pstat"), "--", *args]
            env["PYTHONPATH"] = str(REPO)  # `bench` is not in the app's copy it runs in; the app's code is first
            self.profiled = False  # the app is the process itself: stopped like any other
        elif profile_dir is not None:
            # py-spy runs the app as its child and writes collapsed stacks when the app ends.
            out = profile_dir / f"profile-{name}.txt"
            args = [
                "-c",
                "import os, sys; os.execv(sys.argv[1], sys.argv[1:])",
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--format",
                "raw",
                *launch.profile_args,
                *(["--subprocesses"] if workers > 1 else []),  # the workers, not just their arbiter
                "--nonblocking",
                "-o",
                str(out),
                "--",
                sys.executable,
                *args,
            ]
        self.process = start_process(args, env, self.log_path, cwd=launch.code if kind == "handoff" else REPO)
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


def events_urls(app: AppProcess | Replicas) -> str | list[str]:
    """Where the load generator sends: one URL, or the replicas' in turn."""
    return app.events_urls if isinstance(app, Replicas) else app.events_url


def app_pids(app: AppProcess | Replicas) -> list[int]:
    return app.pids if isinstance(app, Replicas) else [app.pid]


def app_cpu_seconds(app: AppProcess | Replicas) -> float:
    """CPU seconds of the app: all replicas, and all workers of each (HANDOFF_WORKERS)."""
    return sum(tree_cpu_seconds(pid) for pid in app_pids(app))


def app_cpu_by_process(app: AppProcess | Replicas) -> dict[int, float]:
    """CPU seconds of each process of the app (replicas, workers and their arbiter)."""
    found = {}
    for pid in app_pids(app):
        for member in process_tree(pid):
            with contextlib.suppress(OSError):
                found[member] = cpu_seconds(member)
    return found


def app_rss_mb(app: AppProcess | Replicas) -> float:
    """Resident memory of the (largest) app process: a replica, or a worker of one."""
    return round(max(tree_rss_kib(pid)["VmRSS"] for pid in app_pids(app)) / 1024, 1)


def idle_cpu_per_s(app: AppProcess | Replicas, seconds: float = 3.0) -> float:
    """The app's CPU seconds per second while no request comes (its scheduler, the server's loop)."""
    before, started = app_cpu_seconds(app), time.monotonic()
    time.sleep(seconds)
    return (app_cpu_seconds(app) - before) / (time.monotonic() - started)
