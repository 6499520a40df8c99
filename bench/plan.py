"""What a run measures: the plan the command line's options make, and the targets (the table's
columns) it runs in turn."""

from __future__ import annotations

import argparse
import importlib.util
from dataclasses import dataclass

WORKERS_ONLY = "postgresql_workers"  # in --databases: the "PostgreSQL, N workers" target alone
TARGET_RATE = 200.0  # the p99 ack target's rate, always measured when it is one of the steps


@dataclass
class Plan:
    quick: bool
    databases: list[str]
    baseline: bool
    postgres_admin_url: str
    conversations: int
    latency_rate: float
    latency_seconds: float
    steps: list[float]
    step_seconds: float
    scale_waiting: int
    scale_connected: int
    scale_repeats: int
    scale_relay_seconds: float
    phases: set[str]
    replicas: int = 1
    workers: int = 0  # --workers: one more target, PostgreSQL with HANDOFF_WORKERS=workers (0: none)
    floor: bool = False  # the durable floor: bare Bolt + a durable SQLite insert before the ack
    async_baseline: bool = False  # bare Bolt as an AsyncApp on aiohttp: the other serving stack
    scale_agents: int = 200  # the support channel's agents, with profiles, in the scale and routing phases
    routing_singles: int = 20  # the routing phase's one-offer passes, per strategy and database

    @property
    def load_phases(self) -> bool:
        """Whether a target's app runs under load (else only the seeded phases run)."""
        return bool(self.phases & {"latency", "throughput"})


@dataclass(frozen=True)
class Target:
    """One column of the table: an app, how it is served, and where it stores."""

    key: str  # in the JSON's `targets`
    # "bare" (the baseline), "bare_async" (the same as an AsyncApp on aiohttp), "floor" (the
    # baseline + a durable SQLite insert) or "handoff"
    kind: str
    tag: str  # two letters: load runs' files and tokens, set-up customers
    database: str | None = None
    workers: int = 1  # HANDOFF_WORKERS


def plan_targets(plan: Plan) -> list[Target]:
    targets = []
    # The baselines and the workers' target run only the load phases; without them, nothing.
    loads = plan.load_phases
    if plan.baseline and loads:
        targets.append(Target("baseline", "bare", "ba"))
    if plan.async_baseline and loads:
        targets.append(Target("baseline_async", "bare_async", "as"))
    if plan.floor and loads:
        targets.append(Target("floor", "floor", "fl"))
    for database in plan.databases:
        if database == WORKERS_ONLY:  # just the workers' column, e.g. to compare two process managers
            if loads:
                targets.append(Target(WORKERS_ONLY, "handoff", "pw", "postgresql", max(plan.workers, 2)))
            continue
        targets.append(Target(database, "handoff", database[:2], database))
        if database == "postgresql" and plan.workers > 1 and loads:
            targets.append(Target(WORKERS_ONLY, "handoff", "pw", database, plan.workers))
    return targets


def make_plan(args: argparse.Namespace) -> Plan:
    quick = args.quick
    steps = (
        [float(s) for s in args.steps.split(",")]
        if args.steps
        else ([50, 200] if quick else [50, 100, 200, 300, 400, 600, 800, 1000, 1200])
    )
    return Plan(
        quick=quick,
        databases=[d for d in args.databases.split(",") if d],
        baseline=not args.no_baseline,
        postgres_admin_url=args.postgres_url,
        conversations=args.conversations or (20 if quick else 200),
        latency_rate=args.latency_rate,
        latency_seconds=args.latency_seconds or (3 if quick else 20),
        steps=steps,
        step_seconds=args.step_seconds or (3 if quick else 30),
        scale_waiting=args.scale_waiting,
        scale_connected=args.scale_connected,
        scale_repeats=3 if quick else 7,
        scale_relay_seconds=3 if quick else 10,
        phases=set(args.phases.split(",")),
        replicas=args.replicas,
        workers=args.workers if args.workers > 1 else 0,
        floor=not args.no_baseline and not args.no_floor,
        async_baseline=not args.no_baseline and not args.no_async_baseline and aiohttp_installed(),
        scale_agents=args.scale_agents,
        routing_singles=5 if quick else 20,
    )


def aiohttp_installed() -> bool:
    """The AsyncApp baseline's server: a benchmark dependency (`.[bench]`), not the app's."""
    return importlib.util.find_spec("aiohttp") is not None
