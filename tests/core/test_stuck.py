"""The stuck signal: each signal of core.stuck on its own, and the bot acting on it (core.bot_signals)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from handoff_slack.core.bot import BotState, BotTurn, ButtonAction, Pressed, ReplyKind, Said
from handoff_slack.core.bot_config import FrustrationAction, TriageMode
from handoff_slack.core.bot_signals import STUCK_OFFER
from handoff_slack.core.states import EscalationReason
from handoff_slack.core.stuck import (
    NO_PROGRESS_SECONDS,
    VISIT_GAP_SECONDS,
    StuckDetector,
    StuckEvent,
    StuckSignal,
    StuckState,
    content_words,
)
from tests.core.test_bot import EMAIL, NOBODY, engine, kinds

DETECTOR = StuckDetector()


def fired(*events: StuckEvent | str) -> list[tuple[StuckSignal, ...]]:
    """The signals each event fired, in order (a str is a message with no time)."""
    state = StuckState()
    found = []
    for event in events:
        state, signals = DETECTOR.observe(state, StuckEvent.said(event) if isinstance(event, str) else event)
        state = StuckState.from_json(state.to_json())  # as the bot's saved state keeps it
        found.append(signals)
    return found


# -- each signal ------------------------------------------------------------------------------------


def test_the_same_scenario_started_again_is_a_restart() -> None:
    billing, account = StuckEvent.scenario_started("billing"), StuckEvent.scenario_started("account")
    assert fired(billing, account, billing) == [(), (), (StuckSignal.SCENARIO_RESTARTED,)]


def test_did_you_mean_declined_twice() -> None:
    declined = StuckEvent.suggestion_declined()
    assert fired(declined, declined) == [(), (StuckSignal.SUGGESTION_DECLINED,)]


def test_an_answer_rejected_twice() -> None:
    rejected = StuckEvent.triage_rejected()
    assert fired(rejected, rejected, rejected)[1:] == [(StuckSignal.TRIAGE_REJECTED,)] * 2


@pytest.mark.parametrize(
    "texts",
    [
        ["Can I merge two accounts?", "merge accounts?"],
        ["how do I cancel", "cancel subscription"],
        ["I want to move my subscription to another workspace", "how do I move a subscription between workspaces?"],
        ["reset password", "Reset password"],
        ["how do I transfer ownership?", "sorry to ask again, but who owns the workspace"],
        ["export csv", "back to the start I guess"],
    ],
)
def test_asking_again_in_other_words(texts: Sequence[str]) -> None:
    assert fired(*texts)[-1] == (StuckSignal.ASKED_AGAIN,)


@pytest.mark.parametrize(
    "texts",
    [
        ["hi there", "we just signed up for the team plan", "how do I connect our Slack workspace?"],
        ["my order hasn't arrived", "it's been two weeks since I ordered"],
        ["hi, the sync is broken", "found it, it was our firewall. the sync works now, sorry!"],
        ["Sorry to bother again — one more question: can I add a second admin?"],
        ["yes", "no", "yes"],
    ],
)
def test_a_conversation_moving_on_is_not_asking_again(texts: Sequence[str]) -> None:
    assert all(signals == () for signals in fired(*texts))


def test_no_progress_after_thirty_minutes_in_one_visit() -> None:
    start = 1_700_000_000.0
    assert fired(
        StuckEvent.said("how do I cancel", start),
        StuckEvent.said("is it possible at all", start + NO_PROGRESS_SECONDS - 1),
        StuckEvent.said("any idea", start + NO_PROGRESS_SECONDS),
    ) == [(), (), (StuckSignal.NO_PROGRESS,)]


def test_a_visit_days_later_starts_afresh() -> None:
    start = 1_700_000_000.0
    later = start + VISIT_GAP_SECONDS + 60
    assert fired(
        StuckEvent.said("billing", start),
        StuckEvent.scenario_started("billing"),
        StuckEvent.said("change my plan please", later),
        StuckEvent.scenario_started("billing"),
        StuckEvent.said("thanks", later + NO_PROGRESS_SECONDS),  # progress, not a long stay
    ) == [(), (), (), (), ()]


def test_content_words_drop_fillers_and_word_endings() -> None:
    assert content_words("how do i merge my accounts please") == ("merge", "account")
    assert content_words("") == ()


# -- the bot acting on it ---------------------------------------------------------------------------


def talk(bot, *said: str | Pressed, state: BotState | None = None) -> BotTurn:  # type: ignore[no-untyped-def]
    turn = BotTurn(state or BotState())
    for received in said:
        saved = BotState.from_json(turn.state.to_json())
        turn = bot.respond(saved, Said(received) if isinstance(received, str) else received, NOBODY)
    return turn


HOURS_BUTTON = Pressed(ButtonAction.SCENARIO, "hours")


def test_offer_mode_offers_a_person_once_a_conversation() -> None:
    bot = engine(no_match_limit=0, stuck=FrustrationAction.OFFER)
    turn = talk(bot, HOURS_BUTTON, HOURS_BUTTON)
    assert kinds(turn) == [ReplyKind.ANSWER, ReplyKind.OFFER]
    offer = turn.replies[-1]
    assert offer.text == STUCK_OFFER
    assert offer.buttons[0].value == EscalationReason.STUCK.value
    assert turn.state.signals == ("scenario_restarted",) and turn.state.stuck_fired == ()

    again = talk(bot, HOURS_BUTTON, state=turn.state)
    assert kinds(again) == [ReplyKind.ANSWER]  # not twice

    handed = bot.respond(again.state, Pressed(ButtonAction.TALK_TO_AGENT, "stuck"), NOBODY)
    assert handed.handover is not None
    assert (handed.handover.reason, handed.handover.signals) == (EscalationReason.STUCK, ("scenario_restarted",))


def test_escalate_mode_hands_over_with_the_signals() -> None:
    bot = engine(no_match_limit=0, stuck=FrustrationAction.ESCALATE)
    turn = talk(bot, "where is my order", "ord-12", "the one from tuesday")
    assert turn.handover is not None
    assert (turn.handover.reason, turn.handover.signals) == (EscalationReason.STUCK, ("triage_rejected",))


def test_did_you_mean_declined_twice_offers_a_person() -> None:
    bot = engine(no_match_limit=0, stuck=FrustrationAction.OFFER)
    turn = talk(bot, "password", "no", "hours")
    assert kinds(turn) == [ReplyKind.SUGGESTIONS]  # one decline is no pattern
    turn = talk(bot, "no", state=turn.state)
    assert kinds(turn) == [ReplyKind.NO_MATCH, ReplyKind.OFFER]
    assert turn.state.signals == ("suggestion_declined",)


def test_off_watches_nothing() -> None:
    bot = engine(no_match_limit=0, stuck=FrustrationAction.OFF)
    turn = talk(bot, HOURS_BUTTON, HOURS_BUTTON, HOURS_BUTTON)
    assert kinds(turn) == [ReplyKind.ANSWER]
    assert turn.state.stuck == StuckState()


def test_nothing_is_offered_while_answering_triage_questions() -> None:
    bot = engine(TriageMode.BEFORE_HANDOFF, questions=(EMAIL,), stuck=FrustrationAction.OFFER)
    turn = talk(bot, "agent", "not an address", "still not one")
    assert ReplyKind.OFFER not in kinds(turn)
    assert turn.state.in_triage
