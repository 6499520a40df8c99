"""What processes and the machine use, read from /proc: CPU time, resident memory, process trees."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def rss_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in KiB."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (e.g. the app's workers with HANDOFF_WORKERS), from /proc."""
    pids, index = [pid], 0
    while index < len(pids):
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pids[index]}/task").iterdir():
                pids += [int(child) for child in (task / "children").read_text().split()]
        index += 1
    return pids


def tree_rss_kib(pid: int) -> dict[str, int]:
    """`rss_kib` of the largest process in `pid`'s tree: one worker, when the app runs several."""
    sizes = []
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            sizes.append(rss_kib(member))
    return max(sizes, key=lambda size: size.get("VmRSS", 0))


def tree_cpu_seconds(pid: int) -> float:
    """`cpu_seconds` summed over `pid` and its descendants (workers)."""
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            total += cpu_seconds(member)
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def machine_cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    return total - idle, total
