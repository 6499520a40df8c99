"""The benchmark's routing phase and its 200-agent roster (bench/README.md, Routing decisions).

One tiny run of `python -m bench.run --phases scale,routing` on SQLite (the queue-scale phase with
the agents seeded and the routing phase, each strategy on its own seeded database): it must finish
and time what it says. The numbers are not checked against the targets (the machine is shared);
that is the benchmark's job. Without processes: the roster the seed writes, the targets
`--phases routing` plans, and the report's routing rows and verdicts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
RUN_TIMEOUT = 180  # seconds; the run takes ~30


@pytest.mark.slow
def test_the_routing_phase_runs_at_tiny_scale(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    command = [
        sys.executable,
        "-m",
        "bench.run",
        "--quick",
        "--databases",
        "sqlite",
        "--phases",
        "scale,routing",
        "--no-baseline",
        "--scale-waiting",
        "300",
        "--scale-connected",
        "100",
        "--scale-agents",
        "30",
        "--out",
        str(out),
    ]
    done = subprocess.run(
        command,
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # its work files go with the test's
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(out.read_text())
    assert results["completed"] is True
    assert list(results["targets"]) == ["sqlite"]  # no baseline: the load phases did not run
    target = results["targets"]["sqlite"]
    assert "latency" not in target and "throughput" not in target

    # The queue scale ran with the agents seeded: /handoff-queue answered at its response_url, claims landed.
    scale = target["scale"]
    assert len(scale["queue"]["runs_ms"]) == 3 and scale["queue"]["p50_ms"] > 0
    assert len(scale["claim"]["runs_ms"]) == 3 and scale["claim"]["p50_ms"] > 0

    routing = target["routing"]
    assert routing["agents"] == 30
    for strategy in ("least_busy", "round_robin"):
        found = routing[strategy]
        assert found["strategy"] == strategy and found["dialect"] == "sqlite"
        burst = found["burst"]
        # Every available agent had room for some offers: the first passes made them, one decision each.
        assert burst["offers"] > 0 and burst["decision"]["n"] == burst["offers"], burst
        assert burst["passes"] >= 1 and burst["decision"]["p50_ms"] > 0
        one = found["one_offer"]
        assert one["to_stored"]["n"] == one["decision"]["n"] == one["pass"]["n"] == 5, one  # --quick: 5 passes
        # The offering transaction is part of the time to the offer stored, which is part of the pass.
        assert 0 < one["decision"]["p50_ms"] <= one["to_stored"]["p50_ms"] <= one["pass"]["p50_ms"], one
        assert one["to_stored"]["p50_ms"] <= one["to_stored"]["p95_ms"] <= one["to_stored"]["max_ms"], one
    verdicts = {v["target"] for v in results["verdicts"]}
    assert "SQLite: a routing decision (least busy) with 10,000 waiting and 200 agents under 20 ms" in verdicts
    assert "SQLite: a routing decision (round robin) with 10,000 waiting and 200 agents under 20 ms" in verdicts
    assert "Routing, round robin: one offer, p50 / p95 / max (ms)" in results["table_markdown"]


def test_the_seeded_roster_mixes_availability_and_gives_the_available_room() -> None:
    from bench.common import ROSTER
    from bench.seed import DEFAULT_CAPACITY, build

    rows = build(waiting=50, connected=1000, agents=200)
    profiles = {p["user_id"]: p for p in rows["agent_profile"]}
    assert set(profiles) < set(ROSTER) and 150 < len(profiles) < 200  # some never set a status
    availability = Counter(p["availability"] for p in profiles.values())
    assert availability["available"] > availability["away"] > availability["offline"] > 0, availability
    assert any(p["capacity"] is None for p in profiles.values())
    assert any(p["capacity"] is not None for p in profiles.values())
    assert all(p["languages"] for p in profiles.values())
    loads = Counter(t["agent_user_id"] for t in rows["ticket"] if t["state"] == "connected")
    assert sum(loads.values()) == 1000 and set(loads) <= set(ROSTER)
    available = [p for p in profiles.values() if p["availability"] == "available"]
    room = {p["user_id"]: (p["capacity"] or DEFAULT_CAPACITY) - loads[p["user_id"]] for p in available}
    assert all(r >= 0 for r in room.values()), room  # nobody available is over capacity
    assert any(r == 0 for r in room.values()) and any(r > 0 for r in room.values())  # some full, some not

    # The same roster every time.
    def drawn(profiles: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [(p["user_id"], p["availability"], p["capacity"], p["languages"], p["skills"]) for p in profiles]

    assert drawn(build(waiting=50, connected=1000, agents=200)["agent_profile"]) == drawn(rows["agent_profile"])


def test_the_seeded_waiting_tickets_ask_for_languages_and_skills_the_agents_have() -> None:
    from bench.seed import build

    rows = build(waiting=1000, connected=100, agents=200)
    waiting = [t for t in rows["ticket"] if t["state"] == "waiting"]
    languages = Counter(t["language"] for t in waiting)
    assert 0.6 < 1 - languages[None] / len(waiting) < 0.8, languages  # about 70 % have one
    with_skills = [t for t in waiting if t["skills"]]
    assert 0.2 < len(with_skills) / len(waiting) < 0.4
    assert not any(t["language"] or t["skills"] for t in rows["ticket"] if t["state"] != "waiting")
    # The queue reads skills from their rows: one per skill of each ticket, no other.
    skill_rows = sorted((r["ticket_id"], r["skill"]) for r in rows["ticket_skill"])
    assert skill_rows == sorted((t["id"], skill) for t in with_skills for skill in t["skills"])
    # Agents for them: every language and skill asked is some available agent's.
    available = [p for p in rows["agent_profile"] if p["availability"] == "available"]
    assert set(languages) - {None} <= {code for p in available for code in p["languages"]}
    assert {s for t in with_skills for s in t["skills"]} <= {s for p in available for s in p["skills"]}
    assert build(waiting=1000, connected=100, agents=200)["ticket_skill"] == rows["ticket_skill"]  # the same every time


def test_the_routing_phase_alone_plans_only_the_apps() -> None:
    from bench.plan import make_plan, plan_targets
    from bench.run import build_parser

    def keys(*args: str) -> list[str]:
        return [t.key for t in plan_targets(make_plan(build_parser().parse_args(list(args))))]

    assert keys("--phases", "routing") == ["sqlite", "postgresql"]  # no baselines, no workers' target
    assert keys("--phases", "routing", "--databases", "postgresql_workers") == []
    assert keys("--no-async-baseline", "--phases", "latency,routing") == [
        "baseline",
        "floor",
        "sqlite",
        "postgresql",
        "postgresql_workers",
    ]
    assert make_plan(build_parser().parse_args([])).phases == {"latency", "throughput", "scale", "routing"}


def test_an_unknown_phase_or_roster_size_is_refused() -> None:
    for args in (["--phases", "routeing"], ["--scale-agents", "201"], ["--scale-agents", "0"]):
        done = subprocess.run(
            [sys.executable, "-m", "bench.run", *args], cwd=REPO, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert args[0] in done.stderr, done.stderr


def test_the_report_shows_routing_per_strategy_with_a_verdict() -> None:
    from bench.report import report

    def routing(p50: float) -> dict[str, Any]:
        figures = {"p50_ms": p50, "p95_ms": p50 * 2, "max_ms": p50 * 3, "spread": f"{p50} / {p50 * 2} / {p50 * 3}"}
        return {"one_offer": {"to_stored": figures}, "burst": {"decision": figures}}

    results = {
        "plan": {"latency_rate": 20.0, "quick": True},
        "targets": {
            "sqlite": {"routing": {"least_busy": routing(12.0), "round_robin": routing(25.0)}, "lost_total": None},
        },
    }
    table, verdicts = report(results)
    assert "| Routing, least busy: one offer, p50 / p95 / max (ms) | 12.0 / 24.0 / 36.0 |" in table
    assert "| Routing, round robin: per decision in a burst, p50 / p95 / max (ms) | 25.0 / 50.0 / 75.0 |" in table
    assert "Events lost" not in table  # nothing was sent
    met = {v["target"]: v["met"] for v in verdicts}
    assert met == {
        "SQLite: a routing decision (least busy) with 10,000 waiting and 200 agents under 20 ms": True,
        "SQLite: a routing decision (round robin) with 10,000 waiting and 200 agents under 20 ms": False,
    }


def test_an_update_merges_the_phases_it_ran_and_keeps_the_rest() -> None:
    from bench.run import merged

    load_run = {"lost": 0, "duplicated": 0, "refused": 0, "redeliveries": 0}
    previous = {
        "machine": {"cpu": "full run's"},
        "plan": {"latency_rate": 20.0, "quick": False, "phases": ["latency", "scale"]},
        "targets": {
            "sqlite": {"latency": load_run, "scale": {"queue": {"p50_ms": 9.0}}, "lost_total": "0 / 0"},
            "baseline": {"latency": load_run, "lost_total": "0 / 0"},
        },
    }
    run = {
        "machine": {"cpu": "update's"},
        "plan": {"phases": ["routing", "scale"]},
        "app_root": "/repo",
        "app_ref": None,
        "app_env": {},
        "wall_seconds": 60.0,
        "targets": {"sqlite": {"target": "sqlite", "scale": {"queue": {"p50_ms": 11.0}}, "routing": {"agents": 200}}},
    }
    result = merged(previous, run)
    sqlite = result["targets"]["sqlite"]
    assert sqlite["scale"] == {"queue": {"p50_ms": 11.0}} and sqlite["routing"] == {"agents": 200}
    assert sqlite["latency"] == load_run and sqlite["lost_total"] == "0 / 0"  # kept, not measured again
    assert result["targets"]["baseline"] == previous["targets"]["baseline"]
    assert result["machine"] == {"cpu": "full run's"} and result["plan"] == previous["plan"]
    assert [u["machine"]["cpu"] for u in result["updates"]] == ["update's"]
    assert previous["targets"]["sqlite"]["scale"] == {"queue": {"p50_ms": 9.0}}  # the earlier results untouched
