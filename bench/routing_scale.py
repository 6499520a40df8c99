"""The routing phase: per strategy (least busy, round robin), a fresh database with the queue-scale
data set and its 200 agents (`bench.seed`), and its routing decisions timed in the app's code copy
(`bench.routing_decisions`, one process each)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.common import REPO
from bench.databases import BENCH_DATABASE, drop_postgres, fresh_postgres, sqlite_url
from bench.plan import Plan
from bench.processes import clean_env, die_with_parent
from bench.progress import fmt, progress
from bench.servers import AppLaunch

STRATEGIES = ("least_busy", "round_robin")


def seeded_database(url: str, plan: Plan, launch: AppLaunch) -> str:
    """Migrate a fresh database with the app's migrations and write the queue-scale data set into
    it; the seed's summary line."""
    env = clean_env(DATABASE_URL=url)
    subprocess.run(
        [sys.executable, "main.py", "migrate"],
        cwd=launch.code,
        env=env,
        check=True,
        capture_output=True,
        preexec_fn=die_with_parent(),
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.seed",
            url,
            "--waiting",
            str(plan.scale_waiting),
            "--connected",
            str(plan.scale_connected),
            "--agents",
            str(plan.scale_agents),
        ],
        cwd=launch.code,  # the app's models as the app runs them; `bench` comes from PYTHONPATH
        env={**env, "PYTHONPATH": str(REPO)},
        check=True,
        capture_output=True,
        text=True,
        preexec_fn=die_with_parent(),
    ).stdout.strip()


def routing_scale(workdir: Path, plan: Plan, database: str, launch: AppLaunch) -> dict[str, Any]:
    """Each strategy's decisions on a fresh seeded `database`; see bench/README.md, Routing."""
    result: dict[str, Any] = {"database": database, "agents": plan.scale_agents}
    for strategy in STRATEGIES:
        name = f"{BENCH_DATABASE}_routing"
        url = sqlite_url(workdir, f"{database}-routing-{strategy}") if database == "sqlite" else None
        if url is None:
            url = fresh_postgres(plan.postgres_admin_url, name)
        try:
            progress(f"  routing, {strategy}: {seeded_database(url, plan, launch)}")
            measured = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.routing_decisions",
                    url,
                    "--strategy",
                    strategy,
                    "--singles",
                    str(plan.routing_singles),
                    "--agents",
                    str(plan.scale_agents),
                ],
                cwd=launch.code,
                env={**clean_env(), "PYTHONPATH": str(REPO)},
                check=True,
                capture_output=True,
                text=True,
                preexec_fn=die_with_parent(),
            )
        except subprocess.CalledProcessError as error:
            raise RuntimeError(f"routing {strategy} on {database} failed:\n{error.stderr}") from None
        finally:
            if database == "postgresql":
                drop_postgres(plan.postgres_admin_url, name)
        found: dict[str, Any] = json.loads(measured.stdout)
        result[strategy] = found
        one, burst = found["one_offer"]["to_stored"], found["burst"]["decision"]
        progress(
            f"  routing, {strategy}: one offer p50/p95/max {fmt(one['p50_ms'])}/{fmt(one['p95_ms'])}/"
            f"{fmt(one['max_ms'])} ms; burst of {found['burst']['offers']} offers, per decision p50/p95/max "
            f"{fmt(burst['p50_ms'])}/{fmt(burst['p95_ms'])}/{fmt(burst['max_ms'])} ms"
        )
    return result
