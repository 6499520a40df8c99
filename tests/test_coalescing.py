"""Coalesced work (handoff_slack.concurrency.Coalescing): one run per key, later calls ride on it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from handoff_slack.concurrency import Coalescing
from tests.support.waiting import wait_until


class BlockingWork:
    """Counts its rounds; the first round waits until released."""

    def __init__(self) -> None:
        self.rounds = 0
        self.started = threading.Event()
        self.release = threading.Event()
        self.fail_first = False

    def __call__(self) -> int:
        self.rounds += 1
        if self.rounds == 1:
            self.started.set()
            assert self.release.wait(10)
            if self.fail_first:
                raise RuntimeError("the first round failed")
        return self.rounds


def test_calls_made_while_it_runs_return_at_once_and_it_goes_round_once_more() -> None:
    coalescing, work = Coalescing(), BlockingWork()
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(coalescing.run, "conversation 1", work)
        assert work.started.wait(10)
        # However many arrive meanwhile: each returns at once, and one more round covers them all.
        assert [coalescing.run("conversation 1", work) for _ in range(5)] == [None] * 5
        work.release.set()
        assert first.result(10) == 2
    assert work.rounds == 2
    assert coalescing.run("conversation 1", work) == 3  # idle again: a call runs itself


def test_other_keys_run_meanwhile() -> None:
    coalescing, work = Coalescing(), BlockingWork()
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(coalescing.run, 1, work)
        assert work.started.wait(10)
        assert coalescing.run(2, lambda: "other") == "other"
        work.release.set()
        assert first.result(10) == 1  # nobody asked for key 1 again: one round


@pytest.mark.parametrize("taken_over", [0, 1])
def test_after_a_failure_the_next_call_runs_itself(taken_over: int) -> None:
    coalescing, work = Coalescing(), BlockingWork()
    work.fail_first = True
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(coalescing.run, "all", work)
        assert work.started.wait(10)
        for _ in range(taken_over):
            assert coalescing.run("all", work) is None
        work.release.set()
        with pytest.raises(RuntimeError):
            first.result(10)
    assert coalescing.run("all", work) == 2  # not left marked as running


def test_a_call_arriving_as_the_last_round_ends_is_never_dropped() -> None:
    # Many threads hammer one key while the work counts; every call either runs a round that
    # starts after it, or is taken over by one: the last round starts after the last call.
    coalescing = Coalescing()
    calls_made, rounds_started = [0], []
    lock = threading.Lock()

    def work() -> None:
        with lock:
            rounds_started.append(calls_made[0])

    def call() -> None:
        with lock:
            calls_made[0] += 1
        coalescing.run("key", work)

    with ThreadPoolExecutor(8) as pool:
        for future in [pool.submit(call) for _ in range(2000)]:
            future.result(10)
    wait_until(lambda: rounds_started and rounds_started[-1] == 2000, message="a round after the last call")
