"""Routing in the sandbox, in a real headless browser (as test_sandbox_browser.py): the sandbox runs
round robin and its agents start available, so a customer's escalation is offered to Agent 1 by DM;
the ticket message in #support says so; Accept in Agent 1's own DM connects the customer. The agents'
and admins' commands answer from the composer.

Without Playwright or chromium the tests skip with the reason; with HANDOFF_REQUIRE_BROWSER=1 they
fail instead.
"""

from __future__ import annotations

import pytest

from tests.sandbox.test_sandbox_browser import TIMEOUT_MS, Person, person, sandbox

pytestmark = pytest.mark.slow
__all__ = ["person", "sandbox"]  # the fixtures, for this module's own sandbox

WAITING_ON = "waiting for an answer"


def answered_privately(person: Person, pane: str, command: str, contains: str) -> None:
    """`command` typed in the pane's composer; its answer shows only to the one who ran it."""
    before = person.page.locator(f"#{pane}-messages .message.ephemeral").count()
    person.send(pane, command)
    answers = person.page.locator(f"#{pane}-messages .message.ephemeral")
    person.expect(answers).to_have_count(before + 1, timeout=TIMEOUT_MS)
    person.expect(answers.last).to_contain_text(contains, timeout=TIMEOUT_MS)


def test_an_escalation_is_offered_to_an_agent_who_accepts_it_in_their_dm(person: Person) -> None:
    page, expect = person.page, person.expect

    # Customer 1 asks for a person and sends the triage form.
    person.become("UCUST1")
    person.send("dm", "I need a human please")
    person.shows(person.dm, "Fill in the form")
    person.dm.get_by_role("button", name="Fill in the form").last.click()
    modal = page.locator(".modal")
    expect(modal).to_be_visible(timeout=TIMEOUT_MS)
    modal.locator('[data-block-id="problem"] textarea').fill("My order #42 never arrived")
    modal.get_by_role("button", name="Send").click()
    expect(modal).to_be_hidden(timeout=TIMEOUT_MS)

    # The ticket message says who it is offered to (Agent 1: round robin's first).
    ticket = person.message(person.channel, "Support request #1")
    person.shows(ticket, f"Offered to @Alice Agent, {WAITING_ON}")

    # An admin raises its priority meanwhile; the ticket message shows it.
    person.become("UADMIN")
    answered_privately(person, "channel", "/handoff-priority 1 urgent", "urgent")
    person.shows(ticket, "urgent")

    # Agent 1 opens their own DM with the app: the offer is there, with Accept / Decline.
    person.become("UAGENT1")
    page.locator("#dm-customer").select_option("UAGENT1")
    expect(page.locator("#dm-title")).to_contain_text("Alice Agent")
    offer = person.message(person.dm, "is offered to you")
    person.shows(offer, "Decline")
    person.shot("offer-in-agent-dm")
    offer.get_by_role("button", name="Accept").click()
    person.shows(person.dm, "You accepted ticket #1")
    expect(person.dm.get_by_role("button", name="Accept")).to_have_count(0, timeout=TIMEOUT_MS)
    person.shows(ticket, "Claimed by")
    expect(ticket).not_to_contain_text(WAITING_ON, timeout=TIMEOUT_MS)

    # The customer is connected: Agent 1's reply in the ticket's thread reaches her DM.
    ticket.hover()
    ticket.locator('[data-tool="reply"]').click()
    person.send("channel", "Hi Jane, it's Alice: I took your ticket.")
    person.become("UCUST1")
    person.shows(person.dm, "You are now talking with")
    person.shows(person.dm, "Hi Jane, it's Alice: I took your ticket.")
    person.shot("customer-connected-after-accept")


@pytest.mark.parametrize(
    ("who", "command", "contains"),
    [
        ("UAGENT2", "/handoff-status", "available"),
        ("UAGENT2", "/handoff-agents", "Alice Agent"),
        ("UAGENT2", "/handoff-queue help", "Usage:"),
        ("UAGENT2", "/handoff-priority help", "Usage:"),
        ("UADMIN", "/handoff-assign help", "Usage:"),
    ],
)
def test_the_agents_commands_answer_from_the_composer(person: Person, who: str, command: str, contains: str) -> None:
    person.become(who)
    answered_privately(person, "channel", command, contains)
