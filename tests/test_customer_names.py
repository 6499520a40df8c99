"""A customer's name on the ticket board when Slack cannot tell it (users.info answers an error, a
500, or times out): the ticket message and `/handoff-queue` show their mention (Slack shows agents
the name), never their user ID as if it were one, nothing sticks, and the name appears once
users.info answers again (their next message, or the ticket's next update).

Through the signed Slack edge against the fake Slack, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import AGENT, CUSTOMER, EXTERNAL_CUSTOMER, EXTERNAL_TEAM
from tests.support.app_under_test import AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import (
    TicketPost,
    ask_for_queue,
    block_text,
    claim,
    dm,
    thread_posts,
    ticket_updates,
    wait_for_dm,
    wait_for_ticket_update,
    waiting_ticket,
)
from tests.support.lookup_failures import heal_lookup, lookup_failures
from tests.support.slack_requests import dm_message
from tests.support.waiting import wait_until
from tests.test_accounts import escalate_in_dm

# The look-up client waits 3 s (handoff_slack.app.PROFILE_LOOKUP_TIMEOUT), the others 1 s here: a
# users.info answered after this long times out for all of them.
COLLEAGUE = "UEXT2"  # Erin's colleague at Acme Corp, whom Slack can name
MALLORY = "UMALLORY"  # a display name made of markup


FAILURES = lookup_failures("users.info", "user")


def heal(fake: FakeSlack) -> None:
    heal_lookup(fake, "users.info")


@pytest.fixture
def app(fake_slack: FakeSlack, database_url: str) -> Iterator[AppUnderTest]:
    """The app with Slack calls timing out after 1 s (a slow users.info fails quickly)."""
    running = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_SLACK_TIMEOUT_SECONDS="1")).start()
    try:
        yield running
    finally:
        running.stop()


def shown(call: Call) -> str:
    """Everything a message shows: its notification text and its blocks."""
    return f"{call.params.get('text') or ''}\n{block_text(call.params.get('blocks'))}"


def assert_never_named_by_id(text: str, user: str) -> None:
    """`user`'s ID appears only inside their mention (`<@U…>`), never bare as a name."""
    assert re.search(rf"(?<!<@){user}", text) is None, text


def users_info_calls(fake: FakeSlack, user: str) -> int:
    return len(fake.calls("users.info", user=user))


def stored_name(app: AppUnderTest, ticket: TicketPost) -> str | None:
    found = app.helpdesk.ticket(ticket.ticket_id)
    assert found is not None
    return found.customer.name


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_a_customer_slack_cannot_name_is_shown_by_mention_never_by_id_until_slack_answers_again(
    app: AppUnderTest, fake_slack: FakeSlack, failure: Callable[[FakeSlack, str], None]
) -> None:
    failure(fake_slack, CUSTOMER)
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)

    posted = shown(ticket.call)
    assert "*Customer*\n<@UCUST1>" in posted
    assert_never_named_by_id(posted, CUSTOMER)
    assert stored_name(app, ticket) is None  # unknown, not the ID: looked up again later
    queue = shown(ask_for_queue(app, fake_slack, AGENT, "while-failing"))
    assert " · <@UCUST1> · waiting" in queue
    assert_never_named_by_id(queue, CUSTOMER)

    # Still failing: their next message asks again (once), and still stores nothing.
    asked = users_info_calls(fake_slack, CUSTOMER)
    dm(app, CUSTOMER, "hello?")
    wait_until(lambda: users_info_calls(fake_slack, CUSTOMER) > asked, message="the look-up of the next message")
    (copy,) = thread_posts(fake_slack, ticket, "hello?")
    assert copy.params.get("username") == "Customer"  # in the thread too: no ID as a name
    assert stored_name(app, ticket) is None

    heal(fake_slack)
    dm(app, CUSTOMER, "still there?")
    update = wait_for_ticket_update(fake_slack, ticket, "Jane (<@UCUST1>)")
    assert_never_named_by_id(shown(update), CUSTOMER)
    assert stored_name(app, ticket) == "Jane"
    queue = shown(ask_for_queue(app, fake_slack, AGENT, "healed"))
    assert " · Jane · waiting" in queue
    assert_never_named_by_id(queue, CUSTOMER)

    # Named: their messages ask Slack nothing more (the stored name turns the look-up off, and the
    # directory's cache would answer it anyway), nor update the ticket message again.
    asked, updates = users_info_calls(fake_slack, CUSTOMER), len(ticket_updates(fake_slack, ticket))
    dm(app, CUSTOMER, "thanks")
    wait_for_dm(fake_slack, CUSTOMER, "still waiting", count=3)
    assert users_info_calls(fake_slack, CUSTOMER) == asked
    assert len(ticket_updates(fake_slack, ticket)) == updates


def test_the_tickets_next_update_names_the_customer_with_their_name_escaped(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user(MALLORY, name="mallory", real_name="Mallory", display_name="<!channel> *Mallory* <@UAGENT1>")
    FAILURES["an error"](fake_slack, MALLORY)
    ticket = waiting_ticket(app, fake_slack, MALLORY)
    assert "*Customer*\n<@UMALLORY>" in shown(ticket.call)

    heal(fake_slack)
    claim(app, fake_slack, AGENT, ticket)
    update = shown(wait_for_ticket_update(fake_slack, ticket, "Claimed by"))
    assert "&lt;!channel&gt; *Mallory* &lt;@UAGENT1&gt; (<@UMALLORY>)" in update
    assert "<!channel>" not in update
    assert_never_named_by_id(update, MALLORY)


def test_an_agent_slack_cannot_name_is_not_shown_to_the_customer_by_id(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    FAILURES["an error"](fake_slack, AGENT)
    claim(app, fake_slack, AGENT, ticket)
    told = wait_for_dm(fake_slack, CUSTOMER, "You are now talking with")
    assert "*an agent*" in told.params["text"]
    assert AGENT not in json.dumps(told.params)


def test_a_slack_connect_customer_slack_cannot_name_is_shown_by_mention_with_their_organisation(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user(COLLEAGUE, name="carl", real_name="Carl Colleague", team_id=EXTERNAL_TEAM)
    FAILURES["a 500"](fake_slack, EXTERNAL_CUSTOMER)
    erins = escalate_in_dm(app, fake_slack, EXTERNAL_CUSTOMER, EXTERNAL_TEAM)
    assert "*Customer*\n<@UEXT1> (Acme Corp, Slack Connect)" in shown(erins.call)
    # Her colleague's ticket lists hers among the account's open tickets: by mention too.
    carls = shown(escalate_in_dm(app, fake_slack, COLLEAGUE, EXTERNAL_TEAM).call)
    assert "Carl Colleague (Acme Corp, Slack Connect)" in carls
    assert re.search(rf"#{erins.ticket_id}.* · waiting since .* · <@UEXT1> · DM", carls), carls
    queue = shown(ask_for_queue(app, fake_slack, AGENT))
    assert "<@UEXT1> (Acme Corp, Slack Connect)" in queue
    for text in (shown(erins.call), carls, queue):
        assert_never_named_by_id(text, EXTERNAL_CUSTOMER)

    heal(fake_slack)
    reply = app.slack.event(dm_message(EXTERNAL_CUSTOMER, "any news?", team=EXTERNAL_TEAM, user_team=EXTERNAL_TEAM))
    assert reply.status == 200, reply
    wait_for_ticket_update(fake_slack, erins, "Erin External (Acme Corp, Slack Connect) (<@UEXT1>)")
    assert " · Erin External (Acme Corp, Slack Connect) · " in shown(ask_for_queue(app, fake_slack, AGENT, "named"))
