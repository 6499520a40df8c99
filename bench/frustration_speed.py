"""How long the frustration reading takes per message, up to the bounded prefix (README "Performance").

    python -m bench.frustration_speed

Reads, with the default detector (window 3: each reading covers the message and the two before it),
conversations of messages of several lengths up to and past `READ_LIMIT` characters, as the bot does:
each turn one new message with the two before it (each message is analysed once and kept in a
bounded cache, core.frustration). Prints the median and 99th percentile per new message in
milliseconds, and a cold window of three unseen messages (a restarted process).
Also times the stuck detector's step. Single process, no database, no Slack. The machine's load average
is printed before and after: on a shared machine the p99 is mostly other processes' time.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time

from handoff_slack.core.frustration import FrustrationDetector
from handoff_slack.core.phrases import READ_LIMIT
from handoff_slack.core.stuck import StuckDetector, StuckEvent, StuckState

SAMPLE = (
    "my invoice is wrong again and nobody answers this is ridiculous please help the sync failed with "
    "ERR_TIMEOUT since yesterday could someone take a look I have explained this three times now 🙄 !!"
)
WORDS = SAMPLE.split()
LENGTHS = (40, 200, 1_000, READ_LIMIT, 40_000)
READINGS = 300


def text_of(length: int, rng: random.Random) -> str:
    out: list[str] = []
    size = 0
    while size < length:
        word = rng.choice(WORDS)
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:length]


def timed(call, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    found = []
    for i in range(rounds):
        start = time.perf_counter()
        call(i)
        found.append((time.perf_counter() - start) * 1000)
    return found


def main() -> int:
    rng = random.Random(20)
    print(f"load average {_load()} at the start")
    detector = FrustrationDetector(preload=True)
    print(f"frustration reading (window {detector.window}), {READINGS} fresh readings per length:")
    worst = 0.0
    for length in LENGTHS:
        # As the bot reads: each new message with the two before it (those were read on earlier turns).
        texts = [text_of(length, rng) + f" {i}" for i in range(READINGS + 2)]
        for i in range(2):
            detector.read(texts[: i + 1])
        times = timed(lambda i, t=texts: detector.read(t[i : i + 3]), READINGS)
        p99 = statistics.quantiles(times, n=100)[98]
        worst = max(worst, p99) if length <= READ_LIMIT else worst
        # A window of three messages none of which was read before (a restarted process).
        cold = [[text_of(length, rng) + f" cold {i}-{j}" for j in range(3)] for i in range(READINGS // 3)]
        cold_times = timed(lambda i, w=cold: detector.read(w[i]), len(cold))
        print(
            f"  {length:>6} chars: per new message median {statistics.median(times):.3f} ms, p99 {p99:.3f} ms; "
            f"cold window of 3 median {statistics.median(cold_times):.3f} ms"
        )
    stuck = StuckDetector()
    events = [StuckEvent.said(text_of(200, rng), float(i)) for i in range(READINGS)]
    state = StuckState()

    def step(i: int) -> None:
        nonlocal state
        state, _ = stuck.observe(state, events[i])

    times = timed(step, READINGS)
    print(f"stuck step (200 chars): median {statistics.median(times):.3f} ms")
    print(f"worst p99 per new message up to the bounded prefix: {worst:.3f} ms")
    print(f"load average {_load()} at the end")
    return 0


def _load() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())  # 1, 5 and 15 minutes


if __name__ == "__main__":
    sys.exit(main())
