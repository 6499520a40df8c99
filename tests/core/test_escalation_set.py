"""The escalation detectors on the independent labelled sets of issue 20 (tests/fixtures/escalation_set).

The acceptance check is on the **held-out** half, which the detectors were not tuned on: recall of
frustrated conversations at least 0.85, and at most 10% of calm ones offered a person (for sounding
frustrated or for being stuck). The same bounds hold on the **confirmation**, **fresh** and
**unseen** sets, by eleven more writers, kept aside the same way, and the issue's target (recall 0.90,
false escalation 0.05) on all four together. The figures, with counts and 95% Wilson intervals, are printed on every
run and published in README "How frustration is detected". These tests read only aggregate figures
of the sets kept aside, never their items; `python -m bench.escalation_eval` prints the same.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bench.escalation_eval import (
    CONFIRMATION,
    DEVELOPMENT_SETS,
    FRESH,
    KEPT_ASIDE,
    LABELS,
    MORE_DEVELOPMENT,
    UNSEEN,
    Figures,
    evaluate,
    load,
    load_file,
    more_writers,
    report,
    wilson,
)
from handoff_slack.core.frustration import FrustrationDetector
from handoff_slack.core.stuck import StuckDetector

MIN_RECALL = 0.85
MAX_FALSE_ESCALATION = 0.10
MIN_STUCK_RECALL = 0.75
TARGET_RECALL = 0.90  # the issue's target, over the test's bound
TARGET_FALSE_ESCALATION = 0.05


@pytest.fixture(scope="module")
def detectors() -> tuple[FrustrationDetector, StuckDetector]:
    return FrustrationDetector(preload=True), StuckDetector()


@pytest.fixture(scope="module")
def held_out(detectors: tuple[FrustrationDetector, StuckDetector]) -> Figures:
    return evaluate(load("held_out"), *detectors)


@pytest.fixture(scope="module")
def kept_aside(detectors: tuple[FrustrationDetector, StuckDetector]) -> dict[str, Figures]:
    figures = {name: evaluate(load(name), *detectors) for name in KEPT_ASIDE}
    figures["together"] = evaluate([item for name in KEPT_ASIDE for item in load(name)], *detectors)
    return figures


@pytest.mark.parametrize("half", ["development", "held_out"])
def test_each_half_is_the_split_the_set_describes(half: str) -> None:
    items = load(half)
    labels = Counter(item.label for item in items)
    assert labels == {"frustrated": 58, "calm": 58, "stuck": 24}
    assert set(labels) <= set(LABELS)
    assert len({item.id for item in items}) == len(items)
    assert all(any(isinstance(step, str) for step in item.steps) for item in items)


@pytest.mark.parametrize(
    ("writer", "counts"),
    [(w, {"frustrated": 80, "calm": 80, "stuck": 20}) for w in "abcd"]
    + [(w, {"frustrated": 90, "calm": 90, "stuck": 20}) for w in "fghi"]
    + [(w, {"frustrated": 90, "calm": 90, "stuck": 20}) for w in "lmno"]
    + [(w, {"frustrated": 80, "calm": 80, "stuck": 20}) for w in "pqstu"]
    + [("r", {"frustrated": 79, "calm": 80, "stuck": 20})]  # r037 repeated a held-out conversation: removed
    + [(w, {"frustrated": 70, "calm": 70, "stuck": 20}) for w in ("confirmation", "fresh/j", "fresh/k")]
    + [(f"unseen/{w}", {"frustrated": 80, "calm": 80, "stuck": 20}) for w in "vwxy"]
    + [(f"unseen/{w}", {"frustrated": 70, "calm": 70, "stuck": 20}) for w in ("za", "zb", "zc", "zd")],
)
def test_each_later_writer_wrote_what_the_set_describes(writer: str, counts: dict[str, int]) -> None:
    if writer == "confirmation":
        path = CONFIRMATION
    elif writer.startswith("fresh/"):
        path = FRESH / f"{writer.removeprefix('fresh/')}.yaml"
    elif writer.startswith("unseen/"):
        path = UNSEEN / f"{writer.removeprefix('unseen/')}.yaml"
    else:
        path = MORE_DEVELOPMENT / f"{writer}.yaml"
    items = load_file(path)
    assert Counter(item.label for item in items) == counts
    assert all(any(isinstance(step, str) for step in item.steps) for item in items)


# Written by two writers word for word: a stock phrase (development d047 and one of the fresh set's).
SHARED_STOCK_PHRASES = {("This is the last time I'm asking nicely.",)}


def test_the_sets_share_no_id_and_no_conversation_longer_than_a_few_words() -> None:
    # Independent writers do write the same short message ("hi", a thumbs-up, "are you serious?") and now and
    # then the same stock phrase: such a conversation in two sets is a coincidence of usage, not a leak. Anything
    # else that a set kept aside shares would be (two development sets may share: "Not happy. Not happy at all.").
    sets = [*DEVELOPMENT_SETS, *KEPT_ASIDE]
    assert more_writers() == list("abcdfghilmnopqrstu")
    loaded = {name: load(name) for name in sets}
    ids = [item.id for items in loaded.values() for item in items]
    assert len(set(ids)) == len(ids)

    texts = {
        name: {tuple(s for s in item.steps if isinstance(s, str)) for item in items} for name, items in loaded.items()
    }
    for i, a in enumerate(sets):
        for b in sets[i + 1 :]:
            if {a, b} <= set(DEVELOPMENT_SETS):
                continue
            shared = (texts[a] & texts[b]) - SHARED_STOCK_PHRASES
            longer = sum(sum(len(text.split()) for text in conversation) > 3 for conversation in shared)
            assert longer == 0, f"{a} and {b} share {longer} conversations of more than three words"  # never print them


# The held-out half alone: recall 0.88 (51 of 58), false escalation 0.09 (5 of 58), measured after the last
# change (its sixth look: 0.48, 0.67, 0.84, 0.84, 0.88, 0.88; the last after one development item, a word-for-word
# repeat of a held-out conversation, was removed and the model retrained).
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


@pytest.mark.parametrize("name", ["confirmation", "fresh", "unseen"])
def test_the_other_sets_kept_aside_meet_the_bounds(
    kept_aside: dict[str, Figures], name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = kept_aside[name]
    with capsys.disabled():
        print("\n" + report(f"{name} (escalation_set)", figures))
    assert figures.recall.value >= MIN_RECALL, f"recall of frustrated {figures.recall}"
    assert figures.false_escalation.value <= MAX_FALSE_ESCALATION, str(figures.false_escalation)
    assert figures.stuck_recall.value >= MIN_STUCK_RECALL, f"recall of stuck {figures.stuck_recall}"


def test_every_set_kept_aside_together_meets_the_issues_target(
    kept_aside: dict[str, Figures], capsys: pytest.CaptureFixture[str]
) -> None:
    # 868 frustrated and 868 calm conversations by twelve writers, none of them tuned on.
    together = kept_aside["together"]
    with capsys.disabled():
        print("\n" + report("held_out + confirmation + fresh + unseen (escalation_set)", together))
    assert together.recall.total == 868 and together.false_escalation.total == 868
    assert together.recall.value >= TARGET_RECALL, f"recall of frustrated {together.recall}"
    assert together.false_escalation.value <= TARGET_FALSE_ESCALATION, str(together.false_escalation)


@pytest.mark.parametrize("half", ["development", "development_more"])
def test_the_development_sets_are_caught_too(detectors: tuple[FrustrationDetector, StuckDetector], half: str) -> None:
    figures = evaluate(load(half), *detectors, name_items=True)
    assert figures.recall.value >= MIN_RECALL, figures.missed
    assert figures.false_escalation.value <= MAX_FALSE_ESCALATION, figures.false_alarms


@pytest.mark.parametrize(
    ("hits", "total", "low", "high"),
    [(0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0), (52, 58, 0.7921, 0.9517), (3, 58, 0.0178, 0.1412)],
)
def test_wilson_interval(hits: int, total: int, low: float, high: float) -> None:
    found = wilson(hits, total)
    assert found == pytest.approx((low, high), abs=5e-4)
