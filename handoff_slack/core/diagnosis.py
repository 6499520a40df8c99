"""The likely cause: a `diagnose` step's causes scored against what the customer answered and wrote.

Pure: (the scenario, its diagnose step, the answers so far, the customer's texts) → `Diagnosis`.

**The score.** Each cause has *clues*: one per condition in `when` (an earlier answer), and one for
all its `said` phrases together. Each clue has a weight (1 unless configured). Then

    score = (weights of the clues that matched) / (weights of the `when` clues + the `said` weight if heard)

- A `when` clue matches when the customer's answer to that step is one of the accepted answers.
  A question the customer was not asked (another branch) counts as not matched.
- The `said` clue matches when any of its phrases is in what the customer wrote during the
  scenario (the message that started it, typed answers, anything typed in between). Phrases only
  ever raise a score: heard, the clue counts on both sides of the fraction; not heard, on neither.
  (Customers rarely use the exact words a team expects; silence is not evidence against a cause.)
- So a score is "the share of the cause's evidence that is present", from 0 to 1: 1 when every
  condition is met, 2/3 when two of three equal conditions are, and a cause of phrases alone
  scores 1 once one of them is heard.

The best cause is the highest score; on a tie the one listed first in the file, and the runner-up
then shows the same score (`Diagnosis.sure` is False: the bot does not pick between equals). Every
score comes with its evidence, the answers and phrases that pointed to it:
"Is the Wi-Fi light on? → Off", "said “driver”".

**Words.** Phrases and typed answers are compared as words: case, accents, punctuation and Slack
markup are ignored (`phrases.normalise`), and simple word forms are the same word ("drivers",
"updated", "updating" match "driver", "update"). A phrase of several words matches those words in
that order, next to each other ("after the update" does not match "after an update": list the word
that matters, "update"). For a question with choices the accepted answers are choice labels,
compared whole; for a typed answer they are phrases the answer must contain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from handoff_slack.core.bot_config import AnswerClue, Cause, Diagnose, Scenario, fill
from handoff_slack.core.bot_turn import CauseScore, Diagnosis
from handoff_slack.core.phrases import normalise, normalised_prefix

_QUOTED_ANSWER = 80  # characters of a typed answer quoted in the evidence
_SUFFIXES = ("ing", "ed", "es", "s", "e")
_MIN_STEM = 3
_KEEP_DOUBLE = frozenset("aeioulsz")  # "fall", "press", "buzz" keep their double letter


def stem(word: str) -> str:
    """A word's simple base form: "drivers" → "driver", "updated"/"updates"/"update" → "updat",
    "plugged" → "plug", "batteries" → "battery". Not a linguist's stemmer: both sides go through it."""
    if word.endswith("ies") and len(word) > len("ies") + 1:
        return word[:-3] + "y"
    for suffix in _SUFFIXES:
        if not word.endswith(suffix) or len(word) - len(suffix) < _MIN_STEM:
            continue
        if suffix == "s" and word.endswith("ss"):  # "access", "wireless" are not plurals
            return word
        base = word[: -len(suffix)]
        if suffix in ("ing", "ed") and len(base) > _MIN_STEM and base[-1] == base[-2] and base[-1] not in _KEEP_DOUBLE:
            base = base[:-1]
        return base
    return word


@lru_cache(maxsize=1024)
def words_of(text: str) -> tuple[str, ...]:
    """The text's words as they are compared: normalised and stemmed (the part the bot reads)."""
    return tuple(stem(word) for word in normalised_prefix(text).split())


def contains_phrase(text_words: Sequence[str], phrase: str) -> bool:
    """Whether the phrase's words appear, in order and next to each other, among `text_words`."""
    wanted = words_of(phrase)
    if not wanted:
        return False
    size = len(wanted)
    return any(tuple(text_words[i : i + size]) == wanted for i in range(len(text_words) - size + 1))


def diagnose(scenario: Scenario, step: Diagnose, answers: Mapping[str, str], texts: Sequence[str] = ()) -> Diagnosis:
    """Every cause of `step` scored; the best and the runner-up (see the module's docstring).

    `answers`: step ID → the customer's answer (a choice's label or the typed text). `texts`:
    what the customer wrote during the scenario; typed answers are read as well in any case.
    """
    typed = [answers[s.id] for s in scenario.steps if s.is_question and not s.choices and s.id in answers]
    written = [words_of(text) for text in (*texts, *typed)]
    scored = [_score(cause, scenario, answers, written) for cause in step.causes]
    # Stable sort: on a tie the cause listed first comes first.
    ranked = sorted(scored, key=lambda cause: -cause.score)
    return Diagnosis(ranked[0], ranked[1] if len(ranked) > 1 else None, step.threshold)


def _score(
    cause: Cause, scenario: Scenario, answers: Mapping[str, str], written: Sequence[Sequence[str]]
) -> CauseScore:
    evidence: list[str] = []
    matched = total = 0.0
    for clue in cause.when:
        total += clue.weight
        answer = answers.get(clue.step_id)
        if answer is not None and _accepts(clue, scenario, answer):
            matched += clue.weight
            evidence.append(f"{_question(scenario, clue.step_id, answers)} → {_shortened(answer)}")
    heard = [phrase for phrase in cause.said if any(contains_phrase(words, phrase) for words in written)]
    if heard:
        matched += cause.said_weight
        total += cause.said_weight
        evidence.extend(f"said “{phrase}”" for phrase in heard)
    score = round(matched / total, 3) if total else 0.0
    return CauseScore(cause.id, cause.title, score, tuple(evidence), fill(cause.answer, answers))


def _accepts(clue: AnswerClue, scenario: Scenario, answer: str) -> bool:
    step = scenario.step(clue.step_id)
    if step is not None and step.choices:
        picked = normalise(answer)
        return any(normalise(accepted) == picked for accepted in clue.accepted)
    words = words_of(answer)
    return any(contains_phrase(words, accepted) for accepted in clue.accepted)


def _question(scenario: Scenario, step_id: str, answers: Mapping[str, str]) -> str:
    step = scenario.step(step_id)
    return fill(step.ask, answers) if step is not None and step.ask else step_id


def _shortened(answer: str) -> str:
    answer = " ".join(answer.split())
    return answer if len(answer) <= _QUOTED_ANSWER else answer[: _QUOTED_ANSWER - 1] + "…"
