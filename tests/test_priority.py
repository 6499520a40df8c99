"""Ticket priority through the signed Slack edge (SQLite and PostgreSQL): `/handoff-priority`, the
VIP list and triage rules of the bot's YAML file, a frustrated waiting customer, the queue's order
and the places customers are told; and exact places under racing joins, cancels, claims and
priority changes on the core.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from handoff_slack.blocks.action_ids import QUEUE_CLAIM
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer, CustomerMessageAction
from handoff_slack.core.priority import Priority
from handoff_slack.core.queue_priority import PriorityResult
from handoff_slack.core.states import TicketState
from handoff_slack.listeners.commands.handoff_priority import REFUSAL, USAGE
from handoff_slack.storage.database import Database
from handoff_slack.storage.helpdesk_store import SqlHelpdesk
from tests.conftest import AGENT, CUSTOMER, CUSTOMER_2, EXTERNAL_CUSTOMER, EXTERNAL_TEAM, OUTSIDER
from tests.support.app_under_test import ADMIN, SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import (
    TicketPost,
    ask_for_queue,
    block_text,
    claim_and_wait,
    dm,
    dm_posts,
    posted_to,
    ticket_updates,
    wait_for_dm,
    wait_for_new_ticket,
    wait_for_ticket_update,
    waiting_ticket,
)
from tests.support.migrated_template import from_migrated_template
from tests.support.slack_requests import dm_message

COMMAND = "/handoff-priority"


def run_priority(app: AppUnderTest, fake: FakeSlack, user: str, text: str, name: str) -> Call:
    """`user` runs /handoff-priority `text` in the support channel; the answer sent to its response_url."""
    reply = app.slack.slash_command(COMMAND, text, user, SUPPORT_CHANNEL, fake.response_url(name))
    assert (reply.status, reply.body) == (200, ""), reply
    answer = fake.wait_for(f"response_url:{name}")[0]
    assert answer.params["response_type"] == "ephemeral"
    return answer


def queue_values(app: AppUnderTest, fake: FakeSlack, name: str) -> list[tuple[str, str]]:
    """The /handoff-queue lines: (ticket ID on the Claim button, the line's text)."""
    answer = ask_for_queue(app, fake, AGENT, name)
    entries = [b for b in answer.params["blocks"] if b.get("accessory")]
    assert all(b["accessory"]["action_id"] == QUEUE_CLAIM for b in entries)
    return [(b["accessory"]["value"], b["text"]["text"]) for b in entries]


def stored(app: AppUnderTest, ticket: TicketPost) -> Any:
    found = app.helpdesk.ticket(ticket.ticket_id)
    assert found is not None
    return found


# -- /handoff-priority -----------------------------------------------------------------------------


def test_an_agent_raises_a_ticket_to_the_front_and_only_its_customer_hears(app, fake_slack) -> None:
    first = waiting_ticket(app, fake_slack, CUSTOMER)
    second = waiting_ticket(app, fake_slack, CUSTOMER_2)
    dms_to_first = len(dm_posts(fake_slack, CUSTOMER))

    answer = run_priority(app, fake_slack, AGENT, f"#{second.ticket_id} urgent", "raise")

    assert answer.params["text"] == (
        f"Ticket {second.ticket_id} is now *urgent* (was normal): #1 in the queue. "
        "The customer was told their new place."
    )
    (audited,) = app.app.services.audit.entries(ticket_id=second.ticket_id, action="priority")
    assert (audited.actor_user_id, audited.details) == (AGENT, {"from": "normal", "to": "urgent"})
    moved = wait_for_dm(fake_slack, CUSTOMER_2, "moved up in the queue")
    assert "You are now *#1*" in moved.params["text"]
    assert "Cancel" in block_text(moved.params["blocks"])  # the waiting notice's button, as every queue notice
    update = wait_for_ticket_update(fake_slack, second, ":rotating_light: urgent (set by <@UAGENT1>)")
    assert "*Priority*" in block_text(update.params["blocks"]) and "urgent priority" in update.params["text"]
    assert [value for value, _ in queue_values(app, fake_slack, "q")] == [str(second.ticket_id), str(first.ticket_id)]
    # Moved back from #1 to #2, the first customer is not messaged; their next notice says #2.
    assert len(dm_posts(fake_slack, CUSTOMER)) == dms_to_first
    assert ticket_updates(fake_slack, first) == []
    dm(app, CUSTOMER, "any news?")
    assert "*#2* in the queue" in wait_for_dm(fake_slack, CUSTOMER, "still waiting").params["text"]


def test_lowering_or_repeating_a_level_tells_no_customer(app, fake_slack) -> None:
    first = waiting_ticket(app, fake_slack, CUSTOMER)
    second = waiting_ticket(app, fake_slack, CUSTOMER_2)

    lowered = run_priority(app, fake_slack, ADMIN, f"{first.ticket_id} LOW", "low")  # admins may too; any case
    again = run_priority(app, fake_slack, AGENT, f"{first.ticket_id} low", "again")

    assert lowered.params["text"] == f"Ticket {first.ticket_id} is now *low* (was normal): #2 in the queue."
    assert again.params["text"] == f"Ticket {first.ticket_id} was already *low*; it stays so (#2 in the queue)."
    wait_for_ticket_update(fake_slack, first, ":small_blue_diamond: low (set by <@UAGENT1>)")
    lines = queue_values(app, fake_slack, "q")
    assert [value for value, _ in lines] == [str(second.ticket_id), str(first.ticket_id)]
    assert lines[1][1].startswith("*#2* · :small_blue_diamond: low · Jane")
    assert lines[0][1].startswith("*#1* · Omar Second")  # normal is not shown
    for customer in (CUSTOMER, CUSTOMER_2):
        assert [c for c in dm_posts(fake_slack, customer) if "moved up" in c.params["text"]] == []


def test_non_agents_get_the_same_polite_refusal_whatever_they_type(app, fake_slack) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)

    # One app for all: a refusal changes nothing, so no attempt sees another's effect.
    for number, text in enumerate(["", "help", "1 urgent", "<!channel> please"]):
        answer = run_priority(app, fake_slack, OUTSIDER, text, f"outsider-{number}")

        assert answer.params["text"] == REFUSAL, text
        assert stored(app, ticket).priority is Priority.NORMAL, text


BAD_ARGUMENTS = [
    ("help", USAGE),
    ("  ", USAGE),
    ("12", "I need a ticket number and a level, got “12”. " + USAGE),
    ("urgent 12", "“urgent” is not a ticket number. " + USAGE),
    ("12 critical", "“critical” is not a priority level. " + USAGE),
    ("99999999999999999999 high", "“99999999999999999999” is not a ticket number. " + USAGE),
    ("١٢ high", "“١٢” is not a ticket number. " + USAGE),
    ("<!channel> <@UAGENT2>", "“&lt;!channel&gt;” is not a ticket number. " + USAGE),
    ("x" * 5000 + " high", "“" + "x" * 40 + "…” is not a ticket number. " + USAGE),
]


def test_a_bad_argument_gets_the_usage_with_an_example(app, fake_slack) -> None:
    # One app for all: a bad argument changes nothing, so no case sees another's effect.
    for number, (text, said) in enumerate(BAD_ARGUMENTS):
        answer = run_priority(app, fake_slack, AGENT, text, f"bad-{number}")

        assert answer.params["text"] == said, text
        assert f"Example: `{COMMAND} 42 urgent`" in said


def test_only_waiting_tickets_have_a_priority_to_set(app, fake_slack) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    claim_and_wait(app, fake_slack, AGENT, ticket)

    claimed = run_priority(app, fake_slack, AGENT, f"{ticket.ticket_id} urgent", "claimed")
    missing = run_priority(app, fake_slack, AGENT, "987654 urgent", "missing")

    assert claimed.params["text"] == (
        f"Ticket {ticket.ticket_id} is not waiting in the queue (claimed, closed or cancelled), so its priority stays."
    )
    assert missing.params["text"] == "There is no ticket 987654."
    assert stored(app, ticket).priority is Priority.NORMAL


# -- where a new ticket's priority comes from (the bot's YAML file) ----------------------------------

PRIORITY_CONFIG: dict[str, Any] = {
    "triage": {
        "mode": "before_handoff",
        "questions": [{"id": "impact", "label": "Impact", "prompt": "How bad is it for you?", "skippable": True}],
    },
    "escalation": {"no_match_limit": 0, "frustration": {"action": "off"}},
    "priority": {
        "triage": [
            {"question": "impact", "answers": ["production is down", "outage"], "level": "urgent"},
            {"question": "impact", "answers": "just curious", "level": "low"},
        ],
        "vip": {"users": [CUSTOMER_2], "organisations": [EXTERNAL_TEAM]},
    },
}


# Moods are read (escalation.frustration.action is not off), but no automatic hand-over by them.
MOODY_CONFIG: dict[str, Any] = {
    "triage": {"mode": "off"},
    "escalation": {"no_match_limit": 0, "frustration": {"action": "offer"}},
}


def running_with(config: dict[str, Any], fake: FakeSlack, database_url: str, tmp_path: Path) -> Iterator[AppUnderTest]:
    path = tmp_path / "bot.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    running = AppUnderTest(settings_for(fake, database_url, HANDOFF_CONFIG=str(path))).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def priority_app(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> Iterator[AppUnderTest]:
    yield from running_with(PRIORITY_CONFIG, fake_slack, database_url, tmp_path)


@pytest.fixture
def moody_app(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> Iterator[AppUnderTest]:
    yield from running_with(MOODY_CONFIG, fake_slack, database_url, tmp_path)


def say(app: AppUnderTest, customer: str, text: str) -> None:
    """A DM from `customer`, from their own team (the Slack Connect customer's organisation's)."""
    reply = app.slack.event(
        dm_message(customer, text, team=EXTERNAL_TEAM if customer == EXTERNAL_CUSTOMER else "T0HOME")
    )
    assert reply.status == 200, reply


def hand_over(app: AppUnderTest, fake: FakeSlack, customer: str, impact: str, tickets_before: int) -> TicketPost:
    say(app, customer, "agent")
    wait_for_dm(fake, customer, "How bad is it for you?")
    say(app, customer, impact)
    return wait_for_new_ticket(fake, tickets_before)


def test_triage_answers_and_the_vip_list_order_the_queue(priority_app, fake_slack) -> None:
    app = priority_app
    curious = hand_over(app, fake_slack, CUSTOMER, "Just CURIOUS about it", 0)
    vip = hand_over(app, fake_slack, CUSTOMER_2, "skip", 1)
    vip_org = hand_over(app, fake_slack, EXTERNAL_CUSTOMER, "skip", 2)
    outage = hand_over(app, fake_slack, OUTSIDER, "our production is down!", 3)  # word endings, case don't matter

    assert "*Priority*\n:small_blue_diamond: low (from the triage answers)" in block_text(curious.call.params["blocks"])
    assert ":small_red_triangle: high (VIP)" in block_text(vip.call.params["blocks"])
    assert ":small_red_triangle: high (VIP)" in block_text(vip_org.call.params["blocks"])
    assert ":rotating_light: urgent (from the triage answers)" in block_text(outage.call.params["blocks"])
    # Each was told its place as it joined: the low ticket first (#1), then the VIPs ahead of it.
    places = [
        (CUSTOMER, "You are *#1* in the queue"),
        (CUSTOMER_2, "You are *#1* in the queue"),
        (EXTERNAL_CUSTOMER, "You are *#2* in the queue"),
        (OUTSIDER, "You are *#1* in the queue"),
    ]
    for customer, place in places:
        assert wait_for_dm(fake_slack, customer, "in the queue").params["text"].count(place) == 1

    lines = queue_values(app, fake_slack, "q")
    assert [value for value, _ in lines] == [str(t.ticket_id) for t in (outage, vip, vip_org, curious)]
    assert [text.split(" · ")[:2] for _, text in lines] == [
        ["*#1*", ":rotating_light: urgent"],
        ["*#2*", ":small_red_triangle: high"],
        ["*#3*", ":small_red_triangle: high"],
        ["*#4*", ":small_blue_diamond: low"],
    ]


# -- a frustrated waiting customer -------------------------------------------------------------------


def test_a_frustrated_message_while_waiting_raises_the_ticket_once(moody_app, fake_slack) -> None:
    app = moody_app
    first = waiting_ticket(app, fake_slack, CUSTOMER)
    second = waiting_ticket(app, fake_slack, CUSTOMER_2)

    dm(app, CUSTOMER_2, "WHY IS NOBODY ANSWERING ME?!")
    told = wait_for_dm(fake_slack, CUSTOMER_2, "still waiting")
    assert "*#1* in the queue" in told.params["text"]
    wait_for_ticket_update(fake_slack, second, "high (raised: sounded frustrated while waiting)")

    dm(app, CUSTOMER_2, "This is ridiculous!!!")
    fake_slack.wait_for("chat.postMessage", posted_to(f"D{CUSTOMER_2}", "still waiting"), count=2)
    assert stored(app, second).priority is Priority.HIGH  # once per ticket: shouting more gains nothing
    dm(app, CUSTOMER, "ok, I'll wait")  # calm: no change
    wait_for_dm(fake_slack, CUSTOMER, "still waiting")
    assert stored(app, first).priority is Priority.NORMAL
    assert [value for value, _ in queue_values(app, fake_slack, "q")] == [str(second.ticket_id), str(first.ticket_id)]


def test_without_reading_moods_nothing_is_raised(app, fake_slack) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)  # the plain hand-off: escalation.frustration.action off

    dm(app, CUSTOMER, "WHY IS NOBODY ANSWERING ME?!")
    wait_for_dm(fake_slack, CUSTOMER, "still waiting")

    assert stored(app, ticket).priority is Priority.NORMAL


def test_frustration_does_not_overrule_an_agents_choice(moody_app, fake_slack) -> None:
    app = moody_app
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    run_priority(app, fake_slack, AGENT, f"{ticket.ticket_id} low", "low")
    wait_for_ticket_update(fake_slack, ticket, "low (set by")

    dm(app, CUSTOMER, "This is RIDICULOUS!!!")
    wait_for_dm(fake_slack, CUSTOMER, "still waiting")

    assert stored(app, ticket).priority is Priority.LOW


# -- exact places under racing changes (the core, on SQLite and PostgreSQL) ---------------------------

RACERS = 8
ROUNDS = 6


@pytest.fixture
def helpdesk(database_url: str) -> Iterator[SqlHelpdesk]:
    from_migrated_template(database_url)
    db = Database(database_url, pool_size=RACERS)
    yield SqlHelpdesk(db)
    db.dispose()


def join(helpdesk: SqlHelpdesk, name: str) -> int:
    customer = Customer(user_id=f"U{name}", door=FrontDoor(f"D{name}"))
    outcome = helpdesk.receive_customer_message(customer, "1700000000.000001", "I need a human please")
    assert outcome.action is CustomerMessageAction.ESCALATED and outcome.ticket_id is not None
    return outcome.ticket_id


def test_places_stay_exact_under_racing_joins_cancels_claims_and_priority_changes(helpdesk: SqlHelpdesk) -> None:
    tickets = [join(helpdesk, f"SEED{i}") for i in range(12)]
    lock = threading.Lock()
    barrier = threading.Barrier(RACERS)
    errors: list[BaseException] = []

    def racer(index: int) -> None:
        chooser = random.Random(index)
        try:
            barrier.wait(timeout=10)
            for round_ in range(ROUNDS):
                with lock:
                    target = chooser.choice(tickets)
                step = (index + round_) % 4
                if step == 0:
                    new = join(helpdesk, f"R{index}X{round_}")
                    with lock:
                        tickets.append(new)
                elif step == 1:
                    helpdesk.set_priority(target, chooser.choice(list(Priority)), f"UAGENT{index}")
                elif step == 2:
                    helpdesk.claim(target, f"UAGENT{index}", "Racer")
                else:
                    view = helpdesk.ticket(target)
                    assert view is not None
                    helpdesk.cancel_waiting(view.customer.user_id, target)
        except BaseException as error:  # reported below, with the thread's own traceback
            errors.append(error)

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []

    queue = helpdesk.queue(limit=1000)
    waiting = [entry.ticket for entry in queue.entries]
    assert queue.total == len(waiting) > 0
    # The queue's order is priority (urgent first), then age; each ticket's place is its rank.
    assert [t.id for t in waiting] == [t.id for t in sorted(waiting, key=lambda t: (-t.priority, t.id))]
    assert [entry.position for entry in queue.entries] == list(range(1, len(waiting) + 1))
    with helpdesk.storage.transaction() as tx:
        assert [tx.tickets.position(t.id) for t in waiting] == list(range(1, len(waiting) + 1))
    assert all(t.state is TicketState.WAITING for t in waiting)
    # A change on a ticket that was claimed or cancelled first changed nothing.
    for ticket_id in tickets:
        view = helpdesk.ticket(ticket_id)
        assert view is not None
        if view.state is not TicketState.WAITING:
            assert helpdesk.set_priority(ticket_id, Priority.URGENT, "ULATE").result is PriorityResult.NOT_WAITING


def test_each_change_says_the_place_the_queue_gives(helpdesk: SqlHelpdesk) -> None:
    first, second, third = (join(helpdesk, f"C{i}") for i in range(3))

    raised = helpdesk.set_priority(third, Priority.HIGH, "UAGENT")
    lowered = helpdesk.set_priority(first, Priority.LOW, "UAGENT")

    assert (raised.result, raised.was, raised.position, raised.customer_told) == (
        PriorityResult.SET,
        Priority.NORMAL,
        1,
        True,
    )
    assert (lowered.position, lowered.customer_told) == (3, False)
    assert [e.ticket.id for e in helpdesk.queue().entries] == [third, second, first]
    helpdesk.claim(third, "UAGENT")
    helpdesk.cancel_waiting("UC1", second)
    with helpdesk.storage.transaction() as tx:
        assert tx.tickets.position(first) == 1
