"""Serving: what the process does once the app is up."""

from __future__ import annotations

import subprocess
import sys

from tests.support.app_process import REPO


def test_once_started_the_long_lived_objects_are_frozen_and_the_collector_runs_less_often() -> None:
    script = """
import gc
import handoff_slack.app  # the app's modules: what a started process holds
from handoff_slack.server import GC_THRESHOLDS, settle_garbage_collector

before = gc.get_threshold()
settle_garbage_collector()
print(before != GC_THRESHOLDS, gc.get_threshold() == GC_THRESHOLDS, gc.get_freeze_count() > 10_000)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "True"]
