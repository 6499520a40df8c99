"""The escalation detectors on the independent labelled set of issue 20 (tests/fixtures/escalation_set).

The acceptance check is on the **held-out** half, which the detectors were not tuned on: recall of
frustrated conversations at least 0.85, and at most 10% of calm ones offered a person (for sounding
frustrated or for being stuck). The figures, with counts and 95% Wilson intervals, are printed on
every run and published in README "How frustration is detected". This test reads only aggregate
figures of the held-out half, never its items; `python -m bench.escalation_eval` prints the same.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bench.escalation_eval import LABELS, Figures, evaluate, load, report, wilson
from handoff_slack.core.frustration import FrustrationDetector
from handoff_slack.core.stuck import StuckDetector

MIN_RECALL = 0.85
MAX_FALSE_ESCALATION = 0.10
MIN_STUCK_RECALL = 0.75


@pytest.fixture(scope="module")
def detectors() -> tuple[FrustrationDetector, StuckDetector]:
    return FrustrationDetector(preload=True), StuckDetector()


@pytest.fixture(scope="module")
def held_out(detectors: tuple[FrustrationDetector, StuckDetector]) -> Figures:
    return evaluate(load("held_out"), *detectors)


@pytest.mark.parametrize("half", ["development", "held_out"])
def test_each_half_is_the_split_the_set_describes(half: str) -> None:
    items = load(half)
    labels = Counter(item.label for item in items)
    assert labels == {"frustrated": 58, "calm": 58, "stuck": 24}
    assert set(labels) <= set(LABELS)
    assert len({item.id for item in items}) == len(items)
    assert all(any(isinstance(step, str) for step in item.steps) for item in items)


def test_the_halves_share_no_conversation() -> None:
    def texts(half: str) -> set[tuple[str, ...]]:
        return {tuple(s for s in item.steps if isinstance(s, str)) for item in load(half)}

    assert not texts("development") & texts("held_out")


# Issue 20 stays open on this: the detector's held-out recall is 0.67 (39 of 58), under the bound.
# Marked strict, so the day a change lifts recall over 0.85 this fails until the mark is removed.
@pytest.mark.xfail(strict=True, reason="held-out recall of frustrated is 0.67, under 0.85 (issue 20 open)")
def test_held_out_recall_of_frustrated(held_out: Figures, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():  # the figures the README publishes, visible with or without -s
        print("\n" + report("held_out (escalation_set)", held_out))
    assert held_out.recall.total == 58
    assert held_out.recall.value >= MIN_RECALL, f"recall of frustrated {held_out.recall}"


def test_held_out_false_escalation_on_calm(held_out: Figures) -> None:
    assert held_out.false_escalation.total == 58
    assert held_out.false_escalation.value <= MAX_FALSE_ESCALATION, f"false escalation {held_out.false_escalation}"


def test_held_out_stuck_figures(held_out: Figures) -> None:
    assert held_out.stuck_recall.total == 24
    assert held_out.stuck_recall.value >= MIN_STUCK_RECALL, f"recall of stuck {held_out.stuck_recall}"
    assert held_out.calm_stuck.value <= MAX_FALSE_ESCALATION, f"stuck false alarms on calm {held_out.calm_stuck}"


def test_the_development_half_is_caught_too(detectors: tuple[FrustrationDetector, StuckDetector]) -> None:
    figures = evaluate(load("development"), *detectors, name_items=True)
    assert figures.recall.value >= MIN_RECALL, figures.missed
    assert figures.false_escalation.value <= MAX_FALSE_ESCALATION, figures.false_alarms


@pytest.mark.parametrize(
    ("hits", "total", "low", "high"),
    [(0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0), (52, 58, 0.7921, 0.9517), (3, 58, 0.0178, 0.1412)],
)
def test_wilson_interval(hits: int, total: int, low: float, high: float) -> None:
    found = wilson(hits, total)
    assert found == pytest.approx((low, high), abs=5e-4)
