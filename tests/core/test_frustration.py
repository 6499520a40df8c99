"""Frustration detection: each signal on its own, and the default rule measured on a labelled set.

The labelled set (tests/fixtures/frustration_conversations.yaml) is the acceptance check from the
issue: recall of frustrated conversations must stay at or above 0.85, and at most 10% of plain
problem reports may be escalated. The figures are printed on every run (and published in README).
"""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff_slack.core.bot_config import FrustrationConfig
from handoff_slack.core.frustration import FrustrationDetector, FrustrationReading, learned_features
from handoff_slack.core.frustration_model import FrustrationModel, shipped_model
from handoff_slack.core.near_duplicates import longest_common_subsequence
from handoff_slack.core.phrases import READ_LIMIT

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "frustration_conversations.yaml"
MIN_RECALL = 0.85
MAX_FALSE_ESCALATION = 0.10


@pytest.fixture(scope="module")
def detector() -> FrustrationDetector:
    return FrustrationDetector(preload=True)  # TextBlob loads once per process (and here, not mid-test)


def load_items() -> list[dict]:
    return yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------- the labelled set


def test_the_labelled_set_is_big_and_varied_enough() -> None:
    items = load_items()
    labels = Counter(item["label"] for item in items)
    assert len(items) >= 60
    assert labels["frustrated"] >= 25
    assert labels["plain_problem"] >= 25
    assert labels["neutral"] >= 1
    assert set(labels) == {"frustrated", "plain_problem", "neutral"}
    assert len({item["id"] for item in items}) == len(items)
    assert all(item["messages"] and all(isinstance(m, str) and m for m in item["messages"]) for item in items)
    lengths = Counter(len(item["messages"]) for item in items)
    assert lengths[1] and sum(n for size, n in lengths.items() if size >= 2)  # singles and conversations


@dataclass(frozen=True)
class Measurement:
    precision: float
    recall: float
    false_escalation: float  # share of plain problem reports flagged as frustrated
    neutral_flagged: int
    missed: tuple[str, ...]
    false_alarms: tuple[str, ...]
    counts: Counter


def measure(detector: FrustrationDetector) -> Measurement:
    counts: Counter = Counter()
    missed: list[str] = []
    false_alarms: list[str] = []
    for item in load_items():
        label = item["label"]
        flagged = detector.read(item["messages"]).frustrated
        counts[label] += 1
        counts[(label, flagged)] += 1
        if label == "frustrated" and not flagged:
            missed.append(item["id"])
        elif label != "frustrated" and flagged:
            false_alarms.append(item["id"])
    true_positives = counts[("frustrated", True)]
    flagged_total = true_positives + counts[("plain_problem", True)] + counts[("neutral", True)]
    return Measurement(
        precision=true_positives / flagged_total if flagged_total else 1.0,
        recall=true_positives / counts["frustrated"],
        false_escalation=counts[("plain_problem", True)] / counts["plain_problem"],
        neutral_flagged=counts[("neutral", True)],
        missed=tuple(missed),
        false_alarms=tuple(false_alarms),
        counts=counts,
    )


def test_default_rule_on_the_labelled_set(detector: FrustrationDetector, capsys: pytest.CaptureFixture[str]) -> None:
    m = measure(detector)
    with capsys.disabled():  # the figures the README publishes, visible with or without -s
        print(
            f"\nfrustration rule (window={detector.window}, threshold={detector.threshold}) on {FIXTURE.name}: "
            f"{m.counts['frustrated']} frustrated, {m.counts['plain_problem']} plain problems, "
            f"{m.counts['neutral']} neutral\n"
            f"  precision {m.precision:.2f}  recall {m.recall:.2f}  "
            f"false escalation on plain problems {m.false_escalation:.2f}  neutral flagged {m.neutral_flagged}\n"
            f"  missed: {', '.join(m.missed) or '-'}\n"
            f"  false alarms: {', '.join(m.false_alarms) or '-'}"
        )
    assert m.recall >= MIN_RECALL, f"recall {m.recall:.2f} < {MIN_RECALL}; missed {m.missed}"
    assert m.false_escalation <= MAX_FALSE_ESCALATION, (
        f"false escalation {m.false_escalation:.2f} > {MAX_FALSE_ESCALATION}; {m.false_alarms}"
    )


def test_detector_defaults_match_the_bot_config_defaults() -> None:
    config = FrustrationConfig()
    detector = FrustrationDetector()
    assert (detector.window, detector.threshold) == (config.window, config.threshold)


# ---------------------------------------------------------------------------- plain problems


def test_my_printer_is_broken_is_not_frustration(detector: FrustrationDetector) -> None:
    # A bad thing reported: mildly negative, and the learned model only agrees it might be (the two together stay
    # under the threshold).
    reading = detector.read(["my printer is broken"])
    assert reading == FrustrationReading(score=0.32, frustrated=False, signals=("negative", "learned"))


@pytest.mark.parametrize(
    "text",
    [
        "the invoice is wrong",
        "the wifi in meeting room B is terrible",  # TextBlob: -1.0, the most negative a message gets
        "Horrible lag on the VPN since the update",
        "Unfortunately the package arrived damaged",
        "email sync is broken on my phone :(",
    ],
)
def test_one_negative_plain_report_stays_under_the_threshold(detector: FrustrationDetector, text: str) -> None:
    reading = detector.read([text])
    assert reading.signals == ("negative",)
    assert 0 < reading.score <= 0.3
    assert not reading.frustrated


def test_two_negative_reports_are_not_yet_a_trend_that_escalates(detector: FrustrationDetector) -> None:
    reading = detector.read(["my printer is broken", "the invoice is wrong"])
    assert "negative_trend" in reading.signals
    assert not reading.frustrated


# ---------------------------------------------------------------------------- each signal


def test_sustained_negative_trend_escalates(detector: FrustrationDetector) -> None:
    reading = detector.read(
        [
            "the new update is awful, nothing loads",
            "and now the reports are wrong as well",
            "this is really bad, we're losing sales because of it",
        ]
    )
    assert {"negative", "negative_trend"} <= set(reading.signals)  # the learned signal agrees
    assert reading.frustrated


def test_shouting_escalates(detector: FrustrationDetector) -> None:
    reading = detector.read(["WHY IS THE DASHBOARD DOWN AGAIN"])
    assert "all_caps" in reading.signals
    assert reading.frustrated


def test_one_emphasised_word_counts_but_does_not_escalate_alone() -> None:
    # The named signal alone (with the learned model, which reads "NEVER finished" as leaning frustrated, it does).
    rules_only = FrustrationDetector(model=FrustrationModel(bias=0.0, weights={}, threshold=1.0, strong_threshold=1.0))
    reading = rules_only.read(["the export is NEVER finished"])
    assert reading.signals == ("all_caps",)
    assert reading.score == 0.3


@pytest.mark.parametrize("text", ["our SSO and VPN are down", "the VAT on the invoice", "OK", "CSV export fails", "HI"])
def test_acronyms_and_short_capitals_are_not_shouting(detector: FrustrationDetector, text: str) -> None:
    assert "all_caps" not in detector.read([text]).signals


@pytest.mark.parametrize("text", ["hello??? anyone there???", "you charged me twice!!!", "Seriously?! Again"])
def test_strong_punctuation_escalates(detector: FrustrationDetector, text: str) -> None:
    reading = detector.read([text])
    assert "exclamations" in reading.signals
    assert reading.frustrated


def test_double_punctuation_counts_but_does_not_escalate_alone(detector: FrustrationDetector) -> None:
    assert detector.read(["where is my order??"]) == FrustrationReading(0.3, False, ("exclamations",))


@pytest.mark.parametrize("text", ["thank you so much!!!", "Great, that worked!!"])
def test_enthusiastic_punctuation_is_not_frustration(detector: FrustrationDetector, text: str) -> None:
    reading = detector.read([text])
    assert "exclamations" not in reading.signals
    assert not reading.frustrated


def test_repeating_a_message_escalates(detector: FrustrationDetector) -> None:
    reading = detector.read(["where is my refund", "Where is my refund?"])
    assert reading.signals == ("repeated",)
    assert reading.frustrated


def test_the_learned_model_overrules_the_named_signals_when_it_reads_no_frustration(
    detector: FrustrationDetector,
) -> None:
    # Asking the same question twice, or "??" after a request for a person, is enough for the named signals; the
    # model, trained on many writers' conversations, reads a plain question (on writers the named signals were not
    # tuned on, most of their false alarms were such). A repeated question is the stuck signal's (core.stuck).
    model = shipped_model()
    for messages in (["how do I get a refund", "How do I get a refund?"], ["can I talk to an agent??"]):
        reading = detector.read(messages)
        assert reading.score >= detector.threshold and not reading.frustrated
        assert model.probability_of([learned_features(m) for m in messages]) < model.named_threshold


def test_a_model_that_never_overrules_leaves_the_named_signals_alone() -> None:
    # named_threshold 0 (a model file from before it existed): the named signals decide as they did.
    shipped = shipped_model()
    lenient = FrustrationModel(shipped.bias, shipped.weights, shipped.threshold, shipped.strong_threshold)
    assert lenient.named_threshold == 0.0
    assert FrustrationDetector(model=lenient).read(["how do I get a refund", "How do I get a refund?"]).frustrated


def test_repeats_are_compared_after_markup_and_punctuation_are_dropped(detector: FrustrationDetector) -> None:
    assert "repeated" in detector.read(["<@U0BOT> can't log in", "cant log in!"]).signals


def test_repeated_one_word_answers_are_not_repetition(detector: FrustrationDetector) -> None:
    assert detector.read(["yes", "yes"]).signals == ()


def test_different_messages_are_not_repetition(detector: FrustrationDetector) -> None:
    assert "repeated" not in detector.read(["my order hasn't arrived", "it was order 48213"]).signals


def test_asking_for_a_person_alone_stays_under_the_threshold(detector: FrustrationDetector) -> None:
    assert detector.read(["can I talk to an agent"]) == FrustrationReading(0.2, False, ("asks_for_person",))


def test_asking_for_a_person_with_another_signal_escalates(detector: FrustrationDetector) -> None:
    reading = detector.read(["can I talk to an agent?? nobody replied"])
    assert {"exclamations", "asks_for_person"} <= set(reading.signals)
    assert reading.frustrated


def test_asking_for_a_person_with_strong_negativity_escalates(detector: FrustrationDetector) -> None:
    reading = detector.read(["this is terrible, get me an agent"])  # TextBlob: -1.0
    assert reading.signals[:2] == ("negative", "asks_for_person")
    assert reading.frustrated


def test_asking_for_a_person_about_a_plain_problem_does_not(detector: FrustrationDetector) -> None:
    reading = detector.read(["my bill looks wrong, can I talk to an agent please"])  # TextBlob: -0.5
    assert reading == FrustrationReading(0.35, False, ("negative", "asks_for_person"))


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("this is ridiculous", "judges_service"),
        ("useless", "judges_service"),
        ("what a waste of time", "judges_service"),
        ("Unacceptable.", "judges_service"),
        ("you people are incompetent", "judges_service"),
        ("i'm fed up", "named_feeling"),
        ("honestly this is getting frustrating", "named_feeling"),
        ("this is driving me nuts", "named_feeling"),
        ("I'm really annoyed", "named_feeling"),
        ("Not happy. Not happy at all.", "named_feeling"),
        ("for the third time, my password doesn't reset", "not_heard"),
        ("are you even listening", "not_heard"),
        ("I already told you my order number", "not_heard"),
        ("I have explained this three times now.", "not_heard"),
        ("nobody is helping me", "nobody_answers"),
        ("Is anyone even reading these?", "nobody_answers"),
        ("nvm, i'll figure it out myself", "giving_up"),
        ("Fix this today or you'll be hearing from our lawyer", "giving_up"),
        ("I want to speak to a manager", "wants_manager"),
        ("Can I get someone who actually knows the product?", "wants_manager"),
        ("great, another bot", "sarcasm"),
        ("sure, that will work lol ok", "sarcasm"),
        ("charged twice 😡", "angry_emoji"),
        (":rage:", "angry_emoji"),
        ("wtf", "swearing"),
        ("what a f***ing mess", "swearing"),
        ("are you serious?", "impatience"),
        ("Do not send me another link to the help center.", "impatience"),
        ("That's not acceptable.", "judges_service"),
        ("You charged us in USD. Who thought that was ok?", "judges_service"),
        ("what exactly am I paying for", "judges_service"),
        ("I regret recommending you to my team", "judges_service"),
        ("never ordering from you again", "giving_up"),
        ("cheers for nothing", "judges_service"),
        # The named signal fires, but the learned model reads 0.25, under its named_threshold, and overrules it: the
        # price of the overrule, which on writers the signals were not tuned on removes more false alarms than misses.
        pytest.param(
            "i swear to god if one more email says it's on its way",
            "impatience",
            marks=pytest.mark.xfail(strict=True, reason="overruled by the learned model"),
        ),
    ],
)
def test_each_kind_of_frustrated_saying_escalates_alone(detector: FrustrationDetector, text: str, signal: str) -> None:
    reading = detector.read([text])
    assert signal in reading.signals
    assert reading.frustrated


@pytest.mark.parametrize(
    "text",
    [
        "I'm using the annual plan",
        "the third floor printer",
        "nobody else has access",
        "Our CEO is livid about the outage, who can send us a statement?",  # someone else's anger
        "We have a lot of angry customers because of the outage",
        "I'm not angry, just confused: why was I charged tax?",
        "We need a manager account for our new office lead",
        "My manager asked me for the 2023 invoices",
        "holy shit it works now, thanks!",
        "nevermind, found it",
        "Outlook keeps asking for my password over and over",
        "I'd like to cancel my subscription at the end of the month",
        "Can I talk to a human about a custom contract?",
        "HI I NEED TO CHANGE MY DELIVERY ADDRESS PLEASE",
        "THANK YOU DEAR, THE PRINTER IS WORKING AGAIN",
        "HEY TEAM, SORRY FOR THE CAPS, THE MOBILE APP CRASHES WHEN I OPEN THE REPORTS TAB",
        "Our job logged ```FATAL: EXPORT WORKER TERMINATED!!! JOB FAILED``` overnight. Is this on your end?",
        "Our lawyer needs the data processing agreement, where can I download it?",
        "holy shit, the retry fixed it. ignore my previous msg, all webhooks green now",
        "We got a phishing email pretending to be you. Nobody here clicked it, just letting you know.",
        "Damn, that's annoying but fine. We'll wait for the fix.",
    ],
)
def test_calm_counterparts_of_the_signals_stay_calm(detector: FrustrationDetector, text: str) -> None:
    assert not detector.read([text]).frustrated


def test_a_failure_reported_a_third_time_is_not_read_as_repeating_oneself(detector: FrustrationDetector) -> None:
    # "the third time the sync failed" is not "I have told you three times" (not_heard). The learned model leans
    # frustrated on it (about 0.6: eight writers' frustrated customers often counted failures so) and, with the
    # sentiment and the request for someone, it reaches the threshold: the independent sets measure that trade.
    reading = detector.read(["This is the third time the sync failed today, could someone take a look?"])
    assert not {"not_heard", "persisting", "judges_service", "giving_up"} & set(reading.signals)


def test_still_not_working_alone_is_troubleshooting(detector: FrustrationDetector) -> None:
    reading = detector.read(["I cleared the cache and it is still not working, what else can I try?"])
    assert reading == FrustrationReading(0.3, False, ("persisting",))


def test_still_not_working_with_another_signal_escalates(detector: FrustrationDetector) -> None:
    reading = detector.read(["my invoice is STILL wrong"])
    assert {"all_caps", "persisting"} <= set(reading.signals)
    assert reading.frustrated


def test_negations_are_read_as_negative(detector: FrustrationDetector) -> None:
    # TextBlob alone reads "isn't good" as +0.7; spelled out as "is not good" it is negative.
    assert "negative" in detector.read(["this isn't good"]).signals


# ---------------------------------------------------------------------------- input handling


@pytest.mark.parametrize("messages", [[], [""], ["   ", "\n"], ()])
def test_no_words_no_frustration(detector: FrustrationDetector, messages: list[str]) -> None:
    assert detector.read(messages) == FrustrationReading(score=0.0, frustrated=False, signals=())


def test_slack_markup_is_not_read_as_shouting_or_words(detector: FrustrationDetector) -> None:
    reading = detector.read(
        ["<@U0ABCDEF> <#C0123ABC|GENERAL> <https://x.example.com|USELESS GUIDE> my order number is 4821"]
    )
    assert reading.signals == ()


def test_messages_older_than_the_window_are_ignored() -> None:
    detector = FrustrationDetector(window=2)
    assert detector.read(["this is ridiculous", "my order is 4821", "any update?"]).signals == ()
    assert "judges_service" in detector.read(["my order is 4821", "this is ridiculous", "any update?"]).signals


def test_default_window_reads_the_last_three(detector: FrustrationDetector) -> None:
    refund = "how do I get a refund"
    assert "repeated" in detector.read([refund, "my order is 4821", refund]).signals
    assert "repeated" not in detector.read([refund, "hi", "my order is 4821", refund]).signals  # 4th from last


def test_threshold_is_configurable() -> None:
    reading = FrustrationDetector(threshold=0.1).read(["my printer is broken"])
    assert reading.frustrated
    assert reading.score == 0.32


def test_window_must_be_positive() -> None:
    with pytest.raises(ValueError):
        FrustrationDetector(window=0)


def test_score_is_capped_at_one(detector: FrustrationDetector) -> None:
    reading = detector.read(["THIS IS RIDICULOUS!!!", "THIS IS RIDICULOUS!!!", "useless, terrible, I want an agent"])
    assert reading.score == 1.0
    assert reading.frustrated


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=5))
def test_score_is_bounded_and_rounded(messages: list[str]) -> None:
    reading = _SHARED.read(messages)
    assert 0.0 <= reading.score <= 1.0
    assert round(reading.score, 2) == reading.score
    model = shipped_model()
    recent = [learned_features(m) for m in messages[-_SHARED.window :] if m and m.strip()]
    heard = model.probability_of(recent) >= model.named_threshold
    assert reading.frustrated == (heard and reading.score >= _SHARED.threshold)
    assert len(set(reading.signals)) == len(reading.signals)


_SHARED = FrustrationDetector()  # hypothesis can't use function-scoped pytest fixtures


# ---------------------------------------------------------------------------- loading TextBlob
# TextBlob and NLTK cost ~20 MB of resident memory: the app loads them only when detection is on.
# Checked in fresh interpreters, since this module has loaded them long ago.


def run_python(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


# The real app (create_app, migrations, the HTTP edge) on a fake Slack: a customer's message that
# any detector would score, answered by the bot (`awaited`: a text in its reply); then, was TextBlob
# imported?
_STARTED_APP = """
import sys
from pathlib import Path

from tests.support.app_under_test import AppUnderTest, settings_for
from tests.support.fake_slack import FakeSlack
from tests.support.journeys import wait_for_dm
from tests.support.slack_requests import dm_message

action, work, awaited = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
config = work / "bot.yaml"
config.write_text(f"escalation:\\n  frustration:\\n    action: '{action}'\\n")
with FakeSlack() as fake:
    fake.add_user("UCUST1", name="jane")
    app = AppUnderTest(settings_for(fake, f"sqlite:///{work / 'handoff.db'}", HANDOFF_CONFIG=str(config))).start()
    try:
        app.slack.event(dm_message("UCUST1", "THIS IS RIDICULOUS!!!"))
        wait_for_dm(fake, "UCUST1", awaited)  # the bot's step (and any reading) ran before its replies
    finally:
        app.stop()
print("textblob" in sys.modules)
"""


@pytest.mark.slow
def test_the_app_with_frustration_off_never_imports_textblob(tmp_path: Path) -> None:
    assert run_python(_STARTED_APP, "off", str(tmp_path), "") == "False"


@pytest.mark.slow
def test_the_app_with_frustration_on_loads_textblob_and_reads_the_mood(tmp_path: Path) -> None:
    assert run_python(_STARTED_APP, "offer", str(tmp_path), "this is frustrating") == "True"


@pytest.mark.slow
def test_textblob_loads_at_construction_with_preload_else_on_the_first_read() -> None:
    script = """
import sys
from handoff_slack.core.frustration import FrustrationDetector

FrustrationDetector()
print("textblob" in sys.modules)
FrustrationDetector(preload=True)
print("textblob" in sys.modules)
"""
    assert run_python(script).split() == ["False", "True"]


@pytest.mark.slow
def test_concurrent_first_reads_load_textblob_once_and_agree() -> None:
    script = """
from concurrent.futures import ThreadPoolExecutor
import textblob.en as en
from handoff_slack.core.frustration import FrustrationDetector

built = []
load = en.Sentiment.load
def counted(self, *args, **kwargs):  # the sentiment lexicon's (lazy) load from its XML file
    built.append(1)
    return load(self, *args, **kwargs)
en.Sentiment.load = counted

detector = FrustrationDetector()
texts = [["my invoice is STILL wrong"], ["this isn't good"]] * 8
with ThreadPoolExecutor(8) as pool:
    readings = list(pool.map(detector.read, texts))
print(len(built), set(readings) == {detector.read(texts[0]), detector.read(texts[1])}, readings[0].signals)
"""
    assert run_python(script) == "1 True ('negative', 'all_caps', 'learned', 'persisting')"


@pytest.mark.slow
def test_the_bot_loads_textblob_when_it_is_built_with_detection_on_and_never_with_it_off() -> None:
    script = """
import sys
from handoff_slack.config_file import load_bot_config
from handoff_slack.core.bot import BotEngine

BotEngine(load_bot_config(sys.argv[1]))
print("textblob" in sys.modules)
BotEngine(load_bot_config(None))  # the shipped default: detection on (offer)
print("textblob" in sys.modules)
"""
    assert run_python(script, str(REPO / "tests" / "fixtures" / "bot" / "plain_handoff.yaml")).split() == [
        "False",
        "True",
    ]


# ---------------------------------------------------------------------------- long messages


CALM = "my order number is 4821 and it shipped on monday. " * (READ_LIMIT // 20)


@pytest.mark.parametrize(
    ("angry", "signal"),
    [
        ("this is ridiculous", "judges_service"),
        ("WHERE IS MY ORDER!!!", "exclamations"),
        ("still not working", "persisting"),
    ],
)
def test_a_signal_within_the_read_limit_counts_one_after_it_does_not(
    detector: FrustrationDetector, angry: str, signal: str
) -> None:
    within = CALM[: READ_LIMIT - len(angry) - 1] + " " + angry
    assert len(within) <= READ_LIMIT
    assert signal in detector.read([within + CALM]).signals

    after = CALM[:READ_LIMIT] + " " + angry
    assert signal not in detector.read([after]).signals


@pytest.mark.parametrize(
    "huge",
    [
        "WHY " * 40_000,
        "I'm so fed up!!! " + "x" * 160_000,
        ("😡ﷺ é\u0301 &amp; <@U0ABC> " * 8_000),
        "<" * 160_000,
    ],
    ids=["shouting", "one long word", "odd unicode and markup", "a run of <"],
)
def test_a_huge_message_reads_as_its_prefix(detector: FrustrationDetector, huge: str) -> None:
    earlier = ["my order is late", huge]
    assert detector.read([*earlier, huge]) == detector.read([*earlier[:1], huge[:READ_LIMIT], huge[:READ_LIMIT]])


def test_the_common_subsequence_bound_is_exact_and_never_under_difflibs_matches() -> None:
    # The repeat check skips difflib's ratio when this bound is already under the similarity: the
    # bound must be the true longest common subsequence, which no set of matching blocks exceeds.
    rng = random.Random(20)
    for _ in range(500):
        a = "".join(rng.choice("ab c") for _ in range(rng.randint(0, 30)))
        b = "".join(rng.choice("ab cé") for _ in range(rng.randint(0, 30)))
        table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
        for i, x in enumerate(a):
            for j, y in enumerate(b):
                table[i + 1][j + 1] = table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
        assert longest_common_subsequence(a, b) == table[-1][-1]
        assert sum(block.size for block in SequenceMatcher(None, a, b).get_matching_blocks()) <= table[-1][-1]


@pytest.mark.parametrize(
    "text",
    [
        "this isn't good at all",
        "really not good, not bad either",
        "the sync failed with ERR_TIMEOUT again, terrible",
        "_awful_ __init__ is broken _",
        "Café naïve ﬁle: great!! 🙄",
        "I'm very very happy :) but the export is horrible",
    ],
)
def test_polarity_is_textblobs_pattern_analyzer_on_the_normalised_text(text: str) -> None:
    # The reading hands TextBlob the normalised words directly (no tokenizing); it must score as
    # PatternAnalyzer does on the same text, underscores at word edges included.
    from textblob.en.sentiments import PatternAnalyzer

    from handoff_slack.core.frustration import _load_lexicon
    from handoff_slack.core.frustration_sentiment import _CONTRACTION, _IRREGULAR_NEGATIONS
    from handoff_slack.core.phrases import normalised_prefix

    spelled = _CONTRACTION.sub(lambda m: _IRREGULAR_NEGATIONS.get(m[1].lower(), m[1]) + " not", text)
    expected = PatternAnalyzer().analyze(normalised_prefix(spelled)).polarity
    assert _load_lexicon().polarity.of_text(text) == expected
