"""How long the frustration reading takes per message, up to the bounded prefix (README "Performance").

    python -m bench.frustration_speed            # the bench's text, then dense real text
    python -m bench.frustration_speed --dense    # dense real text only

Reads, with the default detector (window 3: each reading covers the message and the two before it),
conversations of messages of several lengths up to and past `READ_LIMIT` characters, as the bot does:
each turn one new message with the two before it (each message is analysed once and kept in a
bounded cache, core.frustration). Prints the median and 99th percentile per new message in
milliseconds, and a cold window of three unseen messages (a restarted process).
Also times the stuck detector's step. Single process, no database, no Slack. The machine's load average
is printed before and after: on a shared machine the p99 is mostly other processes' time.

The bench's text repeats a few dozen words, which the reading's word caches soon hold. Dense real text
does not: the customers' messages of the labelled development conversations
(tests/fixtures/escalation_set/development_more), shuffled with a fixed seed and joined into texts of 200
and 2,000 characters, each read once as the next turn of one conversation. Each shuffle (three seeds:
about 600 texts of 2,000 characters) is read in a fresh process, so every word is new to the caches the
first time it comes, as in a process that just started (the shuffles hold the same words: read in one
process, each would warm the next).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import yaml

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
DENSE_SOURCE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "escalation_set" / "development_more"
DENSE_LENGTHS = (200, READ_LIMIT)
DENSE_SEEDS = (20, 21, 22)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dense", action="store_true", help="only the dense real text")
    dense_only = parser.parse_args(argv).dense
    print(f"load average {_load()} at the start")
    if not dense_only:
        bench_text()
    dense_text()
    print(f"load average {_load()} at the end")
    return 0


def bench_text() -> None:
    rng = random.Random(20)
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


def dense_texts(length: int, seed: int = DENSE_SEEDS[0]) -> list[str]:
    """The labelled customers' messages, shuffled, joined by spaces into texts of `length` characters: each
    message used once (what is past a text's length is dropped), ~400,000 characters in all."""
    messages = [
        message
        for path in sorted(DENSE_SOURCE.glob("*.yaml"))
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))
        for message in item["messages"]
        if isinstance(message, str)  # the conversations hold events and pauses too
    ]
    random.Random(seed).shuffle(messages)
    texts: list[str] = []
    taken: list[str] = []
    for message in messages:
        taken.append(message)
        joined = " ".join(taken)
        if len(joined) >= length:
            texts.append(joined[:length])
            taken = []
    return texts


def dense_times(length: int, seed: int) -> list[float]:
    """In a fresh process: each dense text read once, as the newest of a window of 3 (the two before it
    read on the turns before)."""
    detector = FrustrationDetector(preload=True)
    texts = dense_texts(length, seed)[: READINGS + 2]
    for i in range(2):
        detector.read(texts[: i + 1])
    return timed(lambda i: detector.read(texts[i : i + 3]), len(texts) - 2)


def dense_text() -> None:
    seeds = ", ".join(map(str, DENSE_SEEDS))
    print(f"dense real text (the labelled messages, shuffled with seeds {seeds}), a fresh process per shuffle:")
    for length in DENSE_LENGTHS:
        times: list[float] = []
        for seed in DENSE_SEEDS:
            # "spawn": a new interpreter, none of this one's caches (fork would copy them), for each.
            with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
                times += pool.submit(dense_times, length, seed).result()
        p99 = statistics.quantiles(times, n=100)[98]
        print(
            f"  {length:>6} chars: {len(times)} new messages, per new message median "
            f"{statistics.median(times):.3f} ms, p99 {p99:.3f} ms"
        )


def _load() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())  # 1, 5 and 15 minutes


if __name__ == "__main__":
    sys.exit(main())
