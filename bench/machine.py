"""What a run was measured on: the machine, the packages, and the app's commit."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from bench.common import REPO


def machine(app_root: Path = REPO, app_ref: str | None = None) -> dict[str, Any]:
    """`app_root` and `app_ref` (--app-root, --app-ref): where the app's code comes from."""
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
                ["git", *args], cwd=app_root, capture_output=True, text=True, timeout=10
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
        "git_commit": git("rev-parse", app_ref or "HEAD"),
        # Of the app's code only (what the run copies and runs), when the run started.
        "git_uncommitted_changes": app_ref is None
        and bool(git("status", "--porcelain", "--untracked-files=all", "--", "main.py", "handoff_slack", "migrations")),
        "packages": packages,
        "load_average_at_start": os.getloadavg(),
    }
