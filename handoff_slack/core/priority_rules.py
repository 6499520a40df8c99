"""A new ticket's priority from the configured rules, and a waiting customer's mood (core.priority
says the levels and where they come from). Kept apart from core.priority so the bot's configuration
(core.bot_config) can hold the rules' settings without importing the text matching."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from handoff_slack.core.diagnosis import contains_phrase, words_of
from handoff_slack.core.frustration import FrustrationDetector, FrustrationReading
from handoff_slack.core.priority import (
    FrustrationRaise,
    Prioritised,
    Priority,
    PriorityConfig,
    PrioritySource,
    TriageRule,
)


def triage_level(rules: Sequence[TriageRule], answers: Iterable[tuple[str, str | None]]) -> Priority | None:
    """The highest level a rule gives the (question ID, answer) pairs; None when none matches."""
    given = {question_id: words_of(answer) for question_id, answer in answers if answer}
    matched = [
        rule.level
        for rule in rules
        if rule.question_id in given and any(contains_phrase(given[rule.question_id], a) for a in rule.answers)
    ]
    return max(matched, default=None)


class PriorityRules:
    """The configured rules, and the mood reading for a waiting customer's messages."""

    def __init__(
        self, config: PriorityConfig | None = None, frustration_threshold: float = 0.5, measuring: bool = True
    ) -> None:
        """`measuring`: whether the bot reads moods at all (`escalation.frustration.action` is not off);
        if not, nothing raises a ticket for frustration and TextBlob is never loaded for it."""
        self.config = config or PriorityConfig()
        self._raising = measuring and self.config.frustration is FrustrationRaise.RAISE
        # Loaded now (~0.2 s at start-up), not in the first waiting customer's request.
        self._detector = (
            FrustrationDetector(window=1, threshold=frustration_threshold, preload=True) if measuring else None
        )

    def for_new_ticket(
        self, answers: Iterable[tuple[str, str | None]], customer_user_id: str, team_id: str | None
    ) -> Prioritised:
        """A new ticket's level: the triage rules', raised to the VIP level for a VIP."""
        chosen = Prioritised()
        by_triage = triage_level(self.config.triage, answers)
        if by_triage is not None:
            chosen = Prioritised(by_triage, PrioritySource.TRIAGE)
        vip = customer_user_id in self.config.vip_users or (team_id is not None and team_id in self.config.vip_teams)
        if vip and self.config.vip_level > chosen.level:
            chosen = Prioritised(self.config.vip_level, PrioritySource.VIP)
        return chosen

    @property
    def raises_for_frustration(self) -> bool:
        """Whether a waiting customer's frustrated message raises their ticket's level (if it still may)."""
        return self._raising

    def sounds_frustrated(self, text: str) -> bool:
        """Whether a waiting customer's message should raise their ticket's level (if it still may)."""
        reading = self.read_mood(text) if self._raising else None
        return reading is not None and reading.frustrated

    def read_mood(self, text: str) -> FrustrationReading | None:
        """A customer's message after the hand-over, read alone (core.customer_mood); None: moods aren't read."""
        if self._detector is None or not text.strip():
            return None
        return self._detector.read([text])
