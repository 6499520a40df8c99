"""`/handoff-queue` (issue 18) through the signed Slack edge, against the fake Slack: pages and their
buttons, options combined in any order, who could take each ticket, `mine`, Claim and an admin's
Assign from a line (the page refreshes after both), forged button values, and the refusals.

Waiting tickets are opened with the helpdesk's own step (core.customer_intake, on the app's
database) where a test needs many of them; the rest go through the Slack edge.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from handoff_slack.blocks.action_ids import (
    QUEUE_ASSIGN,
    QUEUE_ASSIGN_FORM,
    QUEUE_ASSIGN_TARGET,
    QUEUE_CLAIM,
    QUEUE_NEXT,
    QUEUE_PREVIOUS,
    QUEUE_REFRESH,
)
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer, CustomerMessageAction
from handoff_slack.core.priority import Priority
from handoff_slack.core.queue_filter import PAGE_SIZE
from handoff_slack.core.states import TicketState
from handoff_slack.listeners.actions.queue_buttons import NOT_ADMIN, NOT_OURS
from handoff_slack.listeners.commands.handoff_queue import REFUSAL
from handoff_slack.listeners.commands.queue_arguments import BAD_PAGE, USAGE
from tests.conftest import AGENT, AGENT_2, CUSTOMER, EXTERNAL_CUSTOMER, EXTERNAL_TEAM, OUTSIDER
from tests.support.app_under_test import ADMIN, SUPPORT_CHANNEL, AppUnderTest
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import block_text, wait_for_ticket_update, waiting_ticket
from tests.support.waiting import wait_until
from tests.test_accounts import HOME, escalate_in_dm

_names = itertools.count()
_ts = itertools.count(1)
LINE = re.compile(r"^\*#(\d+)\*.* · ticket (\d+)\n", re.S)


def run(app: AppUnderTest, fake: FakeSlack, text: str, user: str = AGENT) -> Call:
    """`user` runs `/handoff-queue text` in the support channel: the answer at its response_url."""
    name = f"queue-{next(_names)}"
    reply = app.slack.slash_command("/handoff-queue", text, user, SUPPORT_CHANNEL, fake.response_url(name))
    assert (reply.status, reply.body) == (200, ""), reply
    (answer,) = fake.wait_for(f"response_url:{name}")
    assert answer.params.get("response_type") == "ephemeral"
    return answer


def press(app: AppUnderTest, fake: FakeSlack, user: str, action_id: str, value: str) -> Call:
    """`user` presses a button of an ephemeral queue page: what the app posts to its response_url."""
    name = f"press-{next(_names)}"
    reply = app.slack.block_action(
        user,
        action_id,
        value,
        channel_id=SUPPORT_CHANNEL,
        response_url=fake.response_url(name),
        is_ephemeral=True,
        trigger_id=f"trigger-{name}",
    )
    assert reply.status == 200, reply
    return fake.wait_for(f"response_url:{name}")[0]


def button(answer: Call, action_id: str, index: int = 0) -> dict[str, Any]:
    found = [
        element
        for block in answer.params.get("blocks") or []
        for element in (block.get("elements", []) if block["type"] == "actions" else [block.get("accessory")])
        if element and element.get("action_id") == action_id
    ]
    return found[index]


def lines(answer: Call) -> list[tuple[int, int]]:
    """(position, ticket ID) of each line of a page."""
    found = []
    for block in answer.params.get("blocks") or []:
        matched = LINE.match(block.get("text", {}).get("text", "")) if block["type"] == "section" else None
        if matched:
            found.append((int(matched.group(1)), int(matched.group(2))))
    return found


def eligible_line(answer: Call, ticket_id: int) -> str:
    for block in answer.params.get("blocks") or []:
        text = block.get("text", {}).get("text", "") if block["type"] == "section" else ""
        if f"· ticket {ticket_id}\n" in text:
            return text.split("\n", 1)[1]
    raise AssertionError(f"ticket {ticket_id} is not on the page")


def open_tickets(app: AppUnderTest, fake: FakeSlack, count: int) -> list[int]:
    """`count` customers ask for a person (the helpdesk's own step): their tickets, oldest first."""
    found = []
    for _ in range(count):
        n = next(_ts)
        user = f"UQ{n:05d}"
        fake.add_user(user, name=f"q{n}", real_name=f"Queued {n}")
        outcome = app.helpdesk.receive_customer_message(
            Customer(user, FrontDoor(f"D{user}"), HOME), f"1700000000.{n:06d}", "I need a human please"
        )
        assert outcome.action is CustomerMessageAction.ESCALATED, outcome
        found.append(outcome.ticket_id)
    return found


def set_status(app: AppUnderTest, fake: FakeSlack, user: str, text: str) -> None:
    name = f"status-{next(_names)}"
    reply = app.slack.slash_command("/handoff-status", text, user, SUPPORT_CHANNEL, fake.response_url(name))
    assert reply.status == 200, reply
    assert "status is now" in fake.wait_for(f"response_url:{name}")[0].params["text"]


# -- pages ---------------------------------------------------------------------------------------


def test_the_queue_pages_through_its_tickets_in_order(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    tickets = open_tickets(app, fake_slack, 2 * PAGE_SIZE + 3)
    urgent = (tickets[5], tickets[17])
    for ticket_id in urgent:
        app.helpdesk.set_priority(ticket_id, Priority.URGENT, AGENT)
    in_order = [*urgent, *(t for t in tickets if t not in urgent)]

    first = run(app, fake_slack, "")
    assert first.params["text"].startswith(f"Waiting tickets: {len(tickets)}")
    assert lines(first) == list(enumerate(in_order[:PAGE_SIZE], start=1))
    assert "Page 1 of 3" in block_text(first.params["blocks"])
    assert ":rotating_light: urgent" in block_text(first.params["blocks"])

    second = press(app, fake_slack, AGENT, QUEUE_NEXT, button(first, QUEUE_NEXT)["value"])
    assert second.params["replace_original"] is True and second.params["response_type"] == "ephemeral"
    assert lines(second) == list(enumerate(in_order[PAGE_SIZE : 2 * PAGE_SIZE], start=PAGE_SIZE + 1))
    third = press(app, fake_slack, AGENT, QUEUE_NEXT, button(second, QUEUE_NEXT)["value"])
    assert lines(third) == list(enumerate(in_order[2 * PAGE_SIZE :], start=2 * PAGE_SIZE + 1))
    assert not [b for b in third.params["blocks"] if QUEUE_NEXT in str(b)]  # the last page
    back = press(app, fake_slack, AGENT, QUEUE_PREVIOUS, button(third, QUEUE_PREVIOUS)["value"])
    assert lines(back) == lines(second)

    # `page N` asks for one at once; beyond the end, the answer says so and leads back.
    assert lines(run(app, fake_slack, "page 3")) == lines(third)
    beyond = run(app, fake_slack, "PAGE 4")
    assert beyond.params["text"] == f"There is no page 4: the {len(tickets)} waiting tickets fill 3."
    assert lines(press(app, fake_slack, AGENT, QUEUE_PREVIOUS, button(beyond, QUEUE_PREVIOUS)["value"])) == lines(third)

    # Refresh shows the page as it is now: a ticket claimed meanwhile has left it.
    app.helpdesk.claim(in_order[0], AGENT_2)
    fresh = press(app, fake_slack, AGENT, QUEUE_REFRESH, button(first, QUEUE_REFRESH)["value"])
    assert lines(fresh) == list(enumerate(in_order[1 : PAGE_SIZE + 1], start=1))


def test_options_combine_in_any_order(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    home = open_tickets(app, fake_slack, 2)
    erin = escalate_in_dm(app, fake_slack, EXTERNAL_CUSTOMER, EXTERNAL_TEAM)
    set_status(app, fake_slack, AGENT, "available")

    for text in ("org:acme corp mine", "mine org:ACME  Corp", 'mine page 1 org:"Acme Corp"', "org: “acme corp” mine"):
        answer = run(app, fake_slack, text)
        assert answer.params["text"].startswith("Waiting tickets from Acme Corp: 1"), (text, answer.params["text"])
        assert lines(answer) == [(3, erin.ticket_id)], text  # its place in the whole queue
        listing = block_text(answer.params["blocks"])
        assert "org “acme corp”" in listing.lower() and "yours to take" in listing and "3 waiting in all" in listing
        # The page's buttons carry the options: Claim brings back the same cut.
        assert button(answer, QUEUE_CLAIM)["value"] == f'{erin.ticket_id} org:"{text_org(text)}" mine'
    assert lines(run(app, fake_slack, "")) == [(1, home[0]), (2, home[1]), (3, erin.ticket_id)]

    # Language and skill filters are read, checked and applied (tests/test_queue_filters.py): these
    # tickets have no language and need no skill.
    answer = run(app, fake_slack, "skill:Billing lang:DE,pt-br mine")
    assert answer.params["text"] == (
        "No waiting tickets match language de or pt-BR, skill billing, yours to take. "
        "3 waiting in all (`/handoff-queue` shows them)."
    )


def text_org(text: str) -> str:
    """The organisation as the command named it (what a button carries back)."""
    found = re.search(r"org:\s*[\"“]?(.*?)[\"”]?(?: mine|$| page)", text, re.I)
    assert found is not None
    return " ".join(found.group(1).split())


def test_bad_arguments_get_the_problem_the_usage_and_an_example(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    open_tickets(app, fake_slack, 1)
    answers = {
        text: run(app, fake_slack, text).params["text"]
        for text in (
            "page 0",
            "page two",
            "page 10001",
            "lang:",
            "lang:klingon",
            "skill:bill!ng",
            "mine mine lang:de lang:fr",
        )
    }
    assert answers["page 0"] == answers["page two"] == answers["page 10001"] == BAD_PAGE
    assert answers["lang:"].startswith("Which? Write them after `lang:`, e.g. `/handoff-queue lang:de,fr`")
    assert answers["lang:klingon"].startswith("“klingon” after `lang:`: languages are codes like de, fr or pt-BR")
    assert answers["skill:bill!ng"].startswith("“bill!ng” after `skill:`: skills are tags like billing")
    assert answers["mine mine lang:de lang:fr"].startswith("`lang:` is there twice")
    for text in answers.values():
        assert text.endswith(USAGE) and "ticket" not in text.split("Usage:")[0].lower()

    helped = run(app, fake_slack, "mine help")
    assert helped.params["blocks"][0]["text"]["text"] == USAGE
    for option in ("`org:<name>`", "`lang:<codes>`", "`skill:<tags>`", "`mine`", "`page N`", "`help`"):
        assert option in USAGE


# -- who could take each ticket ------------------------------------------------------------------


def test_each_line_names_who_could_take_it_now(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    crew = [f"UCREW{i}" for i in range(4)]
    for user in crew:
        fake_slack.add_user(user, name=user.lower(), real_name=f"Crew {user}")
    fake_slack.set_members(SUPPORT_CHANNEL, [AGENT, AGENT_2, *crew])
    first, second = open_tickets(app, fake_slack, 2)

    answer = run(app, fake_slack, "")
    assert eligible_line(answer, first) == (
        "Could take it now: nobody "
        "(everyone is away, offline, full or not a match for its language, skills or time zone)"
    )

    set_status(app, fake_slack, AGENT, "available capacity 1")
    set_status(app, fake_slack, AGENT_2, "available")
    assert eligible_line(run(app, fake_slack, ""), first) == f"Could take it now: <@{AGENT}>, <@{AGENT_2}>"

    # Capacity full: Alice takes one conversation of her one, and is no longer named.
    app.helpdesk.claim(first, AGENT)
    assert eligible_line(run(app, fake_slack, ""), second) == f"Could take it now: <@{AGENT_2}>"

    # Many: three named (the least busy first), the rest counted; away agents are not named.
    for user in crew:
        set_status(app, fake_slack, ADMIN, f"<@{user}> available")
    set_status(app, fake_slack, ADMIN, f"<@{crew[0]}> away")
    line = eligible_line(run(app, fake_slack, ""), second)
    assert line == f"Could take it now: <@{AGENT_2}>, <@{crew[1]}>, <@{crew[2]}> +1 more", line


def test_mine_lists_what_the_agent_could_take_now(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    first, second = open_tickets(app, fake_slack, 2)

    offline = run(app, fake_slack, "mine")
    assert offline.params["text"].startswith("You are not available, so no ticket is yours to take now")
    assert not lines(offline)

    set_status(app, fake_slack, AGENT, "available capacity 1")
    assert lines(run(app, fake_slack, "mine")) == [(1, first), (2, second)]

    app.helpdesk.claim(first, AGENT)
    full = run(app, fake_slack, "mine")
    assert full.params["text"].startswith("You are at your capacity, so no ticket is yours to take now")
    assert lines(run(app, fake_slack, "")) == [(1, second)]  # the whole queue still shows


# -- Claim and Assign on a line ----------------------------------------------------------------


def test_claim_from_a_line_takes_the_ticket_and_refreshes_the_page(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    tickets = open_tickets(app, fake_slack, 3)
    page = run(app, fake_slack, "page 1")

    after = press(app, fake_slack, AGENT, QUEUE_CLAIM, button(page, QUEUE_CLAIM, 1)["value"])

    claimed = app.helpdesk.ticket(tickets[1])
    assert (claimed.state, claimed.agent_user_id) == (TicketState.CONNECTED, AGENT)
    assert after.params["replace_original"] is True
    assert f"You claimed ticket {tickets[1]}" in block_text(after.params["blocks"])
    assert lines(after) == [(1, tickets[0]), (2, tickets[2])]

    # Pressed again (another agent's stale page): nothing changes, and the page says why.
    again = press(app, fake_slack, AGENT_2, QUEUE_CLAIM, button(page, QUEUE_CLAIM, 1)["value"])
    assert f"Ticket {tickets[1]} was already claimed by <@{AGENT}>." in block_text(again.params["blocks"])
    assert app.helpdesk.ticket(tickets[1]).agent_user_id == AGENT


def test_an_admin_assigns_a_line_to_an_agent_and_the_page_refreshes(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    first, second = open_tickets(app, fake_slack, 2)
    set_status(app, fake_slack, AGENT_2, "available")
    agents_page = run(app, fake_slack, "", user=AGENT)
    assert not [b for b in agents_page.params["blocks"] if QUEUE_ASSIGN in str(b)]  # agents see Claim only

    page = run(app, fake_slack, "", user=ADMIN)
    value = button(page, QUEUE_ASSIGN, 1)["value"]
    assert value == str(second)
    name = f"assign-{next(_names)}"
    reply = app.slack.block_action(
        ADMIN,
        QUEUE_ASSIGN,
        value,
        channel_id=SUPPORT_CHANNEL,
        response_url=fake_slack.response_url(name),
        trigger_id=fake_slack.issue_trigger(ADMIN),
        is_ephemeral=True,
    )
    assert reply.status == 200
    opened = fake_slack.wait_for("views.open")[0].params["view"]
    assert opened["callback_id"] == QUEUE_ASSIGN_FORM
    assert f"Could take it now: <@{AGENT_2}>" in block_text(opened["blocks"])
    picker = next(b for b in opened["blocks"] if b.get("block_id") == QUEUE_ASSIGN_TARGET)
    assert picker["element"]["initial_user"] == AGENT_2  # the least busy who could take it, picked first

    # Someone who is not an agent is refused in the modal itself.
    chosen = {QUEUE_ASSIGN_TARGET: {QUEUE_ASSIGN_TARGET: {"type": "users_select", "selected_user": OUTSIDER}}}
    refused = app.slack.view_submission(ADMIN, QUEUE_ASSIGN_FORM, chosen, private_metadata=opened["private_metadata"])
    assert refused.status == 200 and "errors" in refused.body
    assert app.helpdesk.ticket(second).state is TicketState.WAITING

    chosen[QUEUE_ASSIGN_TARGET][QUEUE_ASSIGN_TARGET]["selected_user"] = AGENT_2
    sent = app.slack.view_submission(ADMIN, QUEUE_ASSIGN_FORM, chosen, private_metadata=opened["private_metadata"])
    assert sent.status == 200
    refreshed = fake_slack.wait_for(f"response_url:{name}")[0]
    assert refreshed.params["replace_original"] is True
    assert f"Ticket {second} is now with <@{AGENT_2}>." in block_text(refreshed.params["blocks"])
    assert lines(refreshed) == [(1, first)]
    assigned = app.helpdesk.ticket(second)
    assert (assigned.state, assigned.agent_user_id) == (TicketState.CONNECTED, AGENT_2)
    wait_until(lambda: any(e.action == "assign" for e in app.app.services.audit.entries(ticket_id=second)))


def test_assign_is_refused_politely_to_agents_who_are_not_admins(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    (ticket,) = open_tickets(app, fake_slack, 1)

    answer = press(app, fake_slack, AGENT, QUEUE_ASSIGN, str(ticket))
    assert answer.params["text"] == NOT_ADMIN
    # A forged modal from an agent changes nothing either.
    chosen = {QUEUE_ASSIGN_TARGET: {QUEUE_ASSIGN_TARGET: {"type": "users_select", "selected_user": AGENT}}}
    metadata = f'{{"ticket": {ticket}, "state": "", "url": null}}'
    assert app.slack.view_submission(AGENT, QUEUE_ASSIGN_FORM, chosen, private_metadata=metadata).status == 200
    fake_slack.wait_for("chat.postEphemeral", lambda c: c.params.get("text") == NOT_ADMIN)
    assert not fake_slack.calls("views.open")
    assert app.helpdesk.ticket(ticket).state is TicketState.WAITING


# -- forged values and outsiders ------------------------------------------------------------------


@pytest.mark.parametrize(
    "action_id",
    [QUEUE_CLAIM, QUEUE_NEXT],
)
def test_forged_button_values_change_nothing(app: AppUnderTest, fake_slack: FakeSlack, action_id: str) -> None:
    (ticket,) = open_tickets(app, fake_slack, 1)
    forged = ["", "x", f"{ticket} org:", f"{ticket} page 0", "٣", f"{ticket} <!channel>", "9" * 30, "page 1 " * 400]
    if action_id == QUEUE_NEXT:
        forged.remove("٣")  # (a page button's value is options only; covered by the others)
    for value in forged:
        answer = press(app, fake_slack, AGENT, action_id, value)
        assert answer.params["text"] == NOT_OURS, (value, answer.params)
    assert app.helpdesk.ticket(ticket).state is TicketState.WAITING


def test_outsiders_get_the_same_refusal_for_every_button(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    (ticket,) = open_tickets(app, fake_slack, 1)
    for action_id in (QUEUE_CLAIM, QUEUE_ASSIGN, QUEUE_NEXT, QUEUE_PREVIOUS, QUEUE_REFRESH):
        answer = press(app, fake_slack, OUTSIDER, action_id, f"{ticket}")
        assert answer.params["text"] == REFUSAL and not answer.params.get("blocks")
    assert run(app, fake_slack, "mine org:acme page 2", user=OUTSIDER).params["text"] == REFUSAL
    assert app.helpdesk.ticket(ticket).state is TicketState.WAITING
    assert not fake_slack.calls("views.open")


def test_a_claim_from_the_queue_shows_on_the_ticket_message(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    page = run(app, fake_slack, "")
    press(app, fake_slack, AGENT, QUEUE_CLAIM, button(page, QUEUE_CLAIM)["value"])
    wait_for_ticket_update(fake_slack, ticket, f"Claimed by <@{AGENT}>")


def test_an_assign_sent_after_the_ticket_was_claimed_leaves_it_with_its_owner(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    (ticket,) = open_tickets(app, fake_slack, 1)
    page = run(app, fake_slack, "", user=ADMIN)
    name = f"assign-{next(_names)}"
    app.slack.block_action(
        ADMIN,
        QUEUE_ASSIGN,
        button(page, QUEUE_ASSIGN)["value"],
        channel_id=SUPPORT_CHANNEL,
        response_url=fake_slack.response_url(name),
        trigger_id=fake_slack.issue_trigger(ADMIN),
        is_ephemeral=True,
    )
    opened = fake_slack.wait_for("views.open")[0].params["view"]
    app.helpdesk.claim(ticket, AGENT)  # while the admin's modal is open

    chosen = {QUEUE_ASSIGN_TARGET: {QUEUE_ASSIGN_TARGET: {"type": "users_select", "selected_user": AGENT_2}}}
    app.slack.view_submission(ADMIN, QUEUE_ASSIGN_FORM, chosen, private_metadata=opened["private_metadata"])

    refreshed = fake_slack.wait_for(f"response_url:{name}")[0]
    said = block_text(refreshed.params.get("blocks")) + refreshed.params["text"]
    assert f"Ticket {ticket} was claimed by <@{AGENT}> meanwhile, so nothing changed." in said
    assert app.helpdesk.ticket(ticket).agent_user_id == AGENT
