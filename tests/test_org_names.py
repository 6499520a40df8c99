"""A Slack Connect customer's organisation when Slack cannot name it (team.info answers an error, a
500, or times out): the ticket message, its account section and `/handoff-queue` say "another
organisation", never a placeholder with the team ID; nothing sticks, and the name appears once
team.info answers again (the customer's next message, or the ticket's next update). The account is
the team whatever its name: its history and `org:` find it by team (`org:<team ID>` while the name
is unknown, the name once known, also for the team's conversations stored before it was).

Through the signed Slack edge against the fake Slack, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import EXTERNAL_CUSTOMER, EXTERNAL_TEAM
from tests.support.app_under_test import AppUnderTest, settings_for
from tests.support.fake_slack import FakeSlack
from tests.support.journeys import TicketPost, ticket_updates, wait_for_dm, wait_for_ticket_update
from tests.support.lookup_failures import heal_lookup, lookup_failures
from tests.support.slack_requests import dm_message
from tests.support.waiting import wait_until
from tests.test_accounts import HOME, account_text, claimed, escalate_in_dm, queue
from tests.test_customer_names import shown

# The look-up client waits 3 s (handoff_slack.app.PROFILE_LOOKUP_TIMEOUT), the others 1 s here: a
# team.info answered after this long times out for all of them.
COLLEAGUE = "UEXT2"  # Erin's colleague at Acme Corp
GLOBEX = "TGLOBEX"  # an organisation with a name made of markup
GINA = "UGLOBEX1"
UNNAMED = "(another organisation, Slack Connect)"
UNNAMED_ACCOUNT = "*Account* another organisation _(name not known yet)_ · from DM"


FAILURES = lookup_failures("team.info", "team")


def heal(fake: FakeSlack) -> None:
    heal_lookup(fake, "team.info")


@pytest.fixture
def app(fake_slack: FakeSlack, database_url: str) -> Iterator[AppUnderTest]:
    """The app with Slack calls timing out after 1 s (a slow team.info fails quickly)."""
    fake_slack.add_user(COLLEAGUE, name="carl", real_name="Carl Colleague", team_id=EXTERNAL_TEAM)
    fake_slack.add_team(GLOBEX, "<!channel> Globex & Co")
    fake_slack.add_user(GINA, name="gina", real_name="Gina Globex", team_id=GLOBEX)
    running = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_SLACK_TIMEOUT_SECONDS="1")).start()
    try:
        yield running
    finally:
        running.stop()


def stored_org(app: AppUnderTest, ticket: TicketPost) -> str | None:
    found = app.helpdesk.ticket(ticket.ticket_id)
    assert found is not None
    return found.customer.org_name


def team_info_calls(fake: FakeSlack, team: str) -> int:
    return len(fake.calls("team.info", team=team))


def writes(app: AppUnderTest, user: str, team: str, text: str) -> None:
    """A Slack Connect customer writes in their DM with the app."""
    reply = app.slack.event(dm_message(user, text, team=team, user_team=team), team_id=HOME)
    assert reply.status == 200, reply


def assert_no_team_id(text: str, team: str) -> None:
    """The team's ID is nowhere in what agents read as a name."""
    assert team not in text, text


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_an_organisation_slack_cannot_name_is_another_organisation_never_its_id_until_slack_answers_again(
    app: AppUnderTest, fake_slack: FakeSlack, failure: Callable[[FakeSlack, str], None]
) -> None:
    failure(fake_slack, EXTERNAL_TEAM)
    erin = escalate_in_dm(app, fake_slack, EXTERNAL_CUSTOMER, EXTERNAL_TEAM)

    posted = shown(erin.call)
    assert f"*Customer*\nErin External {UNNAMED} (<@UEXT1>)" in posted
    assert account_text(erin) == f"{UNNAMED_ACCOUNT}\n_No other tickets from this organisation._"
    assert_no_team_id(posted, EXTERNAL_TEAM)
    assert stored_org(app, erin) is None  # unknown, not a placeholder: looked up again later
    text, lines = queue(app, fake_slack, "")
    assert f"Erin External {UNNAMED} · waiting" in lines
    assert_no_team_id(text + lines, EXTERNAL_TEAM)

    # Asked by a name: none is known, so the answer says how to ask for it, by team.
    for asked in ("org:Acme Corp", f'org:"another organisation ({EXTERNAL_TEAM})"'):
        text, lines = queue(app, fake_slack, asked)
        assert text.endswith(
            "Organisations Slack has not named yet (shown as “another organisation”), by team: `org:TEXTORG`."
        ), text
        assert lines == ""
    for asked in (f"org:{EXTERNAL_TEAM}", f"org:{EXTERNAL_TEAM.lower()}"):
        text, lines = queue(app, fake_slack, asked)
        assert text.startswith("Waiting tickets from TEXTORG (name not known yet): 1"), text
        assert f"ticket {erin.ticket_id}" in lines

    # Still failing: her next message asks again, and still stores nothing.
    asked_before = team_info_calls(fake_slack, EXTERNAL_TEAM)
    writes(app, EXTERNAL_CUSTOMER, EXTERNAL_TEAM, "hello?")
    wait_until(
        lambda: team_info_calls(fake_slack, EXTERNAL_TEAM) > asked_before, message="the look-up of the next message"
    )
    wait_for_dm(fake_slack, EXTERNAL_CUSTOMER, "still waiting")
    assert stored_org(app, erin) is None

    heal(fake_slack)
    writes(app, EXTERNAL_CUSTOMER, EXTERNAL_TEAM, "still there?")
    update = shown(wait_for_ticket_update(fake_slack, erin, "Erin External (Acme Corp, Slack Connect) (<@UEXT1>)"))
    assert "*Account* Acme Corp · from DM" in update
    assert_no_team_id(update, EXTERNAL_TEAM)
    assert stored_org(app, erin) == "Acme Corp"
    _, lines = queue(app, fake_slack, "")
    assert "Erin External (Acme Corp, Slack Connect) · waiting" in lines
    for asked in ("org:acme corp", f"org:{EXTERNAL_TEAM}"):  # by its name now, and still by team
        text, lines = queue(app, fake_slack, asked)
        assert text.startswith("Waiting tickets from Acme Corp: 1"), (asked, text)
        assert f"ticket {erin.ticket_id}" in lines

    # Named: her messages ask Slack nothing more, nor update the ticket message again.
    asked_before, updates = team_info_calls(fake_slack, EXTERNAL_TEAM), len(ticket_updates(fake_slack, erin))
    users_before = len(fake_slack.calls("users.info", user=EXTERNAL_CUSTOMER))
    writes(app, EXTERNAL_CUSTOMER, EXTERNAL_TEAM, "thanks")
    wait_for_dm(fake_slack, EXTERNAL_CUSTOMER, "still waiting", count=3)
    assert team_info_calls(fake_slack, EXTERNAL_TEAM) == asked_before
    assert len(fake_slack.calls("users.info", user=EXTERNAL_CUSTOMER)) == users_before
    assert len(ticket_updates(fake_slack, erin)) == updates


def test_the_tickets_next_update_names_the_organisation_with_its_name_escaped(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    FAILURES["an error"](fake_slack, GLOBEX)
    gina = escalate_in_dm(app, fake_slack, GINA, GLOBEX)
    assert f"*Customer*\nGina Globex {UNNAMED} (<@{GINA}>)" in shown(gina.call)

    heal(fake_slack)
    update = shown(claimed(app, fake_slack, gina))
    assert f"Gina Globex (&lt;!channel&gt; Globex &amp; Co, Slack Connect) (<@{GINA}>)" in update
    assert "*Account* &lt;!channel&gt; Globex &amp; Co · from DM" in update
    assert "<!channel>" not in update
    assert_no_team_id(update, GLOBEX)
    # The queue's suggestions escape it too (nobody of Globex waits now: claimed).
    text, _ = queue(app, fake_slack, "org:Initech")
    assert text == "No waiting tickets from “Initech”.", text


def test_the_account_is_the_team_whatever_its_name_and_org_finds_all_of_it_once_named(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    # Carl's ticket while team.info fails: his organisation is unknown on his conversation.
    FAILURES["a 500"](fake_slack, EXTERNAL_TEAM)
    carl = escalate_in_dm(app, fake_slack, COLLEAGUE, EXTERNAL_TEAM)
    assert account_text(carl) == f"{UNNAMED_ACCOUNT}\n_No other tickets from this organisation._"
    heal(fake_slack)
    # Erin's, once Slack answers: named, and her account (the team) lists Carl's ticket.
    erin = escalate_in_dm(app, fake_slack, EXTERNAL_CUSTOMER, EXTERNAL_TEAM)
    history = account_text(erin)
    assert history.startswith("*Account* Acme Corp · from DM\n*Other open tickets (1)*"), history
    assert re.search(rf"#{carl.ticket_id}.* · waiting since .* · Carl Colleague · DM", history), history

    # `org:` by the name finds the whole team: Carl's conversation, not named yet, too.
    text, lines = queue(app, fake_slack, "org:Acme Corp")
    assert text.startswith("Waiting tickets from Acme Corp: 2"), text
    assert f"Carl Colleague {UNNAMED} · waiting" in lines and f"ticket {carl.ticket_id}" in lines
    assert "Erin External (Acme Corp, Slack Connect) · waiting" in lines and f"ticket {erin.ticket_id}" in lines

    # Carl's next message names his organisation on his ticket too.
    writes(app, COLLEAGUE, EXTERNAL_TEAM, "any news?")
    update = shown(wait_for_ticket_update(fake_slack, carl, "Carl Colleague (Acme Corp, Slack Connect) (<@UEXT2>)"))
    assert "*Account* Acme Corp · from DM\n*Other open tickets (1)*" in update
    assert stored_org(app, carl) == "Acme Corp"
