"""Accounts (issue 17): a Slack Connect customer's ticket shows their organisation, the door it came
from and the account's other open and last closed tickets, linked to their messages;
`/handoff-queue org:<name>` shows one organisation's waiting tickets.

Through the signed Slack edge against the fake Slack (what agents would see), and the account's
reads on the helpdesk over a real database (SQLite and PostgreSQL), for the limits and the order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from handoff_slack.blocks.ticket import SECTION_LIMIT, ticket_message
from handoff_slack.core.accounts import CLOSED_SHOWN, OPEN_SHOWN, AccountHistory, AccountTicket
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer, CustomerMessageAction
from handoff_slack.core.states import TicketState
from handoff_slack.core.views import TicketCustomer, TicketView
from handoff_slack.listeners.commands.handoff_queue import BAD_ORG, USAGE
from handoff_slack.storage.database import Database
from handoff_slack.storage.helpdesk_store import SqlHelpdesk
from tests.conftest import AGENT, CUSTOMER, EXTERNAL_CUSTOMER, EXTERNAL_TEAM
from tests.support.app_under_test import ADMIN, SUPPORT_CHANNEL, AppUnderTest
from tests.support.fake_slack import Call, FakeSlack, new_ts
from tests.support.journeys import (
    TicketPost,
    block_text,
    claim,
    press_close,
    ticket_message_recorded,
    ticket_posts,
    wait_for_new_ticket,
    wait_for_ticket_update,
    waiting_ticket,
)
from tests.support.migrated_template import from_migrated_template
from tests.support.slack_requests import channel_message, dm_message

SHARED = "CSHARED"
HOME = "T0HOME"
COLLEAGUE = "UEXT2"  # Erin's colleague at Acme Corp
OTHER_ORG = "TGLOBEX"
OTHER_CUSTOMER = "UGLOBEX1"
LINK = re.compile(r"<(https://[^|>]+)\|#(\d+)>")


# -- through the Slack edge ------------------------------------------------------------------------


@pytest.fixture
def acme(fake_slack: FakeSlack) -> FakeSlack:
    """Acme Corp has two people; Globex one; the shared channel with Acme is served."""
    fake_slack.add_user(COLLEAGUE, name="carl", real_name="Carl <!here> Colleague", team_id=EXTERNAL_TEAM)
    fake_slack.add_team(OTHER_ORG, "Globex")
    fake_slack.add_user(OTHER_CUSTOMER, name="gina", real_name="Gina Globex", team_id=OTHER_ORG)
    fake_slack.set_members(SHARED, [EXTERNAL_CUSTOMER, COLLEAGUE, AGENT])
    return fake_slack


def serve(app: AppUnderTest, fake: FakeSlack) -> None:
    reply = app.slack.slash_command("/handoff-channel", "on", ADMIN, SHARED, fake.response_url("serve"))
    assert reply.status == 200, reply
    fake.wait_for("response_url:serve")


def claimed(app: AppUnderTest, fake: FakeSlack, ticket: TicketPost) -> Call:
    """An agent claims the ticket; its message's update that shows it."""
    claim(app, fake, AGENT, ticket)
    return wait_for_ticket_update(fake, ticket, "Claimed by")


def escalate_in_dm(app: AppUnderTest, fake: FakeSlack, user: str, team: str) -> TicketPost:
    """A Slack Connect customer asks for a person in their DM with the app."""
    before = len(ticket_posts(fake))
    reply = app.slack.event(dm_message(user, "I need a human please", team=team, user_team=team), team_id=HOME)
    assert reply.status == 200, reply
    return ticket_message_recorded(app, wait_for_new_ticket(fake, before))


def escalate_in_thread(app: AppUnderTest, fake: FakeSlack, user: str) -> TicketPost:
    """A Slack Connect customer asks for a person at the top of the served shared channel (a new thread)."""
    before = len(ticket_posts(fake))
    event = channel_message(
        user,
        "I need a human please",
        SHARED,
        team=EXTERNAL_TEAM,
        user_team=EXTERNAL_TEAM,
        source_team=EXTERNAL_TEAM,
    )
    reply = app.slack.event(event, team_id=HOME, is_ext_shared_channel=True)
    assert reply.status == 200, reply
    return ticket_message_recorded(app, wait_for_new_ticket(fake, before))


def close(app: AppUnderTest, fake: FakeSlack, ticket: TicketPost) -> None:
    press_close(app, fake, AGENT, ticket)
    wait_for_ticket_update(fake, ticket, "Closed by")


def account_text(ticket: TicketPost) -> str:
    """The account section of a ticket message as first posted ('' when it has none)."""
    sections = [b for b in ticket.call.params["blocks"] if b.get("text", {}).get("text", "").startswith("*Account*")]
    assert len(sections) <= 1
    return str(sections[0]["text"]["text"]) if sections else ""


def permalink(fake: FakeSlack, ticket: TicketPost) -> str:
    """The link Slack gave for the ticket message (chat.getPermalink, as the app asked it: once)."""
    asked = [c for c in fake.calls("chat.getPermalink") if c.params.get("message_ts") == ticket.ts]
    [call] = [c for c in asked if (c.response or {}).get("permalink")]
    assert call.params.get("channel") == SUPPORT_CHANNEL
    return str(call.response["permalink"])


def test_a_slack_connect_ticket_shows_the_organisation_the_door_and_the_accounts_tickets_with_links(
    app: AppUnderTest, acme: FakeSlack
) -> None:
    serve(app, acme)
    # Erin's earlier DM ticket, closed; nothing before it.
    first = escalate_in_dm(app, acme, EXTERNAL_CUSTOMER, EXTERNAL_TEAM)
    assert account_text(first) == "*Account* Acme Corp · from DM\n_No other tickets from this organisation._"
    claimed(app, acme, first)
    close(app, acme, first)
    # Her colleague's ticket from a thread of the shared channel, waiting.
    waiting = escalate_in_thread(app, acme, COLLEAGUE)
    # Another organisation's ticket and a customer of our own: in no Acme history.
    globex = escalate_in_dm(app, acme, OTHER_CUSTOMER, OTHER_ORG)
    home = waiting_ticket(app, acme, CUSTOMER)
    assert "Account" not in block_text(home.call.params["blocks"])  # no organisation, nothing extra
    assert "*Account* Globex · from DM\n_No other tickets" in account_text(globex)

    latest = escalate_in_thread(app, acme, EXTERNAL_CUSTOMER)

    text = account_text(latest)
    assert text.startswith(f"*Account* Acme Corp · from <#{SHARED}>\n"), text
    lines = text.splitlines()
    assert lines[1] == "*Other open tickets (1)*" and lines[3] == "*Recently closed*", text
    assert lines[2].startswith(f"• <{permalink(acme, waiting)}|#{waiting.ticket_id}> · waiting since <!date^")
    assert lines[2].endswith(f"· Carl &lt;!here&gt; Colleague · <#{SHARED}>"), lines[2]  # names made safe
    assert lines[4].startswith(f"• <{permalink(acme, first)}|#{first.ticket_id}> · closed <!date^")
    assert lines[4].endswith("· Erin External · DM"), lines[4]
    assert len(lines) == 5
    # The links are Slack's permalinks of the listed tickets' messages in the support channel.
    assert {int(n) for _, n in LINK.findall(text)} == {waiting.ticket_id, first.ticket_id}
    assert text.count("• ") == 2  # nor Globex's ticket, nor our own customer's

    # Updated when claimed: the history read again (the waiting colleague is now claimed), links
    # from the cache (one chat.getPermalink per ticket message, ever).
    claimed(app, acme, waiting)
    updated = claimed(app, acme, latest)
    assert f"|#{waiting.ticket_id}> · claimed, open since" in block_text(updated.params["blocks"])
    asked = [c.params["message_ts"] for c in acme.calls("chat.getPermalink")]
    assert sorted(asked) == sorted(set(asked)), asked


def test_a_ticket_is_posted_without_links_when_slack_cannot_give_them(app: AppUnderTest, acme: FakeSlack) -> None:
    first = escalate_in_dm(app, acme, EXTERNAL_CUSTOMER, EXTERNAL_TEAM)
    acme.fail("chat.getPermalink", status=500, count=None)
    second = escalate_in_dm(app, acme, COLLEAGUE, EXTERNAL_TEAM)

    assert f"• #{first.ticket_id} · waiting since" in account_text(second)
    assert "https://" not in account_text(second)
    acme.heal("chat.getPermalink")
    updated = claimed(app, acme, second)  # the update asks again, and links
    assert f"<{permalink(acme, first)}|#{first.ticket_id}>" in block_text(updated.params["blocks"])


def queue(app: AppUnderTest, fake: FakeSlack, text: str) -> tuple[str, str]:
    """`/handoff-queue <text>` run by an agent: the answer's text and its blocks' text."""
    name = f"queue-{new_ts()}"
    reply = app.slack.slash_command("/handoff-queue", text, AGENT, SUPPORT_CHANNEL, fake.response_url(name))
    assert (reply.status, reply.body) == (200, ""), reply
    [answer] = fake.wait_for(f"response_url:{name}")
    assert answer.params.get("response_type") == "ephemeral"
    return str(answer.params.get("text")), block_text(answer.params.get("blocks"))


def test_the_queue_by_organisation(app: AppUnderTest, acme: FakeSlack) -> None:
    acme.add_team(OTHER_ORG, "<!channel> Globex & Co")  # a hostile name: shown as written, never a ping
    serve(app, acme)
    home = waiting_ticket(app, acme, CUSTOMER)
    erin = escalate_in_dm(app, acme, EXTERNAL_CUSTOMER, EXTERNAL_TEAM)
    gina = escalate_in_dm(app, acme, OTHER_CUSTOMER, OTHER_ORG)
    carl = escalate_in_thread(app, acme, COLLEAGUE)

    # Everyone's queue shows the organisation (and the shared channel) on each line.
    _, listing = queue(app, acme, "")
    assert "Erin External (Acme Corp, Slack Connect) · waiting" in listing
    assert f"Carl &lt;!here&gt; Colleague (Acme Corp, Slack Connect) · in <#{SHARED}> · waiting" in listing
    assert "Gina Globex (&lt;!channel&gt; Globex &amp; Co, Slack Connect)" in listing

    # One organisation's: case and spacing don't matter, quotes (straight or curly) are optional;
    # places are in the whole queue.
    for asked in ("org:acme corp", 'org:"ACME  Corp"', "ORG: “Acme Corp”", "org:Acme Corp"):
        text, blocks = queue(app, acme, asked)
        assert text.startswith("Waiting tickets from Acme Corp: 2"), (asked, text)
        assert "*#2* · Erin External" in blocks and f"ticket {erin.ticket_id}" in blocks
        assert "*#4* · Carl" in blocks and f"ticket {carl.ticket_id}" in blocks
        assert "Gina" not in blocks and f"ticket {home.ticket_id}" not in blocks
    # Slack sends `&`, `<`, `>` escaped in a command's text.
    text, blocks = queue(app, acme, "org:&lt;!channel&gt; globex &amp; co")
    assert text.startswith("Waiting tickets from &lt;!channel&gt; Globex &amp; Co: 1"), text
    assert f"ticket {gina.ticket_id}" in blocks and "<!channel>" not in text

    # An organisation with nobody waiting: said so, with the ones that have.
    text, blocks = queue(app, acme, "org:Initech <!here>")
    assert text == (
        "No waiting tickets from “Initech &lt;!here&gt;”. Organisations with waiting tickets: "
        "&lt;!channel&gt; Globex &amp; Co, Acme Corp."  # in alphabetical order, without case
    ), text
    assert blocks == ""
    # Absurd names are echoed short, on one line, and ping nobody.
    text, _ = queue(app, acme, "org:<!channel> \x07\u202e" + "x" * 3000)
    echoed = text[text.index("“") + 1 : text.index("”")]
    assert len(echoed) <= 60 and "<" not in echoed and "\x07" not in echoed and "\u202e" not in echoed, echoed
    # A bad argument: the usage, with an example.
    for bad in ("org:", "org:   ", 'org:"Acme Corp', 'org:Acme "Corp"', "org:“”"):
        text, _ = queue(app, acme, bad)
        assert text == BAD_ORG and 'org:"Acme Corp"' in text and USAGE in text, bad


# -- the account's reads, on the database --------------------------------------------------------

ACME = "TACME"


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    from_migrated_template(database_url)
    database = Database(database_url)
    yield database
    database.dispose()


_ts = iter(range(1, 1_000_000))


def ts() -> str:
    return f"1700000000.{next(_ts):06d}"


def ticket_of(desk: SqlHelpdesk, user: str, team: str, door: FrontDoor, org: str | None = "Acme") -> TicketView:
    outcome = desk.receive_customer_message(Customer(user, door, team), ts(), "I want a human")
    assert outcome.action is CustomerMessageAction.ESCALATED and outcome.ticket_id is not None
    desk.attach_ticket_message(outcome.ticket_id, SUPPORT_CHANNEL, ts())
    found = desk.ticket(outcome.ticket_id)
    assert found is not None
    desk.set_customer_profile(found.conversation_id, user.title(), None, org)
    again = desk.ticket(outcome.ticket_id)
    assert again is not None
    return again


def closed(desk: SqlHelpdesk, ticket: TicketView) -> None:
    desk.claim(ticket.id, "UALICE", "Alice")
    desk.close(ticket.id, "UALICE", is_admin=False)


def test_the_account_lists_other_open_tickets_oldest_first_and_the_last_closed_newest_first(db: Database) -> None:
    desk = SqlHelpdesk(db, clock=FakeClock(), workspace_id=HOME)
    elsewhere = SqlHelpdesk(db, clock=FakeClock(), workspace_id="TELSEWHERE")  # another install's workspace
    tickets = [ticket_of(desk, f"UACME{i}", ACME, FrontDoor(SHARED, ts())) for i in range(12)]
    for ticket in tickets[:5]:
        closed(desk, ticket)
    cancelled = ticket_of(desk, "UACME0", ACME, FrontDoor(SHARED, ts()))
    desk.cancel_waiting(cancelled.customer.user_id, cancelled.id, cancelled.customer.door)
    ticket_of(desk, "UGLOBEX", "TGLOBEX", FrontDoor("DGLOBEX"), org="Globex")
    ticket_of(elsewhere, "UACMEX", ACME, FrontDoor(SHARED, ts()))
    home = ticket_of(desk, "UHOME", HOME, FrontDoor("DHOME"), org=None)

    current = tickets[-1]
    history = desk.account_history(current)

    assert history is not None and history.org_name == "Acme"
    others_open = [t.id for t in tickets[5:-1]]  # 6 other open tickets: the first 5 shown, oldest first
    assert history.open_total == len(others_open) == OPEN_SHOWN + 1
    assert [t.id for t in history.open_tickets] == others_open[:OPEN_SHOWN]
    assert [t.id for t in history.closed_tickets] == [t.id for t in reversed(tickets[2:5])]  # last closed first
    assert len(history.closed_tickets) == CLOSED_SHOWN
    assert all(t.state is TicketState.WAITING for t in history.open_tickets)
    assert all(t.state is TicketState.CLOSED and t.closed_at for t in history.closed_tickets)
    assert history.open_tickets[0].message_channel_id == SUPPORT_CHANNEL and history.open_tickets[0].message_ts
    assert desk.account_history(home) is None  # a customer of the installing team has no account


def test_the_queue_of_an_organisation_keeps_places_in_the_whole_queue(db: Database) -> None:
    desk = SqlHelpdesk(db, clock=FakeClock(), workspace_id=HOME)
    acme_1 = ticket_of(desk, "UACME1", ACME, FrontDoor("DACME1"), org="Acme Corp")
    ticket_of(desk, "UGLOBEX", "TGLOBEX", FrontDoor("DGLOBEX"), org="Globex")
    acme_2 = ticket_of(desk, "UACME2", ACME, FrontDoor(SHARED, ts()), org="ACME CORP")  # renamed meanwhile
    closed(desk, acme_1)

    orgs, snapshot = desk.org_queue("acme corp")

    assert orgs.matched == ("ACME CORP",) and orgs.waiting == ("ACME CORP", "Globex")
    assert [(e.position, e.ticket.id) for e in snapshot.entries] == [(2, acme_2.id)]
    assert snapshot.total == 1
    orgs, snapshot = desk.org_queue("Initech")
    assert orgs.matched == () and snapshot.total == 0 and snapshot.entries == ()


def test_an_account_and_its_queue_are_its_team_named_or_not(db: Database) -> None:
    desk = SqlHelpdesk(db, clock=FakeClock(), workspace_id=HOME)
    named = ticket_of(desk, "UACME1", ACME, FrontDoor("DACME1"), org="Acme Corp")
    unnamed = ticket_of(desk, "UACME2", ACME, FrontDoor("DACME2"), org=None)  # team.info failed for it
    initech = ticket_of(desk, "UINITECH", "TINITECH", FrontDoor("DINITECH"), org=None)
    ticket_of(desk, "UHOME", HOME, FrontDoor("DHOME"), org=None)  # of the installing team: no organisation

    # By a name: the whole team, its conversation Slack had not named too.
    orgs, snapshot = desk.org_queue("acme corp")
    assert (orgs.matched, orgs.teams) == (("Acme Corp",), (ACME,))
    assert [e.ticket.id for e in snapshot.entries] == [named.id, unnamed.id]
    assert (orgs.waiting, orgs.unnamed) == (("Acme Corp",), ("TINITECH",))
    # By a team ID: an organisation Slack has not named, or a named one; never the installing team.
    orgs, snapshot = desk.org_queue("tinitech")
    assert (orgs.matched, orgs.teams, orgs.matched_unnamed) == ((), ("TINITECH",), ("TINITECH",))
    assert [e.ticket.id for e in snapshot.entries] == [initech.id]
    assert desk.org_queue(ACME)[0].matched == ("Acme Corp",)
    assert desk.org_queue(HOME)[0].teams == ()
    # The account of the unnamed conversation is the team's, with no name to show.
    history = desk.account_history(unnamed)
    assert history is not None and history.org_name is None
    assert [t.id for t in history.open_tickets] == [named.id]
    assert unnamed.customer.external and unnamed.customer.org_unknown


# -- how the ticket message shows it ---------------------------------------------------------------


def test_a_long_history_of_hostile_names_stays_within_slacks_limits() -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    door = FrontDoor(SHARED, "1700000000.000100")
    hostile = "<!channel> <https://evil.example|Acme IT> " + "\u202e" + "x" * 500
    listed = tuple(
        AccountTicket(i, TicketState.WAITING, hostile, door, now, link=f"https://fake.slack.com/archives/C/p{i}")
        for i in range(OPEN_SHOWN)
    )
    ended = tuple(AccountTicket(100 + i, TicketState.CLOSED, hostile, FrontDoor("D1"), now, now) for i in range(3))
    account = AccountHistory(hostile, listed, 250, ended)
    customer = TicketCustomer(EXTERNAL_CUSTOMER, door, EXTERNAL_TEAM, "Erin", None, hostile)
    ticket = TicketView(7, 1, TicketState.WAITING, "menu", customer, now)

    rendered = ticket_message(ticket, [], account=account)

    [section] = [b for b in rendered.blocks if b.get("text", {}).get("text", "").startswith("*Account*")]
    text = section["text"]["text"]
    assert len(text) <= SECTION_LIMIT and len(rendered.blocks) <= 50
    assert "<!channel>" not in text and "<https://evil" not in text and "\u202e" not in text
    assert "…and 245 more open" in text and text.count("• ") == OPEN_SHOWN + 3, text
