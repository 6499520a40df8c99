"""`/handoff-queue`'s `lang:`, `skill:` and `mine` cut by routing's filters (core.eligibility), through
the signed Slack edge: each line shows its ticket's language and skills and names who could take it
by the same rule routing offers by; `mine` lists exactly the tickets the agent is eligible for; a
ticket whose filters routing dropped is everyone's. The ticket message and the offer DM show the
language and skills too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from handoff_slack.storage.models import Ticket
from tests.conftest import AGENT, AGENT_2, CUSTOMER, CUSTOMER_2
from tests.support.app_under_test import SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import FakeSlack
from tests.support.journeys import TicketPost, block_text
from tests.test_queue_command import eligible_line, lines, run
from tests.test_routing import AGENT_3, MovableClock, run_routing_job, wait_for_offer
from tests.test_routing_filters import CONFIG, ask_for_a_person, on, settled

LANGUAGES = 'languages: {Deutsch: de, "Français": fr, "Português": pt, Brasileiro: pt-BR}'
MANUAL = CONFIG.replace("strategy: round_robin", "strategy: manual").replace(
    'languages: {Deutsch: de, "Français": fr}', LANGUAGES
)
NOBODY = "nobody (everyone is away, offline, full or not a match for its language, skills or time zone)"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


def start(fake: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path, config: str) -> AppUnderTest:
    path = tmp_path / "queue-filters.yaml"
    path.write_text(config)
    fake.add_user(AGENT_3, name="cleo", real_name="Cleo Agent", display_name="Cleo")
    fake.set_members(SUPPORT_CHANNEL, [AGENT, AGENT_2, AGENT_3])
    settings = settings_for(fake, database_url, HANDOFF_CONFIG=str(path), HANDOFF_DELIVERY_RETRY_SECONDS="3600")
    return AppUnderTest(settings, clock).start()


@pytest.fixture
def manual(fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path) -> Iterator[AppUnderTest]:
    running = start(fake_slack, database_url, clock, tmp_path, MANUAL)
    try:
        yield running
    finally:
        running.stop()


def customer(fake: FakeSlack, n: int) -> str:
    user = f"UCUST{n:03d}"
    fake.add_user(user, name=f"cust{n}", real_name=f"Customer {n}")
    return user


def stored_language(app: AppUnderTest, ticket_id: int) -> str | None:
    assert app.app is not None
    with app.app.db.transaction() as session:
        found = session.get(Ticket, ticket_id)
        assert found is not None
        return found.language


def listed(app: AppUnderTest, fake: FakeSlack, text: str, user: str = AGENT) -> list[int]:
    return [ticket_id for _position, ticket_id in lines(run(app, fake, text, user))]


def test_lang_and_skill_cut_the_queue_and_each_line_shows_them(manual: AppUnderTest, fake_slack: FakeSlack) -> None:
    german = ask_for_a_person(manual, fake_slack, CUSTOMER, "Deutsch")
    billing = ask_for_a_person(manual, fake_slack, CUSTOMER_2, "skip", first="invoice problem")
    printer = ask_for_a_person(manual, fake_slack, customer(fake_slack, 1), "Français", product="my printer")
    portuguese = ask_for_a_person(manual, fake_slack, customer(fake_slack, 2), "Português")
    brazilian = ask_for_a_person(manual, fake_slack, customer(fake_slack, 3), "Brasileiro", first="invoice problem")
    plain = ask_for_a_person(manual, fake_slack, customer(fake_slack, 4), "skip")
    everyone = [german, billing, printer, portuguese, brazilian, plain]
    ids = [ticket.ticket_id for ticket in everyone]
    assert stored_language(manual, brazilian.ticket_id) == "pt-BR"

    assert listed(manual, fake_slack, "") == ids
    assert listed(manual, fake_slack, "lang:de") == [german.ticket_id]
    # By primary language, as routing compares them: pt is pt and pt-BR, and so is pt-br.
    assert listed(manual, fake_slack, "lang:pt") == [portuguese.ticket_id, brazilian.ticket_id]
    assert listed(manual, fake_slack, "lang:PT-br") == [portuguese.ticket_id, brazilian.ticket_id]
    assert listed(manual, fake_slack, "lang:fr,de") == [german.ticket_id, printer.ticket_id]
    assert listed(manual, fake_slack, "skill:billing") == [billing.ticket_id, brazilian.ticket_id]
    assert listed(manual, fake_slack, "skill:hardware,billing") == [
        billing.ticket_id,
        printer.ticket_id,
        brazilian.ticket_id,
    ]
    assert listed(manual, fake_slack, "skill:billing lang:pt") == [brazilian.ticket_id]
    assert listed(manual, fake_slack, "skill:sales") == []

    # Each line keeps its place in the whole queue and shows what the ticket asks.
    answer = run(manual, fake_slack, "lang:pt")
    assert lines(answer) == [(4, portuguese.ticket_id), (5, brazilian.ticket_id)]
    assert (
        eligible_line(answer, brazilian.ticket_id) == f"Language: pt-BR · Skills: billing · Could take it now: {NOBODY}"
    )
    assert eligible_line(answer, portuguese.ticket_id).startswith("Language: pt · Could take it now:")
    assert "language pt, 6 waiting in all" in block_text(answer.params["blocks"])
    plain_line = eligible_line(run(manual, fake_slack, ""), plain.ticket_id)
    assert plain_line == f"Could take it now: {NOBODY}"  # no language (no locale known), no skill

    # The ticket message in the support channel says it too, in one line.
    assert _needs_shown(brazilian) == "Language: pt-BR · Skills: billing"
    assert _needs_shown(printer) == "Language: fr · Skills: hardware"
    assert _needs_shown(plain) is None


def _needs_shown(ticket: TicketPost) -> str | None:
    found = [b for b in ticket.call.params["blocks"] if b.get("block_id") == "ticket.needs"]
    return block_text(found) if found else None


def test_mine_lists_exactly_the_tickets_the_agent_is_eligible_for(manual: AppUnderTest, fake_slack: FakeSlack) -> None:
    german = ask_for_a_person(manual, fake_slack, CUSTOMER, "Deutsch")
    billing = ask_for_a_person(manual, fake_slack, CUSTOMER_2, "skip", first="invoice problem")
    printer = ask_for_a_person(manual, fake_slack, customer(fake_slack, 11), "skip", product="the scanner")
    brazilian = ask_for_a_person(manual, fake_slack, customer(fake_slack, 12), "Brasileiro", first="invoice problem")
    plain = ask_for_a_person(manual, fake_slack, customer(fake_slack, 13), "skip")
    ids = [t.ticket_id for t in (german, billing, printer, brazilian, plain)]

    on(manual, AGENT, languages=("pt",), skills=("billing",))  # speaks pt (so pt-BR), billing only
    on(manual, AGENT_2)  # no languages (any), no skills (only tickets that need none)
    on(manual, AGENT_3, languages=("de", "fr"), skills=("hardware", "billing"))

    expected = {
        AGENT: [billing.ticket_id, brazilian.ticket_id, plain.ticket_id],
        AGENT_2: [german.ticket_id, plain.ticket_id],
        AGENT_3: [german.ticket_id, billing.ticket_id, printer.ticket_id, plain.ticket_id],
    }
    whole = run(manual, fake_slack, "")
    for agent, theirs in expected.items():
        assert listed(manual, fake_slack, "mine", agent) == theirs, agent
        # The same rule names them on the lines: `mine` is exactly the lines that name the agent.
        named = [ticket_id for ticket_id in ids if f"<@{agent}>" in eligible_line(whole, ticket_id)]
        assert named == theirs, agent
    assert listed(manual, fake_slack, "mine lang:pt", AGENT) == [brazilian.ticket_id]
    assert listed(manual, fake_slack, "mine skill:hardware", AGENT) == []


def test_a_ticket_whose_filters_routing_dropped_is_everyones_in_the_queue(
    fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path
) -> None:
    app = start(fake_slack, database_url, clock, tmp_path, CONFIG)  # round robin
    try:
        on(app, AGENT, languages=("fr",))  # available, no German
        ticket = ask_for_a_person(app, fake_slack, CUSTOMER, "Deutsch")
        settled(app)
        assert listed(app, fake_slack, "mine", AGENT) == []
        assert (
            eligible_line(run(app, fake_slack, ""), ticket.ticket_id) == f"Language: de · Could take it now: {NOBODY}"
        )

        clock.offset += timedelta(seconds=301)  # routing.filters_fallback_after_seconds
        run_routing_job(app)
        offer = wait_for_offer(fake_slack, AGENT)
        assert "Language: de" in block_text(offer.params["blocks"])  # the offer DM shows what it asks

        on(app, AGENT_2, languages=("fr",))
        settled(app)
        assert listed(app, fake_slack, "mine", AGENT_2) == [ticket.ticket_id]
        line = eligible_line(run(app, fake_slack, ""), ticket.ticket_id)
        assert line == f"Language: de · Could take it now: <@{AGENT_2}>, <@{AGENT}>", line  # least busy first
    finally:
        app.stop()


def test_the_time_zone_window_cuts_mine_and_the_lines(
    fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path
) -> None:
    fake_slack.add_user(CUSTOMER, name="jane", real_name="Jane Customer", tz="America/New_York")
    fake_slack.add_user(AGENT, name="alice", real_name="Alice Agent", tz="Asia/Tokyo")
    fake_slack.add_user(AGENT_2, name="bob", real_name="Bob Agent", tz="America/Chicago")
    app = start(fake_slack, database_url, clock, tmp_path, CONFIG + "  time_zone_hours: 3\n")
    try:
        on(app, AGENT)
        near = ask_for_a_person(app, fake_slack, CUSTOMER, "skip")
        settled(app)  # routing looked the customer up: their offset is known; nobody near is on
        on(app, AGENT_2)
        run_routing_job(app)
        wait_for_offer(fake_slack, AGENT_2)
        settled(app)

        assert listed(app, fake_slack, "mine", AGENT) == []
        assert listed(app, fake_slack, "mine", AGENT_2) == [near.ticket_id]
        assert eligible_line(run(app, fake_slack, ""), near.ticket_id).endswith(f"Could take it now: <@{AGENT_2}>")
    finally:
        app.stop()
