"""Queue scale: 10,000 waiting tickets, 1,000 connected conversations and 200 agents written into
a fresh database (`bench.seed`), then single operations timed against it, one at a time."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import AGENTS, SUPPORT_CHANNEL
from bench.databases import BENCH_DATABASE, drop_postgres, fresh_postgres, sqlite_url
from bench.load_run import Load, run_load
from bench.plan import Plan
from bench.progress import progress
from bench.resource_use import tree_rss_kib
from bench.routing_scale import seeded_database
from bench.servers import AppLaunch, AppProcess, FakeSlackProcess, idle_cpu_per_s
from bench.slack_edge import SlackEdge
from bench.statistics import percentile

POSITION = re.compile(r"You are \*#(\d+)\* in the queue")


def queue_scale(workdir: Path, plan: Plan, database: str, launch: AppLaunch) -> dict[str, Any]:
    """10,000 waiting + 1,000 connected in a fresh database; time single operations against it."""
    name = f"{database}-scale"
    if database == "sqlite":
        url = sqlite_url(workdir, name)
    else:
        url = fresh_postgres(plan.postgres_admin_url, f"{BENCH_DATABASE}_scale")
    seeded = seeded_database(url, plan, launch)
    progress(f"  {seeded}")
    connected = connected_conversations(url)

    fake = FakeSlackProcess(workdir, name, members=plan.scale_agents)
    app = None
    try:
        app = AppProcess("handoff", fake, workdir, name, url, launch=launch)
        rss_started = tree_rss_kib(app.pid)
        edge = SlackEdge(app.events_url)
        result: dict[str, Any] = {"database": database, "rss_after_start_kib": rss_started}

        def timed(
            action: Callable[[int], tuple[int, float, float]], arrival: Callable[[list[Any]], bool], k: int
        ) -> dict[str, Any]:
            since = fake.mark()
            status, sent, answered = action(k)
            assert status == 200, f"answered {status}"
            entry = fake.wait_for(arrival, since, timeout=30)
            return {"ms": (entry[0] - sent) * 1000, "ack_ms": (answered - sent) * 1000, "entry": entry}

        # /handoff-queue: its answer goes to the response_url (what it says is the command's own
        # tests' business: only its arrival is waited for).
        queue_runs = []
        for k in range(plan.scale_repeats):
            run = timed(
                lambda k: edge.slash_command("/handoff-queue", "", AGENTS[k % len(AGENTS)], fake.response_url(f"q{k}")),
                lambda e, k=k: e[1] == f"response_url:q{k}",
                k,
            )
            queue_runs.append(run)
            time.sleep(0.2)
        # A claim of the tickets at the head of the queue: until the ticket message shows it.
        claim_runs = []
        waiting = waiting_tickets(url, plan.scale_repeats)
        for k, (ticket_id, ts) in enumerate(waiting):
            run = timed(
                lambda k, ticket_id=ticket_id, ts=ts: edge.claim(
                    AGENTS[k % len(AGENTS)], ticket_id, ts, fake.response_url(f"c{k}")
                ),
                lambda e, ticket_id=ticket_id: (
                    e[1] == "chat.update" and f"Support request #{ticket_id} " in e[5] and "Claimed by" in e[5]
                ),
                k,
            )
            claim_runs.append(run)
            time.sleep(0.2)
        # A new escalation, until the customer is told their position.
        escalation_runs = []
        for k in range(plan.scale_repeats):
            user = f"UNEW{k:05d}"
            run = timed(
                lambda k, user=user: edge.dm(user, "I need a human please"),
                lambda e, user=user: e[1] == "chat.postMessage" and e[2] == f"D{user}" and "in the queue" in e[5],
                k,
            )
            match = POSITION.search(run["entry"][5])
            run["position"] = int(match.group(1)) if match else None
            run["expected_position"] = plan.scale_waiting - len(claim_runs) + k + 1
            escalation_runs.append(run)
            time.sleep(0.2)
        # Relay over the seeded connected conversations (a short run, for the effect of the data set).
        load = Load(
            [
                t
                for customer, agent, ts in connected
                for t in (
                    {"kind": "dm", "user": customer, "expect_channel": SUPPORT_CHANNEL, "expect_thread": ts},
                    {
                        "kind": "reply",
                        "user": agent,
                        "thread_ts": ts,
                        "expect_channel": f"D{customer}",
                        "expect_thread": None,
                    },
                )
            ]
        )
        relay = run_load(
            workdir,
            app,
            fake,
            load,
            f"{database[:2]}scale",
            plan.latency_rate * 2.5,
            plan.scale_relay_seconds,
            fake.process.pid,
            idle_cpu_per_s(app, 1.0),
        )
        edge.close()
        rss = tree_rss_kib(app.pid)

        def stats(runs: list[dict[str, Any]]) -> dict[str, Any]:
            warm = [r["ms"] for r in runs[1:]] or [r["ms"] for r in runs]
            return {
                "first_ms": runs[0]["ms"],
                "p50_ms": percentile(warm, 50),
                "max_ms": max(warm),
                "ack_p50_ms": percentile([r["ack_ms"] for r in runs], 50),
                "runs_ms": [round(r["ms"], 2) for r in runs],
            }

        result.update(
            queue=stats(queue_runs),
            claim=stats(claim_runs),
            escalation={
                **stats(escalation_runs),
                "positions": [r["position"] for r in escalation_runs],
                "positions_correct": all(r["position"] == r["expected_position"] for r in escalation_runs),
            },
            relay=relay,
            rss_kib=rss,
            rss_mb=round(rss["VmRSS"] / 1024, 1),
            peak_rss_mb=round(rss["VmHWM"] / 1024, 1),
        )
        return result
    finally:
        if app is not None:
            app.stop()
        fake.stop()
        if database == "postgresql":
            drop_postgres(plan.postgres_admin_url, f"{BENCH_DATABASE}_scale")


def waiting_tickets(url: str, count: int) -> list[tuple[int, str]]:
    from sqlalchemy import text

    from handoff_slack.storage.database import create_database_engine

    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, message_ts FROM ticket WHERE state = 'waiting' ORDER BY id LIMIT :n"), {"n": count}
            ).all()
            return [(int(r[0]), str(r[1])) for r in rows]
    finally:
        engine.dispose()


def connected_conversations(url: str) -> list[tuple[str, str, str]]:
    from sqlalchemy import text

    from handoff_slack.storage.database import create_database_engine

    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT c.customer_user_id, t.agent_user_id, t.message_ts FROM ticket t "
                    "JOIN conversation c ON c.id = t.conversation_id WHERE t.state = 'connected' ORDER BY t.id"
                )
            ).all()
            return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]
    finally:
        engine.dispose()
