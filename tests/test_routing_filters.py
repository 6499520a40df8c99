"""Routing's filters through the signed Slack edge (core.eligibility): a ticket's language from a
triage answer or the customer's Slack locale, skills from its scenario, the time-zone window, the
fallback to everyone when no eligible agent takes it, and routing at once when an agent has room
again (now available, a release, a transfer away).

The scheduler's interval is an hour here: the routing job runs at start-up and when a test drives
it, so an offer that arrives without it came from the step that should have routed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from handoff_slack.blocks.action_ids import OFFER_DECLINE, TRANSFER_ACCEPT
from handoff_slack.core import routing_pass
from handoff_slack.core.agent_profiles import Availability, ProfileChange
from handoff_slack.storage.models import Ticket
from tests.conftest import AGENT, AGENT_2, CUSTOMER, CUSTOMER_2
from tests.support.app_under_test import SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import FakeSlack
from tests.support.journeys import claim, dm, posted_to, ticket_posts, wait_for_dm, wait_for_new_ticket
from tests.support.waiting import wait_until
from tests.test_routing import (
    AGENT_3,
    MovableClock,
    audit_actions,
    offer_id,
    offers_to,
    press,
    run_routing_job,
    wait_for_offer,
)
from tests.test_transfer import offer_transfer, submit_release, together
from tests.test_transfer import press as press_in_channel

CONFIG = """
escalation:
  no_match_limit: 0
  frustration:
    action: "off"
triage:
  mode: before_handoff
  questions:
    - id: lang
      label: Language
      prompt: "Which language would you like to be helped in?"
      skippable: true
    - id: product
      label: Product
      prompt: "Which product is it about?"
      skippable: true
scenarios:
  - id: billing
    title: Billing
    triggers: [invoice problem]
    answer: "Let me get someone from billing."
    escalate: true
    skills: [billing]
routing:
  strategy: round_robin
  offer_timeout_seconds: 60
  language_question: lang
  languages: {Deutsch: de, "Français": fr}
  skills:
    - question: product
      answers: [printer, scanner]
      skills: [hardware]
"""
DROPPED = "it is now offered to every available agent"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


def start(fake: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path, extra: str = "") -> AppUnderTest:
    config = tmp_path / "filters.yaml"
    config.write_text(CONFIG + extra)
    fake.add_user(AGENT_3, name="cleo", real_name="Cleo Agent", display_name="Cleo")
    fake.set_members(SUPPORT_CHANNEL, [AGENT, AGENT_2, AGENT_3])
    settings = settings_for(fake, database_url, HANDOFF_CONFIG=str(config), HANDOFF_DELIVERY_RETRY_SECONDS="3600")
    return AppUnderTest(settings, clock).start()


@pytest.fixture
def routed(fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path) -> Iterator[AppUnderTest]:
    running = start(fake_slack, database_url, clock, tmp_path)
    try:
        yield running
    finally:
        running.stop()


def on(
    app: AppUnderTest, agent: str, languages: tuple[str, ...] = (), skills: tuple[str, ...] = (), **more: Any
) -> None:
    """`agent` is available with these languages and skills (set as /handoff-status would)."""
    assert app.app is not None
    change = ProfileChange(Availability.AVAILABLE, languages=languages, skills=skills, **more)
    app.app.services.profiles.change(agent, change, agent, app.clock())


def ask_for_a_person(
    app: AppUnderTest, fake: FakeSlack, customer: str, language: str, first: str = "agent", product: str = "skip"
) -> Any:
    """The customer asks for a person (or a scenario hands over) and answers the triage questions."""
    before = len(ticket_posts(fake))
    dm(app, customer, first)
    wait_for_dm(fake, customer, "Which language")
    dm(app, customer, language)
    wait_for_dm(fake, customer, "Which product")
    dm(app, customer, product)
    return wait_for_new_ticket(fake, before)


def settled(app: AppUnderTest) -> None:
    """Every lazy listener's work is done (a step's routing pass among it)."""
    assert app.app is not None
    lazy = app.app.services.lazy_work
    wait_until(lambda: lazy.backlog == 0)


def stored(app: AppUnderTest, ticket_id: int) -> Ticket:
    assert app.app is not None
    with app.app.db.transaction() as session:
        found = session.get(Ticket, ticket_id)
        assert found is not None
        session.expunge(found)
        return found


def test_a_ticket_in_the_language_of_its_triage_answer_goes_to_an_agent_who_speaks_it(
    routed: AppUnderTest, fake_slack: FakeSlack
) -> None:
    on(routed, AGENT, languages=("fr",))  # first in round robin's order, but speaks no German
    on(routed, AGENT_2, languages=("de", "en"))

    ticket = ask_for_a_person(routed, fake_slack, CUSTOMER, "Deutsch bitte")

    wait_for_offer(fake_slack, AGENT_2)
    assert offers_to(fake_slack, AGENT) == []
    assert stored(routed, ticket.ticket_id).language == "de"


def test_without_a_language_answer_the_customers_slack_locale_gives_it_and_no_languages_means_any(
    routed: AppUnderTest, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user(CUSTOMER, name="jane", real_name="Jane Customer", locale="de-DE")
    on(routed, AGENT, languages=("fr",))
    on(routed, AGENT_3)  # no languages set: any

    ticket = ask_for_a_person(routed, fake_slack, CUSTOMER, "skip")

    wait_for_offer(fake_slack, AGENT_3)
    assert offers_to(fake_slack, AGENT) == []
    assert stored(routed, ticket.ticket_id).language == "de"
    asked = fake_slack.calls("users.info", user=CUSTOMER)
    assert asked and all(str(c.params.get("include_locale")).lower() in ("1", "true") for c in asked)


def test_the_fake_slack_shows_the_locale_only_when_asked_and_the_zones_offset(fake_slack: FakeSlack) -> None:
    from slack_sdk import WebClient

    fake_slack.add_user("UZONE", name="zed", tz="Asia/Tokyo", locale="ja-JP")
    web = WebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url)
    plain = web.users_info(user="UZONE")["user"]
    assert "locale" not in plain and plain["tz_offset"] == 9 * 3600
    assert web.users_info(user="UZONE", include_locale=True)["user"]["locale"] == "ja-JP"


def test_a_scenarios_skills_go_with_its_ticket_through_triage(routed: AppUnderTest, fake_slack: FakeSlack) -> None:
    on(routed, AGENT)  # no skills: only tickets that need none
    on(routed, AGENT_2, skills=("billing", "hardware"))

    ticket = ask_for_a_person(routed, fake_slack, CUSTOMER, "skip", first="invoice problem")

    wait_for_offer(fake_slack, AGENT_2)
    assert offers_to(fake_slack, AGENT) == []
    assert stored(routed, ticket.ticket_id).skills == ["billing"]
    # A ticket that needs no skill goes to either: round robin's next after AGENT_2 is AGENT.
    ask_for_a_person(routed, fake_slack, CUSTOMER_2, "skip")
    wait_for_offer(fake_slack, AGENT)


def test_a_triage_answer_matching_a_skills_rule_needs_those_skills(routed: AppUnderTest, fake_slack: FakeSlack) -> None:
    on(routed, AGENT, skills=("billing",))
    on(routed, AGENT_2, skills=("hardware",))

    ticket = ask_for_a_person(routed, fake_slack, CUSTOMER, "skip", product="The printer is jammed")

    wait_for_offer(fake_slack, AGENT_2)
    assert offers_to(fake_slack, AGENT) == []
    assert stored(routed, ticket.ticket_id).skills == ["hardware"]


def test_the_time_zone_window_keeps_offers_to_agents_near_the_customer(
    fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path
) -> None:
    fake_slack.add_user(CUSTOMER, name="jane", real_name="Jane Customer", tz="America/New_York")
    fake_slack.add_user(AGENT, name="alice", real_name="Alice Agent", tz="Asia/Tokyo")
    fake_slack.add_user(AGENT_2, name="bob", real_name="Bob Agent", tz="America/Chicago")
    app = start(fake_slack, database_url, clock, tmp_path, "  time_zone_hours: 3\n")
    try:
        on(app, AGENT)
        on(app, AGENT_2)
        ticket = ask_for_a_person(app, fake_slack, CUSTOMER, "skip")

        wait_for_offer(fake_slack, AGENT_2)
        assert offers_to(fake_slack, AGENT) == []
        assert stored(app, ticket.ticket_id).customer_utc_offset in (-5 * 3600, -4 * 3600)
    finally:
        app.stop()


def test_a_ticket_no_eligible_agent_takes_is_offered_to_everyone_after_the_filters_wait(
    routed: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    on(routed, AGENT, languages=("fr",))  # the only one available, and no German
    ticket = ask_for_a_person(routed, fake_slack, CUSTOMER, "Deutsch")
    run_routing_job(routed)
    assert offers_to(fake_slack, AGENT) == []

    clock.offset += timedelta(seconds=301)  # routing.filters_fallback_after_seconds: 300 by default
    run_routing_job(routed)

    note = fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, DROPPED, thread_ts=ticket.ts))[0]
    assert "speaks de" in note.params["text"]
    wait_for_offer(fake_slack, AGENT)
    assert ("filters_dropped", "bot", None) in audit_actions(routed, ticket.ticket_id)
    # Declined too: a full round of everyone, and the channel was told about the filters once.
    press(routed, fake_slack, AGENT, wait_for_offer(fake_slack, AGENT), OFFER_DECLINE, "decline")
    run_routing_job(routed)
    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "nobody accepted it", thread_ts=ticket.ts))
    dropped = [c for c in fake_slack.calls("chat.postMessage", channel=SUPPORT_CHANNEL) if DROPPED in c.params["text"]]
    assert len(dropped) == 1


def test_with_nobody_available_at_all_the_old_fallback_applies_and_filters_are_not_dropped(
    routed: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    ticket = ask_for_a_person(routed, fake_slack, CUSTOMER, "Deutsch")  # nobody is available

    clock.offset += timedelta(seconds=301)  # both waits are 300 s by default
    run_routing_job(routed)

    fake_slack.wait_for(
        "chat.postMessage",
        posted_to(SUPPORT_CHANNEL, "Nobody could be offered this ticket in time", thread_ts=ticket.ts),
    )
    assert not [c for c in fake_slack.calls("chat.postMessage") if DROPPED in (c.params.get("text") or "")]
    assert [a for a, _, _ in audit_actions(routed, ticket.ticket_id)] == []


def test_an_agent_who_becomes_available_is_offered_the_oldest_eligible_ticket_at_once(
    routed: AppUnderTest, fake_slack: FakeSlack
) -> None:
    from tests.test_agent_status import run

    ask_for_a_person(routed, fake_slack, CUSTOMER_2, "skip")  # in English (their locale): older, not eligible
    german = ask_for_a_person(routed, fake_slack, CUSTOMER, "Deutsch")
    settled(routed)  # the escalations' own routing passes are over (nobody was available)
    assert offers_to(fake_slack, AGENT) == []

    run(routed, fake_slack, "/handoff-status", "available languages de", AGENT)

    offer = wait_for_offer(fake_slack, AGENT)
    assert f"Ticket #{german.ticket_id} is offered to you" in offer.params["text"]
    settled(routed)
    assert len(offers_to(fake_slack, AGENT)) == 1  # the older one, in English, is not theirs


def test_a_released_ticket_is_offered_again_even_after_its_round_ended(
    routed: AppUnderTest, fake_slack: FakeSlack
) -> None:
    on(routed, AGENT)
    ticket = ask_for_a_person(routed, fake_slack, CUSTOMER, "skip")
    press(routed, fake_slack, AGENT, wait_for_offer(fake_slack, AGENT), OFFER_DECLINE, "decline")
    run_routing_job(routed)  # nobody else: the round is over, anyone may claim
    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "nobody accepted it", thread_ts=ticket.ts))
    claim(routed, fake_slack, AGENT_2, ticket)
    wait_for_dm(fake_slack, CUSTOMER, "You are now talking with")  # the claim is done

    submit_release(routed, AGENT_2, ticket.ticket_id)

    wait_for_offer(fake_slack, AGENT, count=2)  # a new round: who declined before is asked again
    offers = [entry for entry in audit_actions(routed, ticket.ticket_id) if entry[0] == "offer"]
    assert offers == [("offer", "bot", AGENT), ("offer", "bot", AGENT)]


def test_an_agent_who_transfers_a_conversation_away_gets_the_waiting_ticket_at_once(
    routed: AppUnderTest, fake_slack: FakeSlack
) -> None:
    ticket = ask_for_a_person(routed, fake_slack, CUSTOMER, "skip")  # nobody is available: no offer
    claim(routed, fake_slack, AGENT, ticket)
    wait_for_dm(fake_slack, CUSTOMER, "You are now talking with")
    on(routed, AGENT, capacity=1)  # full with that one conversation
    waiting = ask_for_a_person(routed, fake_slack, CUSTOMER_2, "skip")
    run_routing_job(routed)
    assert offers_to(fake_slack, AGENT) == []

    offer_id = offer_transfer(routed, fake_slack, AGENT, ticket, AGENT_2)
    press_in_channel(routed, fake_slack, AGENT_2, TRANSFER_ACCEPT, offer_id, "accept", ticket.ts)

    offer = wait_for_offer(fake_slack, AGENT)
    assert f"Ticket #{waiting.ticket_id} is offered to you" in offer.params["text"]


@pytest.mark.postgres
def test_two_replicas_dropping_a_tickets_filters_at_once_tell_its_thread_once_and_offer_it_once(
    fake_slack: FakeSlack, postgres_database_url: str, clock: MovableClock, tmp_path: Path
) -> None:
    first = start(fake_slack, postgres_database_url, clock, tmp_path)
    second = start(fake_slack, postgres_database_url, clock, tmp_path)
    try:
        on(first, AGENT, languages=("fr",))
        ticket = ask_for_a_person(first, fake_slack, CUSTOMER, "Deutsch")
        settled(first)
        clock.offset += timedelta(seconds=301)

        together(lambda: run_routing_job(first), lambda: run_routing_job(second))

        wait_for_offer(fake_slack, AGENT)
        settled(first)
        settled(second)
        assert len(offers_to(fake_slack, AGENT)) == 1
        dropped = [c for c in fake_slack.calls("chat.postMessage") if DROPPED in (c.params.get("text") or "")]
        assert len(dropped) == 1 and dropped[0].params["thread_ts"] == ticket.ts
        actions = [action for action, _, _ in audit_actions(first, ticket.ticket_id)]
        assert actions == ["filters_dropped", "offer"]
    finally:
        second.stop()
        first.stop()


def test_a_free_agent_is_offered_the_oldest_ticket_they_suit_further_down_than_the_queues_head(
    routed: AppUnderTest, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pass reads the queue's head first (50 tickets in the app; 2 here) and pages on while an
    # agent with room suits none of what it read: the German head must not hide the French tickets.
    monkeypatch.setattr(routing_pass, "ROUTING_BATCH", 2)
    monkeypatch.setattr(routing_pass, "ROUTING_PAGE", 2)
    customers = [CUSTOMER, CUSTOMER_2, "UCUST3", "UCUST4", "UCUST5"]
    for n, customer in enumerate(customers[2:], start=3):
        fake_slack.add_user(customer, name=f"customer{n}", real_name=f"Customer {n}")
    # Nobody is available while they wait: no offers yet.
    german = [ask_for_a_person(routed, fake_slack, c, "Deutsch").ticket_id for c in customers[:3]]
    french = [ask_for_a_person(routed, fake_slack, c, "Français").ticket_id for c in customers[3:]]
    on(routed, AGENT, languages=("fr",), capacity=1)  # suits no German ticket; room for one offer

    run_routing_job(routed)

    offer = wait_for_offer(fake_slack, AGENT)
    assert routed.app is not None
    offered = routed.app.services.helpdesk.offer(int(offer_id(offer)))
    assert offered is not None and offered.ticket_id == french[0]  # the oldest they suit
    settled(routed)
    assert len(offers_to(fake_slack, AGENT)) == 1  # at capacity: the younger French ticket waits
    for ticket_id in german:  # nobody available suits them: no offer, and their filters stay
        assert audit_actions(routed, ticket_id) == []
    assert not [c for c in fake_slack.calls("chat.postMessage") if DROPPED in (c.params.get("text") or "")]
