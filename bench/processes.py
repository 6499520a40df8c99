"""Child processes of the benchmark and of the tests: a free port, an environment without the app's
settings, starting (in its own process group, ended with its parent) and stopping, waiting for one to
answer HTTP.

`tests/support/app_process.py` takes `free_port` and `clean_env` from here: tests may import the
benchmark's helpers, the benchmark never imports the tests, and the app imports neither.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import REPO

# The app's variables are never inherited from the environment the benchmark (or a test) runs in.
APP_VARIABLES = ("SLACK_", "HANDOFF_", "DATABASE_URL", "PORT", "HOST", "LOG_LEVEL")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without any of the app's settings, plus `settings`."""
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


def interrupt_on_sigterm(signum: int, frame: Any) -> None:
    """A SIGTERM handler (a test's timeout, CI, `kill`): unwind like Ctrl-C, so every `finally` stops
    its processes."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut the clean-up short
    raise KeyboardInterrupt
