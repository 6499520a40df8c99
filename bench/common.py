"""Constants and small helpers shared by the benchmark's processes."""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-token"
BOT_USER_ID = "UBOT"
TEAM_ID = "T0HOME"
SUPPORT_CHANNEL = "CSUPPORT"
ADMIN = "UADMIN"
AGENTS = [f"UAGENT{i:02d}" for i in range(1, 21)]

# Every benchmark event's text carries one unique token; the fake Slack's log is searched for it.
TOKEN_RE = re.compile(r"\btk[0-9a-z]+x[0-9]+\b")

# The app's variables are never inherited from the environment the benchmark runs in.
APP_VARIABLES = ("SLACK_", "HANDOFF_", "DATABASE_URL", "PORT", "HOST", "LOG_LEVEL")


def now() -> float:
    """The benchmark's shared clock: CLOCK_MONOTONIC is system-wide on Linux, so the load generator's
    send times and the fake Slack's arrival times (other processes) are directly comparable."""
    return time.monotonic()


def sign(body: bytes, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(APP_VARIABLES)}
    env.update(settings)
    return env


def http_json(url: str, data: bytes | None = None, timeout: float = 30) -> Any:
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not answer {url} within {timeout} s")


# prctl(PR_SET_PDEATHSIG): the kernel signals a child when the process that started it dies, even by
# SIGKILL (a CI timeout, a killed test run), when no `finally` of ours runs. Linux only. Looked up
# here, once: the forked child only calls it, between fork and exec.
_PR_SET_PDEATHSIG = 1
_prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None) if sys.platform == "linux" else None


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` for children of this process: SIGTERM when it dies. Start them from the main
    thread (the signal comes when the starting thread ends), with no other thread running."""
    if _prctl is None:
        return None
    parent = os.getpid()
    sigterm = int(signal.SIGTERM)

    def preexec() -> None:
        _prctl(_PR_SET_PDEATHSIG, sigterm)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def start_process(args: list[str], env: dict[str, str], log_path: Path, cwd: Path = REPO) -> subprocess.Popen[bytes]:
    """A child in its own process group (so stopping it stops whatever it started), told to end
    (SIGTERM) when the benchmark's process dies, however it dies."""
    log = log_path.open("wb")
    try:
        return subprocess.Popen(
            [sys.executable, *args],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
    finally:
        log.close()


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float = 15) -> None:
    """SIGTERM to the child's process group, then SIGKILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def rss_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in KiB."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (e.g. the app's workers with HANDOFF_WORKERS), from /proc."""
    pids, index = [pid], 0
    while index < len(pids):
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pids[index]}/task").iterdir():
                pids += [int(child) for child in (task / "children").read_text().split()]
        index += 1
    return pids


def tree_rss_kib(pid: int) -> dict[str, int]:
    """`rss_kib` of the largest process in `pid`'s tree: one worker, when the app runs several."""
    sizes = []
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            sizes.append(rss_kib(member))
    return max(sizes, key=lambda size: size.get("VmRSS", 0))


def tree_cpu_seconds(pid: int) -> float:
    """`cpu_seconds` summed over `pid` and its descendants (workers)."""
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            total += cpu_seconds(member)
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks
