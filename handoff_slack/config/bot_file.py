"""The whole configuration file as one pydantic model (its parts: schema.py, and desk_schema.py for
priority and routing), with the checks between its sections."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, Strict, field_validator, model_validator

from handoff_slack.config import scenario_rules
from handoff_slack.config.business_hours_schema import BusinessHoursEntry
from handoff_slack.config.desk_schema import PriorityEntry, RoutingEntry, TransfersEntry
from handoff_slack.config.errors import Expected, Says, rule
from handoff_slack.config.schema import (
    GIVEN,
    MAX_BUTTONS,
    TEXT,
    ButtonText,
    EscalationEntry,
    Part,
    SatisfactionEntry,
    ScenarioEntry,
    SectionText,
    SharedChannelsEntry,
    SupervisionEntry,
    TriageEntry,
)
from handoff_slack.config.timers_schema import RemindersEntry
from handoff_slack.config.waiting_schema import IdleCloseEntry, QueueUpdatesEntry, WaitingTimeoutEntry
from handoff_slack.core.bot_config import AssistMode, BotConfig

_BOT = BotConfig()


class BotFile(Part):
    """The whole file; every key is optional."""

    greeting: SectionText = _BOT.greeting
    talk_to_agent_label: ButtonText = _BOT.talk_to_agent_label
    no_match: SectionText = _BOT.no_match
    scenarios: Annotated[
        tuple[ScenarioEntry, ...],
        Field(max_length=MAX_BUTTONS),
        Says(too_long="at most {max_length} scenarios fit in the menu, got {actual_length}"),
    ] = ()
    triage: TriageEntry = TriageEntry()
    escalation: EscalationEntry = EscalationEntry()
    supervision: SupervisionEntry = SupervisionEntry()
    assist: Annotated[AssistMode, Strict(False), TEXT, Expected.one_of(AssistMode)] = _BOT.assist
    shared_channels: SharedChannelsEntry = SharedChannelsEntry()
    priority: PriorityEntry = PriorityEntry()
    routing: RoutingEntry = RoutingEntry()
    transfers: TransfersEntry = TransfersEntry()
    satisfaction: SatisfactionEntry = SatisfactionEntry()
    business_hours: Annotated[BusinessHoursEntry | None, GIVEN] = None  # left out: always open
    reminders: RemindersEntry = RemindersEntry()  # config.timers_schema: reminder steps, first-response targets
    waiting_timeout: WaitingTimeoutEntry = WaitingTimeoutEntry()  # config.waiting_schema
    queue_updates: QueueUpdatesEntry = QueueUpdatesEntry()
    idle_close: IdleCloseEntry = IdleCloseEntry()

    @field_validator("scenarios", mode="after")
    @classmethod
    def _distinct(cls, scenarios: tuple[ScenarioEntry, ...]) -> tuple[ScenarioEntry, ...]:
        scenario_rules.check_scenarios(scenarios)
        return scenarios

    @model_validator(mode="after")
    def _rules_of_asked_questions(self) -> Self:
        """Priority and routing rules name triage questions; a language question has its languages."""
        asked = [question.id for question in self.triage.questions]
        named: list[tuple[str, tuple[str | int, ...]]] = [
            (entry.question, ("priority", "triage", index, "question"))
            for index, entry in enumerate(self.priority.triage)
        ]
        named += [
            (entry.question, ("routing", "skills", index, "question"))
            for index, entry in enumerate(self.routing.skills)
        ]
        if self.routing.language_question is not None:
            named.append((self.routing.language_question, ("routing", "language_question")))
        for question, at in named:
            if question not in asked:
                known = f"the triage questions are: {', '.join(asked)}" if asked else "there are no triage questions"
                raise rule(f"no triage question {question!r} ({known})", at)
        if self.routing.language_question is not None and not self.routing.languages:
            problem = "needs routing.languages beside it: each answer's language code, like Deutsch: de"
            raise rule(problem, ("routing", "language_question"))
        return self
