"""The sandbox's clock (sandbox_clock.py): real time plus what the page's "⏩ Time" control added; a
jump runs the timers once, and a refused request neither moves the clock nor runs them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handoff_slack.sandbox.sandbox_clock import SandboxClock, TimeControl


def test_a_jump_moves_the_clock_on_and_runs_the_timers_once() -> None:
    clock, runs = SandboxClock(), []
    control = TimeControl(clock, lambda: runs.append(clock.offset))
    assert abs(clock() - datetime.now(UTC)) < timedelta(seconds=5)
    answer = control.forward({"minutes": 16})
    assert runs == [timedelta(minutes=16)]  # run after the move: what came due fires
    assert answer["ok"] and answer["offset_seconds"] == 960
    assert abs(clock() - (datetime.now(UTC) + timedelta(minutes=16))) < timedelta(seconds=5)
    control.forward({"minutes": 60})
    assert clock.offset == timedelta(minutes=76)
    assert control.state()["steps_minutes"] == [5, 15, 60]


@pytest.mark.parametrize(
    "request_",
    [
        {},
        {"minutes": 0},
        {"minutes": -1},
        {"minutes": 1441},
        {"minutes": 1.5},
        {"minutes": "5"},
        {"minutes": True},
        {"minutes": None},
    ],
)
def test_anything_but_1_to_1440_minutes_forward_is_refused(request_: dict[str, Any]) -> None:
    clock, runs = SandboxClock(), []
    control = TimeControl(clock, lambda: runs.append(1))
    assert control.forward(request_) == {"ok": False, "error": "invalid_minutes"}
    assert (clock.offset, runs) == (timedelta(), [])


def test_the_clock_never_goes_back() -> None:
    clock = SandboxClock()
    with pytest.raises(ValueError):
        clock.forward(timedelta(minutes=-5))
    assert clock.offset == timedelta()
