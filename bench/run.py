"""The whole benchmark, on one machine: `python -m bench.run` (see bench/README.md).

For the bare Bolt baseline, the durable floor (bare Bolt committing each event to SQLite before
its ack), handoff-slack on each database and handoff-slack on PostgreSQL in several worker
processes (`--workers`), it starts, each in its own process, a fake Slack Web API
(`bench.fake_slack_process`) and the app (`python main.py`, HTTP mode, waitress, a real database;
or `bench.bare_bolt_app`), connects conversations through the app's HTTP edge, and drives it with
`bench.load` (another process). Then, per database, the queue-scale data set is written into a
fresh database and single operations are timed against it.
Prints a table and writes everything as JSON (`--out`).
"""

# This module is the command line; what it runs: bench.plan (the targets the options plan),
# bench.target_run (one target's phases), bench.report (the table and the verdicts); see bench/README.md.

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.app_copy import snapshot_app
from bench.common import REPO, ROSTER
from bench.databases import DEFAULT_POSTGRES, postgres_version
from bench.machine import machine
from bench.plan import aiohttp_installed, make_plan, plan_targets
from bench.processes import interrupt_on_sigterm
from bench.progress import progress
from bench.report import lost_total, refused_total, report
from bench.servers import AppLaunch
from bench.target_run import bench_target


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a ~2-minute smoke run: short steps, fewer conversations")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the bare Bolt baseline (and the durable floor with it)"
    )
    parser.add_argument(
        "--no-floor", action="store_true", help="skip the durable floor: bare Bolt + a durable SQLite insert"
    )
    parser.add_argument(
        "--no-async-baseline",
        action="store_true",
        help="skip the bare Bolt baseline as an AsyncApp on aiohttp (skipped anyway without aiohttp)",
    )
    parser.add_argument("--out", default=str(REPO / "bench" / "results.json"), help="where the JSON goes")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="an existing PostgreSQL database to connect to for creating the benchmark's own",
    )
    parser.add_argument("--conversations", type=int, default=0, help="connected conversations the load is spread over")
    parser.add_argument("--latency-rate", type=float, default=20.0, help="events/s of the latency run")
    parser.add_argument("--latency-seconds", type=float, default=0)
    parser.add_argument("--steps", default="", help="throughput steps in events/s, e.g. 50,100,200")
    parser.add_argument("--step-seconds", type=float, default=0)
    parser.add_argument("--scale-waiting", type=int, default=10_000)
    parser.add_argument("--scale-connected", type=int, default=1_000)
    parser.add_argument(
        "--scale-agents", type=int, default=200, help="agents (with profiles) in the scale and routing phases, 1-200"
    )
    parser.add_argument("--phases", default="latency,throughput,scale,routing")
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="handoff-slack processes on PostgreSQL (each its own port), events in turn",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="with PostgreSQL, one more target: handoff-slack with HANDOFF_WORKERS=N (0 or 1: none)",
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="merge this run's phases into the results already at --out (e.g. --phases routing), keeping the rest",
    )
    parser.add_argument("--keep-workdir", action="store_true", help="keep logs and load records")
    parser.add_argument("--profile", default="", help="run each app under py-spy; collapsed stacks go to this folder")
    parser.add_argument("--profiler", choices=["py-spy", "yappi"], default="py-spy")
    parser.add_argument("--profile-args", default="--rate 250", help="py-spy record options, e.g. '--gil' for CPU only")
    parser.add_argument(
        "--app-root", default="", help="run handoff-slack's main.py from this checkout instead (to compare a change)"
    )
    parser.add_argument(
        "--app-ref", default="", help="benchmark this commit (e.g. HEAD) of the app instead of its working tree"
    )
    parser.add_argument(
        "--app-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting for every app process (repeatable), e.g. HANDOFF_MAX_BACKLOG=500",
    )
    return parser


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, interrupt_on_sigterm)
    parser = build_parser()
    args = parser.parse_args(argv[1:])
    app_env: dict[str, str] = {}  # --app-env: settings for every app process, over the benchmark's own
    for setting in args.app_env:
        key, sep, value = setting.partition("=")
        if not sep or not key:
            parser.error(f"--app-env wants KEY=VALUE, not {setting!r}")
        app_env[key] = value
    app_ref: str | None = args.app_ref or None  # benchmark this commit of app_root instead of its working tree
    app_root = Path(args.app_root).resolve() if args.app_root else REPO  # run main.py from another checkout
    profile_dir = Path(args.profile).resolve() if args.profile else None
    if profile_dir is not None:
        profile_dir.mkdir(parents=True, exist_ok=True)
    plan = make_plan(args)
    unknown = plan.phases - {"latency", "throughput", "scale", "routing"}
    if unknown:
        parser.error(f"--phases: unknown {', '.join(sorted(unknown))} (latency, throughput, scale, routing)")
    if not 1 <= plan.scale_agents <= len(ROSTER):
        parser.error(f"--scale-agents: 1 to {len(ROSTER)}")
    workdir = Path(tempfile.mkdtemp(prefix="handoff-bench-"))
    launch = AppLaunch(
        code=snapshot_app(app_root, workdir, app_ref),  # where the apps really run from: a copy taken now
        env=app_env,
        profile_dir=profile_dir,
        profiler=args.profiler,
        profile_args=tuple(args.profile_args.split()),
    )
    started = time.monotonic()
    results: dict[str, Any] = {
        "machine": {
            **machine(app_root, app_ref),
            "postgresql": postgres_version(plan.postgres_admin_url) if "postgresql" in plan.databases else None,
        },
        "plan": plan.__dict__ | {"phases": sorted(plan.phases)},
        "app_root": str(app_root),
        "app_ref": app_ref,
        "app_env": app_env,
        "targets": {},
    }
    progress(f"handoff-slack benchmark ({'quick' if plan.quick else 'full'}); work files in {workdir}")
    if plan.baseline and not plan.async_baseline and not aiohttp_installed():
        progress("(no AsyncApp baseline: aiohttp is not installed; pip install -e '.[bench]')")
    failed = False
    try:
        for target in plan_targets(plan):
            if target.kind == "bare":
                progress("bare Bolt baseline")
            elif target.kind == "bare_async":
                progress("bare Bolt baseline as an AsyncApp on aiohttp (the other serving stack)")
            elif target.kind == "floor":
                progress("bare Bolt + durable SQLite insert (the durable floor)")
            else:
                workers = f" with {target.workers} workers" if target.workers > 1 else ""
                progress(f"handoff-slack on {target.database}{workers}")
            results["targets"][target.key] = bench_target(workdir, plan, target, launch)
    except BaseException:
        failed = True
        raise
    finally:
        for target in results["targets"].values():
            target["lost_total"] = lost_total(target)
            target["refused_total"] = refused_total(target)
            if "rss_end_kib" in target:
                target["rss_end_mb"] = round(target["rss_end_kib"]["VmRSS"] / 1024, 1)
        results["wall_seconds"] = round(time.monotonic() - started, 1)
        results["completed"] = not failed  # every planned target and phase ran to its end
        if results["targets"]:
            out = Path(args.out)
            if args.update and not failed and out.exists():
                results = merged(json.loads(out.read_text()), results)
            table, verdicts = report(results)
            results["table_markdown"] = table
            results["verdicts"] = verdicts
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(results, indent=2, default=str))
            if not failed:
                print()
                print(table)
                print()
                for v in verdicts:
                    unit = f" {v['unit']}" if v.get("unit") else ""
                    print(f"  [{'ok' if v['met'] else 'MISSED'}] {v['target']}: {v.get('value')}{unit}")
                m = results["machine"]
                print(
                    f"\n{m['cpu']}, {m['cores']} cores, Python {m['python']}, commit {m['git_commit'][:10]}"
                    f"{' (+ uncommitted changes)' if m['git_uncommitted_changes'] else ''};"
                    f" {results['wall_seconds']} s."
                    f" JSON: {out}"
                )
        if failed or args.keep_workdir:
            print(f"logs kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def merged(previous: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    """`--update`: this run's phases, target by target, replace theirs in an earlier run's results;
    everything else stays as it was measured. The run's machine, plan and code go under `updates`."""
    targets = {key: dict(target) for key, target in previous.get("targets", {}).items()}
    for key, target in run["targets"].items():
        into = targets.setdefault(key, {"target": key})
        for phase in run["plan"]["phases"]:
            if phase in target:
                into[phase] = target[phase]
        into["lost_total"] = lost_total(into)
        into["refused_total"] = refused_total(into)
    update = {key: run[key] for key in ("machine", "plan", "app_root", "app_ref", "app_env", "wall_seconds")}
    return {**previous, "targets": targets, "updates": [*previous.get("updates", []), update]}


if __name__ == "__main__":
    sys.exit(main(sys.argv))
