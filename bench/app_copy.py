"""The copy of the app's code a run takes when it starts, which every app process of the run runs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

APP_FILES = ("main.py", "alembic.ini", "handoff_slack", "migrations")


def snapshot_app(root: Path, workdir: Path, ref: str | None = None) -> Path:
    """A copy of the app's code for this run: others may edit the checkout while the benchmark runs,
    and every process of one run must run the same code. `ref` (--app-ref): that commit of `root`
    instead of its working tree."""
    dest = workdir / "app"
    dest.mkdir()
    if ref:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", ref, *APP_FILES], cwd=root, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        return dest
    for name in ("main.py", "alembic.ini"):
        shutil.copy2(root / name, dest / name)
    for name in ("handoff_slack", "migrations"):
        shutil.copytree(root / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest
