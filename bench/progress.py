"""The lines a run prints as it goes, and the number format they share with the table."""

from __future__ import annotations

from typing import Any


def progress(text: str) -> None:
    print(text, flush=True)


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def cpu_spread(step: dict[str, Any]) -> str:
    """For a step's line, with several app processes: ", app CPU by process 3.1/2.8/0.0 s"."""
    seconds = step.get("app_cpu_s_by_process")
    return f", app CPU by process {'/'.join(f'{s:.1f}' for s in seconds)} s" if seconds else ""


def refusals(step: dict[str, Any]) -> str:
    """For a step's line: ", refused 380 (412 redeliveries, 0 still refused after 3)"; nothing if none."""
    if not step["refused"] and not step["redeliveries"]:
        return ""
    retries = len(step["retry_delays_s"] or ())
    return (
        f", refused {step['refused']} ({step['redeliveries']} redeliveries,"
        f" {step['refused_lost']} still refused after {retries})"
    )
