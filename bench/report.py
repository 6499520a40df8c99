"""The report: the table (Markdown) with a column per target and its ratios to bare Bolt, and the
verdicts on the issue's targets."""

from __future__ import annotations

from typing import Any

from bench.load_run import target_load_runs
from bench.progress import fmt

# Targets from the issue.
TARGET_RELAY_RATIO = 1.25
TARGET_ACK_P99_AT_200_MS = 100.0
TARGET_QUEUE_MS = 150.0
TARGET_CLAIM_MS = 150.0
TARGET_RSS_MB = 150.0
TARGET_ROUTING_MS = 20.0  # a routing decision (offer chosen and stored), 10,000 waiting and 200 agents
STRATEGIES = {"least_busy": "least busy", "round_robin": "round robin"}


def _get(data: dict[str, Any] | None, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _label(key: str, target: dict[str, Any]) -> str:
    """A target's short name: in the ratio columns' headers and the verdicts."""
    if key == "postgresql_workers":
        return f"PostgreSQL, {target.get('workers')} workers"
    names = {
        "sqlite": "SQLite",
        "postgresql": "PostgreSQL",
        "floor": "durable insert",
        "baseline": "bare Bolt",
        "baseline_async": "AsyncApp",
    }
    return names.get(key, key)


def _header(key: str, target: dict[str, Any]) -> str:
    if key == "baseline":
        return "bare Bolt"
    if key == "floor":
        return "bare Bolt + durable SQLite insert"
    if key == "baseline_async":
        return "bare Bolt, AsyncApp on aiohttp"
    if key == "postgresql_workers":
        return _label(key, target)  # short: the column is next to handoff-slack's PostgreSQL one
    return f"handoff-slack, {_label(key, target)}"


def report(results: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The table (Markdown) and the targets with their verdicts."""
    targets = results["targets"]
    base = targets.get("baseline")
    # handoff-slack's columns; the order they ran in (the databases', each with its workers after it)
    baselines = ("baseline", "baseline_async", "floor")
    dbs = [k for k in targets if k not in baselines]
    columns = [k for k in baselines if k in targets] + dbs
    ratios = [c for c in columns if c != "baseline"] if base else []  # each divided by bare Bolt
    header = (
        "| Measure | "
        + " | ".join(_header(c, targets[c]) for c in columns)
        + "".join(f" | {_label(c, targets[c])} / bare Bolt" for c in ratios)
        + " |"
    )
    lines = [header, "|" + " --- |" * (1 + len(columns) + len(ratios))]
    rate = results["plan"]["latency_rate"]

    def row(label: str, path: tuple[str, ...], ratio: bool = True, digits: int = 1, suffix: str = "") -> None:
        values = [_get(targets[c], *path) for c in columns]
        if all(v is None for v in values):
            return
        cells = [v if isinstance(v, str) else fmt(v, digits) + suffix if v is not None else "-" for v in values]
        if base:
            b = _get(base, *path)
            for d in ratios:
                v = _get(targets[d], *path)
                cells.append(f"{v / b:.2f}x" if ratio and v is not None and b else "")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    for p in ("p50", "p95", "p99"):
        row(f"Ack latency {p} at {rate:.0f} ev/s (ms)", ("latency", "ack_ms", p), digits=2)
    for p in ("p50", "p95", "p99"):
        row(f"Relay latency {p} at {rate:.0f} ev/s (ms)", ("latency", "relay_ms", p), digits=2)
    row("… customer DM → ticket thread, p50 (ms)", ("latency", "relay_dm_ms", "p50"), digits=2)
    row("… agent reply → customer DM, p50 (ms)", ("latency", "relay_reply_ms", "p50"), digits=2)
    row("App CPU per event (ms)", ("latency", "app_cpu_ms_per_event_net"), digits=2)
    row(
        "Throughput: highest rate held 30 s (ev/s)"
        if not results["plan"]["quick"]
        else "Throughput: highest rate held (ev/s, quick)",
        ("throughput", "highest_held"),
        digits=0,
    )
    row(
        "… and with relay p99 also under 1 s (ev/s)",
        ("throughput", "highest_held_relay_p99_under_1s"),
        digits=0,
    )
    row("Ack p99 at 200 ev/s (ms)", ("throughput", "at_200", "ack_ms", "p99"), digits=1)
    row("Relay p99 at 200 ev/s (ms)", ("throughput", "at_200", "relay_ms", "p99"), digits=1)
    row("App CPU per event at 200 ev/s (ms)", ("throughput", "at_200", "app_cpu_ms_per_event_net"), digits=2)
    row("RSS after the load runs (MB)", ("rss_end_mb",), digits=1)
    row("/handoff-queue, 10,000 waiting (ms)", ("scale", "queue", "p50_ms"), ratio=False)
    row("Claim, 10,000 waiting (ms)", ("scale", "claim", "p50_ms"), ratio=False)
    row("New escalation incl. position (ms)", ("scale", "escalation", "p50_ms"), ratio=False)
    row(
        "Relay p50 over the 1,000 seeded conversations (ms)",
        ("scale", "relay", "relay_ms", "p50"),
        ratio=False,
        digits=2,
    )
    row("RSS with 10,000 + 1,000 (MB)", ("scale", "rss_mb"), ratio=False)
    for strategy, name in STRATEGIES.items():
        # One offer: from a pass's start (an agent with room again) to the offer stored; a burst:
        # each offering transaction of the passes after start-up (bench.routing_decisions).
        row(
            f"Routing, {name}: one offer, p50 / p95 / max (ms)",
            ("routing", strategy, "one_offer", "to_stored", "spread"),
            ratio=False,
        )
        row(
            f"Routing, {name}: per decision in a burst, p50 / p95 / max (ms)",
            ("routing", strategy, "burst", "decision", "spread"),
            ratio=False,
        )
    row("Events lost / duplicated (all runs)", ("lost_total",), ratio=False, digits=0)
    row("Requests refused with 503 / redeliveries (all runs)", ("refused_total",), ratio=False, digits=0)
    table = "\n".join(lines)

    verdicts = []
    for d in dbs:
        t = targets[d]
        label = _label(d, t)
        relay = _get(t, "latency", "relay_ms", "p50")
        base_relay = _get(base, "latency", "relay_ms", "p50") if base else None
        if relay is not None and base_relay:
            verdicts.append(
                _verdict(
                    f"{label}: relay p50 within {TARGET_RELAY_RATIO}x of bare Bolt",
                    relay / base_relay,
                    TARGET_RELAY_RATIO,
                    "x",
                )
            )
        ack200 = _get(t, "throughput", "at_200", "ack_ms", "p99")
        if _get(t, "throughput") is not None:
            verdicts.append(
                _verdict(
                    f"{label}: p99 ack at 200 ev/s under {TARGET_ACK_P99_AT_200_MS:.0f} ms",
                    ack200,
                    TARGET_ACK_P99_AT_200_MS,
                    " ms",
                )
            )
        for key, what, limit in (("queue", "/handoff-queue", TARGET_QUEUE_MS), ("claim", "a claim", TARGET_CLAIM_MS)):
            value = _get(t, "scale", key, "p50_ms")
            if value is not None:
                verdicts.append(
                    _verdict(f"{label}: {what} with 10,000 waiting under {limit:.0f} ms", value, limit, " ms")
                )
        rss = _get(t, "scale", "rss_mb")
        if rss is not None:
            verdicts.append(
                _verdict(f"{label}: RSS with 10,000 + 1,000 under {TARGET_RSS_MB:.0f} MB", rss, TARGET_RSS_MB, " MB")
            )
        for strategy, name in STRATEGIES.items():
            value = _get(t, "routing", strategy, "one_offer", "to_stored", "p50_ms")
            if value is not None:
                verdicts.append(
                    _verdict(
                        f"{label}: a routing decision ({name}) with 10,000 waiting and 200 agents under"
                        f" {TARGET_ROUTING_MS:.0f} ms",
                        value,
                        TARGET_ROUTING_MS,
                        " ms",
                    )
                )
        positions = _get(t, "scale", "escalation", "positions_correct")
        if positions is not None:
            verdicts.append(
                {"target": f"{label}: escalation positions correct", "value": positions, "met": bool(positions)}
            )
    for c in columns:
        lost = targets[c].get("lost_total")
        if lost is None:  # no load run: nothing sent
            continue
        verdicts.append({"target": f"{c}: no event lost or duplicated", "value": lost, "met": lost == "0 / 0"})
    return table, verdicts


def _verdict(label: str, value: float | None, limit: float, unit: str) -> dict[str, Any]:
    return {
        "target": label,
        "value": None if value is None else round(value, 2),
        "limit": limit,
        "unit": unit.strip(),
        "met": value is not None and value < limit if unit.strip() != "x" else value is not None and value <= limit,
    }


def lost_total(target: dict[str, Any]) -> str | None:
    """Lost / duplicated over the target's load runs; None when it ran none (e.g. only routing)."""
    runs = target_load_runs(target)
    if not runs:
        return None
    return f"{sum(r['lost'] for r in runs)} / {sum(r['duplicated'] for r in runs)}"


def refused_total(target: dict[str, Any]) -> str | None:
    runs = target_load_runs(target)
    if not runs:
        return None
    return f"{sum(r.get('refused', 0) for r in runs)} / {sum(r.get('redeliveries', 0) for r in runs)}"
