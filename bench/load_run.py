"""One load run: the load generator (`bench.load`, a child process) at one rate for some seconds, then
the wait for the relays still arriving, and what the run measured (acks, relays, losses, CPU)."""

from __future__ import annotations

import json
import math
import resource
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import REPO, TOKEN_RE
from bench.load import end_wait
from bench.processes import clean_env, die_with_parent
from bench.resource_use import cpu_seconds, machine_cpu_times
from bench.servers import (
    AppProcess,
    FakeSlackProcess,
    Replicas,
    app_cpu_by_process,
    app_cpu_seconds,
    app_rss_mb,
    events_urls,
)
from bench.statistics import count, summary_ms

# After a run, relays are waited for while they keep arriving: an overloaded step may still be
# delivering what it deferred to the database. Only a stall or the cap ends the wait; what has
# not arrived then counts as lost.
DRAIN_STALL_S = 15.0
DRAIN_CAP_S = 600.0
HELD_ACK_P99_MS = 1000.0  # the throughput criterion: p99 ack under 1 s (and no errors or 503s, nothing lost)
REFUSED = 503  # the app's answer while its backlog is full; the load generator redelivers, like Slack


@dataclass
class Load:
    """Where the load goes: the generator's targets, each with where its relay must arrive."""

    targets: list[dict[str, Any]]


def run_load(
    workdir: Path,
    app: AppProcess | Replicas,
    fake: FakeSlackProcess,
    load: Load,
    phase: str,
    rate: float,
    seconds: float,
    fake_pid: int,
    idle_cpu_per_s: float = 0.0,
) -> dict[str, Any]:
    """One open-loop run at `rate` for `seconds`, drained, checked for lost and duplicated relays.

    `idle_cpu_per_s`: the app's CPU use when nothing happens (its scheduler, the server's loop),
    taken off the CPU per event (`app_cpu_ms_per_event_net`).
    """
    spec_path, out_path = workdir / f"load-{phase}.json", workdir / f"load-{phase}-out.json"
    spec = {
        "url": events_urls(app),
        "rate": rate,
        "duration": seconds,
        "phase": phase,
        "targets": [{k: t[k] for k in ("kind", "user", "thread_ts") if k in t} for t in load.targets],
        "max_connections": 90,
    }
    spec_path.write_text(json.dumps(spec))
    since = fake.mark()
    app_cpu, fake_cpu = app_cpu_seconds(app), cpu_seconds(fake_pid)
    by_process = app_cpu_by_process(app)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy0, total0 = machine_cpu_times()
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "bench.load", str(spec_path), str(out_path)],
        cwd=REPO,
        env=clean_env(),
        check=True,
        timeout=seconds + end_wait() + 60,  # the end waits for outstanding redeliveries
        preexec_fn=die_with_parent(),
    )
    load_wall = time.monotonic() - started
    busy1, total1 = machine_cpu_times()
    app_cpu_load = app_cpu_seconds(app) - app_cpu
    # How the load spread over the app's processes (workers share one port: the kernel hands out connections).
    by_process = {pid: seconds - by_process.get(pid, 0.0) for pid, seconds in app_cpu_by_process(app).items()}
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    generator_cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    result = json.loads(out_path.read_text())
    records = result["records"]  # one per event; r[7]: its requests, [retry_num, sent, answered, status]
    requests = [request for r in records for request in r[7]]

    ok = [r for r in records if accepted(r[6])]  # acknowledged, at the first delivery or a redelivery
    acked = {r[2]: r for r in ok}
    expected = {r[2]: load.targets[r[1]] for r in records}
    refused = sum(1 for q in requests if q[3] == REFUSED)
    redeliveries = sum(1 for q in requests if q[0] > 0)
    # Any other failed request: another status, a connection error, a timeout (and redelivered too).
    failed = sum(1 for q in requests if not accepted(q[3]) and q[3] != REFUSED)
    # Never acknowledged, even by the last redelivery: Slack gives such an event up.
    undelivered = [r for r in records if not accepted(r[6])]

    # Drain: wait until every acknowledged event's relay arrived, or nothing new came for a while.
    arrivals: dict[str, list[list[Any]]] = defaultdict(list)
    seen = since
    last_progress = time.monotonic()
    drain_started = time.monotonic()

    def index_new() -> None:
        nonlocal seen
        for entry in fake.entries[seen:]:
            if entry[1] == "chat.postMessage":
                for token in TOKEN_RE.findall(entry[5]):
                    arrivals[token].append(entry)
        seen = len(fake.entries)

    def matching(token: str) -> list[list[Any]]:
        target = expected[token]
        return [
            e
            for e in arrivals.get(token, [])
            if e[2] == target["expect_channel"] and (target["expect_thread"] is None or e[3] == target["expect_thread"])
        ]

    missing = set(acked)
    while True:
        fake.fetch()
        before = len(missing)
        index_new()
        missing = {t for t in missing if not matching(t)}
        if not missing:
            time.sleep(0.5)  # late duplicates
            fake.fetch()
            index_new()
            break
        if len(missing) < before:
            last_progress = time.monotonic()
        if time.monotonic() - last_progress > DRAIN_STALL_S or time.monotonic() - drain_started > DRAIN_CAP_S:
            break
        time.sleep(0.1)
    drain_seconds = time.monotonic() - drain_started
    busy2, total2 = machine_cpu_times()

    # The acknowledging request's own time; an event acknowledged on a redelivery counts that one.
    ack_latencies = [r[7][-1][2] - r[7][-1][1] for r in ok]
    relay: dict[str, list[float]] = {"all": [], "dm": [], "reply": [], "redelivered": []}
    lost = lost_acked = duplicated = misplaced = 0
    # Lost: never relayed where expected, after all redeliveries (acknowledged or not: a request that
    # timed out may still have been processed; one refused to the end never is).
    for record in records:
        token = record[2]
        found = matching(token)
        if not found:
            lost += 1
            lost_acked += token in acked
            continue
        if len(found) > 1:
            duplicated += 1
        if len(arrivals.get(token, [])) > len(found):
            misplaced += 1
        # From the first delivery, whichever request got it in: what the customer waits.
        latency = min(e[0] for e in found) - record[4]
        if math.isnan(latency):
            continue
        relay["all"].append(latency)
        relay[expected[token]["kind"]].append(latency)
        if len(record[7]) > 1:
            relay["redelivered"].append(latency)
    sent_times = [r[4] for r in records if not math.isnan(r[4])]
    achieved = (len(sent_times) - 1) / (max(sent_times) - min(sent_times)) if len(sent_times) > 1 else 0.0
    ack = summary_ms(ack_latencies)
    all_relays = summary_ms(relay["all"])
    held = (
        failed == 0
        and refused == 0
        and lost == 0
        and duplicated == 0
        and misplaced == 0
        and ack["p99"] is not None
        and ack["p99"] < HELD_ACK_P99_MS
        and achieved >= 0.97 * rate
    )
    return {
        "phase": phase,
        "rate": rate,
        "seconds": seconds,
        "events": len(records),
        "acked": len(ok),
        "acked_first_time": sum(1 for r in ok if len(r[7]) == 1),
        "requests": len(requests),
        "errors": failed,
        "error_kinds": result["errors"],
        "refused": refused,
        "redeliveries": redeliveries,
        "redelivered_events": sum(1 for r in records if len(r[7]) > 1),
        "undelivered": len(undelivered),
        "refused_lost": sum(1 for r in undelivered if r[6] == REFUSED),
        "retry_delays_s": result.get("retry_delays"),
        "unfinished": result.get("unfinished", 0),
        "statuses": count(r[6] for r in records),
        "request_statuses": count(q[3] for q in requests),
        "achieved_rate": round(achieved, 1),
        "generator_most_behind_s": round(result["most_behind_schedule"], 3),
        "connections": result["most_connections"],
        "redelivery_connections": result.get("most_redelivery_connections", 0),
        "ack_ms": ack,
        "relay_ms": all_relays,
        "relay_dm_ms": summary_ms(relay["dm"]),
        "relay_reply_ms": summary_ms(relay["reply"]),
        "relay_redelivered_ms": summary_ms(relay["redelivered"]),
        "lost": lost,
        "lost_acked": lost_acked,
        "duplicated": duplicated,
        "misplaced": misplaced,
        "drain_s": round(drain_seconds, 2),
        "app_cpu_ms_per_event": round(1000 * app_cpu_load / max(1, len(records)), 3),
        "app_cpu_ms_per_event_incl_drain": round(1000 * (app_cpu_seconds(app) - app_cpu) / max(1, len(records)), 3),
        "app_cpu_ms_per_event_net": round(
            1000
            * (app_cpu_seconds(app) - app_cpu - idle_cpu_per_s * (time.monotonic() - started))
            / max(1, len(records)),
            3,
        ),
        "fake_cpu_ms_per_event": round(1000 * (cpu_seconds(fake_pid) - fake_cpu) / max(1, len(records)), 3),
        "generator_cpu_ms_per_event": round(1000 * generator_cpu / max(1, len(records)), 3),
        "machine_busy_during_load": round((busy1 - busy0) / max(1, total1 - total0), 3),
        "machine_busy_incl_drain": round((busy2 - busy0) / max(1, total2 - total0), 3),
        "load_wall_s": round(load_wall, 2),
        "app_rss_after_mb": app_rss_mb(app),
        "app_cpu_s_by_process": sorted((round(seconds, 2) for seconds in by_process.values()), reverse=True)
        if len(by_process) > 1
        else None,
        "held": held,
    }


def accepted(status: int) -> bool:
    return 200 <= status < 300  # what Slack takes for a delivered event


def target_load_runs(target: dict[str, Any]) -> list[dict[str, Any]]:
    """Every load run in a target's result: the latency run, the throughput steps, the queue scale's."""
    runs = [
        target.get("latency"),
        *((target.get("throughput") or {}).get("steps") or []),
        (target.get("scale") or {}).get("relay"),
    ]
    return [r for r in runs if r]
