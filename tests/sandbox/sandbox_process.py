"""`python main.py sandbox` in a child process, as a newcomer starts it: a fresh directory, no settings."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.support.app_process import OUR_VARIABLES, free_port

REPO = Path(__file__).resolve().parents[2]
URL_LINE = "handoff-slack sandbox: open "


class SandboxProcess:
    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.output: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()

    def start(self, timeout: float = 30, *, as_background_job: bool = False) -> SandboxProcess:
        """Start it and wait for the one URL it prints (within `timeout` seconds, or fail).

        ``as_background_job``: started like `python main.py sandbox &` from a script, with SIGINT ignored.
        """
        env = {key: value for key, value in os.environ.items() if not key.startswith(OUR_VARIABLES)}
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "main.py"), "sandbox", "--port", str(self.port)],
            cwd=self.directory,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if as_background_job else None,
        )
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not self.url:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise AssertionError(f"no URL within {timeout}s; output:\n{self.log()}")
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"the sandbox exited with {self.process.wait()}; output:\n{self.log()}")
            if line.startswith(URL_LINE):
                self.url = line[len(URL_LINE) :].split()[0]
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def interrupt(self, timeout: float = 15) -> int:
        """Ctrl-C, as a person in the terminal does; returns the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def log(self) -> str:
        return "".join(self.output)
