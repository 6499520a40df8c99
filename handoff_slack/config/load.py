"""A checked configuration file (`schema.BotFile`) as the `core.bot_config` objects the bot runs on."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import ValidationError

from handoff_slack.config.bot_file import BotFile
from handoff_slack.config.business_hours_schema import BusinessHoursEntry
from handoff_slack.config.desk_schema import PriorityEntry, RoutingEntry
from handoff_slack.config.errors import ConfigError, problems_from
from handoff_slack.config.scenario_rules import SAID
from handoff_slack.config.schema import (
    CauseEntry,
    DiagnoseEntry,
    QuestionEntry,
    ScenarioEntry,
    StepEntry,
    ValidationRule,
)
from handoff_slack.config.timers_schema import RemindersEntry
from handoff_slack.config.waiting_schema import idle_close, queue_updates, waiting_timeout
from handoff_slack.config.yaml_source import read_document
from handoff_slack.core.bot_config import (
    AnswerClue,
    BotConfig,
    Cause,
    Choice,
    Diagnose,
    EscalationConfig,
    FrustrationConfig,
    SatisfactionConfig,
    Scenario,
    SharedChannelsConfig,
    Step,
    SupervisionConfig,
    TriageConfig,
    TriageQuestion,
    Validation,
)
from handoff_slack.core.business_hours import WEEKDAYS, BusinessHours, Holiday, OpenRange
from handoff_slack.core.priority import Priority, PriorityConfig, TriageRule
from handoff_slack.core.reminders import RemindersConfig
from handoff_slack.core.routing import RoutingConfig
from handoff_slack.core.routing_filters import RoutingFilters, SkillRule
from handoff_slack.core.transfer_config import TransferConfig
from handoff_slack.core.waiting_config import WaitingTimersConfig


def bot_config_from_text(text: str, source: str) -> BotConfig:
    """`text` as a configuration; `source` names it in error messages. Every problem of the file
    raises one `ConfigError`, a line each, in the file's order."""
    document = read_document(text, source)
    if document.data is None and not document.places:
        raise ConfigError(
            f"HANDOFF_CONFIG {source}: the file is empty; expected a mapping with keys like greeting, scenarios, triage"
        )
    problems = list(document.problems)
    try:
        file = BotFile.model_validate(document.data)
    except ValidationError as error:
        problems.extend(problems_from(error, document, BotFile))
    if problems:
        in_order = sorted(problems, key=lambda problem: problem.line or 0)
        raise ConfigError(*dict.fromkeys(problem.said(source) for problem in in_order))
    return bot_config(file)


def bot_config(file: BotFile) -> BotConfig:
    triage, escalation = file.triage, file.escalation
    frustration = escalation.frustration
    return BotConfig(
        greeting=file.greeting,
        talk_to_agent_label=file.talk_to_agent_label,
        no_match=file.no_match,
        scenarios=tuple(_scenario(scenario) for scenario in file.scenarios),
        triage=TriageConfig(
            mode=triage.mode, intro=triage.intro, questions=tuple(_question(question) for question in triage.questions)
        ),
        escalation=EscalationConfig(
            no_match_limit=escalation.no_match_limit,
            match_threshold=escalation.match_threshold,
            suggest_threshold=escalation.suggest_threshold,
            frustration=FrustrationConfig(
                action=frustration.action, window=frustration.window, threshold=frustration.threshold
            ),
            stuck=escalation.stuck,
        ),
        supervision=SupervisionConfig(
            default=file.supervision.default,
            approvers=file.supervision.approvers,
            timeout_seconds=file.supervision.timeout_seconds,
            checking_message=file.supervision.checking_message,
        ),
        assist=file.assist,
        shared_channels=SharedChannelsConfig(ticket_emoji=file.shared_channels.ticket_emoji),
        priority=_priority(file.priority),
        routing=_routing(file.routing),
        transfers=TransferConfig(offer_timeout_seconds=file.transfers.offer_timeout_seconds),
        satisfaction=SatisfactionConfig(
            enabled=file.satisfaction.enabled,
            question=file.satisfaction.question,
            thanks=file.satisfaction.thanks,
            comment_prompt=file.satisfaction.comment_prompt,
        ),
        business_hours=_business_hours(file.business_hours),
        reminders=_reminders(file.reminders),
        waiting=WaitingTimersConfig(
            waiting_timeout(file.waiting_timeout), queue_updates(file.queue_updates), idle_close(file.idle_close)
        ),
    )


def _reminders(entry: RemindersEntry) -> RemindersConfig:
    targets = entry.first_response_minutes
    return RemindersConfig(
        steps=tuple(step.step() for step in entry.steps),
        first_response={level: timedelta(minutes=getattr(targets, level.label)) for level in Priority},
    )


def _business_hours(entry: BusinessHoursEntry | None) -> BusinessHours:
    if entry is None:
        return BusinessHours.always_open()
    return BusinessHours(
        time_zone=entry.time_zone,
        week=tuple(tuple(sorted(OpenRange.parse(text) for text in getattr(entry.week, day))) for day in WEEKDAYS),
        holidays=tuple(Holiday(date.fromisoformat(holiday.date), holiday.name) for holiday in entry.holidays),
        outside_hours_message=entry.outside_hours_message,
        greeting_note=entry.greeting_note or None,  # '': the greeting says nothing of it
    )


def _routing(entry: RoutingEntry) -> RoutingConfig:
    return RoutingConfig(
        strategy=entry.strategy,
        offer_timeout_seconds=entry.offer_timeout_seconds,
        fallback_after_seconds=entry.fallback_after_seconds,
        filters=RoutingFilters(
            language_question=entry.language_question,
            languages=tuple(entry.languages.items()),
            skill_rules=tuple(
                SkillRule(rule.question, tuple(rule.answers), tuple(rule.skills)) for rule in entry.skills
            ),
            time_zone_hours=entry.time_zone_hours,
            fallback_after_seconds=entry.filters_fallback_after_seconds,
        ),
    )


def _priority(entry: PriorityEntry) -> PriorityConfig:
    return PriorityConfig(
        triage=tuple(
            TriageRule(rule.question, tuple(rule.answers), Priority[rule.level.name]) for rule in entry.triage
        ),
        vip_users=frozenset(entry.vip.users),
        vip_teams=frozenset(entry.vip.organisations),
        vip_level=Priority[entry.vip.level.name],
        frustration=entry.frustration,
    )


def _scenario(scenario: ScenarioEntry) -> Scenario:
    if scenario.steps is not None:
        steps = tuple(_step(step) for step in scenario.steps)
    else:  # a fixed answer is a scenario of one answer step
        steps = (Step(id="answer", answer=scenario.answer, escalate=scenario.escalate),)
    return Scenario(
        id=scenario.id,
        title=scenario.title,
        triggers=scenario.triggers,
        steps=steps,
        supervised=scenario.supervised,
        skills=tuple(scenario.skills),
    )


def _step(step: StepEntry) -> Step:
    return Step(
        id=step.id,
        ask=step.ask,
        choices=tuple(Choice(label=choice.label, goto=choice.goto) for choice in step.choices or ()),
        expect=_validation(step.expect),
        goto=step.goto,
        answer=step.answer,
        escalate=step.escalate,
        diagnose=None if step.diagnose is None else _diagnose(step.diagnose),
    )


def _diagnose(diagnose: DiagnoseEntry) -> Diagnose:
    return Diagnose(
        causes=tuple(_cause(cause) for cause in diagnose.causes),
        threshold=diagnose.threshold,
        unsure=diagnose.unsure,
    )


def _cause(cause: CauseEntry) -> Cause:
    weights = cause.weights or {}
    return Cause(
        id=cause.id,
        title=cause.title,
        answer=cause.answer,
        when=tuple(
            AnswerClue(step_id, tuple(accepted), weights.get(step_id, 1.0))
            for step_id, accepted in (cause.when or {}).items()
        ),
        said=cause.said or (),
        said_weight=weights.get(SAID, 1.0),
    )


def _question(question: QuestionEntry) -> TriageQuestion:
    return TriageQuestion(
        id=question.id,
        label=question.label,
        prompt=question.prompt,
        validation=_validation(question.validation),
        skippable=question.skippable,
        prefill=question.prefill,
        multiline=question.multiline,
    )


def _validation(rule: ValidationRule | None) -> Validation | None:
    return None if rule is None else Validation(pattern=rule.pattern, message=rule.message)
