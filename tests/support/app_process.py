"""The real app as an operator runs it: `python main.py` in a child process, HTTP on a free port.

Unlike `AppUnderTest` it can die for real: `kill()` is SIGKILL, no clean-up of any kind runs. `start()`
again brings up a fresh process on the same port and database, as a supervisor would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from bench.processes import APP_VARIABLES, clean_env, free_port
from tests.support.app_under_test import (
    ADMIN,
    PLAIN_HANDOFF_CONFIG,
    SIGNING_SECRET,
    SUPPORT_CHANNEL,
    SlackEdge,
)
from tests.support.fake_slack import FakeSlack
from tests.support.migrated_template import from_migrated_template
from tests.support.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
OUR_VARIABLES = APP_VARIABLES  # the app's settings' names, which no child inherits (tests/sandbox uses it)
__all__ = ["OUR_VARIABLES", "REPO", "AppProcess", "clean_env", "free_port"]  # the last two: for other tests


class AppProcess(SlackEdge):
    def __init__(self, fake: FakeSlack, database_url: str, log_dir: Path, **overrides: str) -> None:
        self.port = free_port()
        self.log_dir = log_dir
        self.env = clean_env(
            SLACK_BOT_TOKEN=fake.bot_token,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=fake.api_url,
            DATABASE_URL=database_url,
            HANDOFF_SUPPORT_CHANNEL=SUPPORT_CHANNEL,
            HANDOFF_ADMINS=ADMIN,
            HANDOFF_DELIVERY_RETRY_SECONDS="1",
            HANDOFF_HTTP_THREADS="8",
            PORT=str(self.port),
            HOST="127.0.0.1",
            **{"LOG_LEVEL": "WARNING", "HANDOFF_CONFIG": PLAIN_HANDOFF_CONFIG, **overrides},
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    # ----------------------------------------------------------------- lifecycle
    def start(self, timeout: float = 20) -> AppProcess:
        assert self.process is None or self.process.poll() is not None, "already running"
        from_migrated_template(self.env["DATABASE_URL"])
        self.starts += 1
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "main.py"], cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        wait_until(self._healthy, timeout=timeout, message=f"main.py (start #{self.starts}) to answer GET /healthz")
        return self

    def kill(self) -> None:
        """SIGKILL: the process ends mid-whatever, with no chance to finish or clean up anything."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not end within 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"main.py exited with {self.process.returncode}:\n{self.log_tail()}")
        try:
            with urllib.request.urlopen(self.base_url + "/healthz", timeout=1) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    # ----------------------------------------------------------------- talking to it
    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ----------------------------------------------------------------- diagnostics
    @property
    def log_path(self) -> Path:
        return self.log_dir / f"app-{self.starts}.log"

    def log_tail(self, lines: int = 40) -> str:
        """The last lines the process (every start so far) wrote, for failure messages."""
        parts = []
        for start in range(1, self.starts + 1):
            path = self.log_dir / f"app-{start}.log"
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- app-{start}.log (last {len(text)} lines)\n" + "\n".join(text))
        return "\n".join(parts) or "(no output)"
