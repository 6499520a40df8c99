"""The sandbox's "⏩ Time" control, in a real headless browser (as test_sandbox_browser.py): the app's
clock moves forward from the page and its timers fire at once. A customer escalates; 16 minutes on,
the ticket's thread has the reminder and the customer the waiting timeout's offer; "Leave a message
for later" marks the ticket message; once claimed, an hour on both sides are warned that the quiet
conversation closes (idle auto-close is on in the sandbox), 15 minutes more and it is closed, and the
customer rates it.

Without Playwright or chromium the tests skip with the reason; with HANDOFF_REQUIRE_BROWSER=1 they
fail instead.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.sandbox.sandbox_process import SandboxProcess
from tests.sandbox.test_sandbox_browser import TIMEOUT_MS, Person, person, sandbox

pytestmark = pytest.mark.slow
__all__ = ["person", "sandbox"]  # the fixtures, for this module's own sandbox (its clock is moved)


def forward(person: Person, label: str, ahead: str) -> None:
    """Press the time control's button; the page then shows how far the sandbox's clock is ahead."""
    person.page.locator("#time-steps button", has_text=label).click()
    person.expect(person.page.locator("#time-ahead")).to_have_text(ahead, timeout=TIMEOUT_MS)


def post_time(sandbox: SandboxProcess, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        sandbox.url + "api/time", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_moving_the_clock_on_shows_the_reminder_the_waiting_offer_idle_close_and_the_survey(
    person: Person, sandbox: SandboxProcess
) -> None:
    page, expect = person.page, person.expect
    expect(page.locator("#time-ahead")).to_have_text("real time")
    expect(page.locator("#time-steps button")).to_have_text(["+5 min", "+15 min", "+1 h"])

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
    ticket = person.top_level(person.shows(person.channel, "Support request #1"), "Support request #1")
    thread = person.thread_of(person.channel, "Support request #1")
    expect(person.channel).not_to_contain_text("waited unclaimed")  # (its thread has no replies yet)
    expect(person.dm).not_to_contain_text("Sorry for the wait")

    # 16 minutes on: the first reminder (15 min) in the ticket's thread, the waiting timeout's offer
    # (15 min) in the customer's DM.
    forward(person, "+15 min", "+15 min")
    forward(person, "+5 min", "+20 min")
    person.shows(thread, "waited unclaimed")
    offer = person.message(person.shows(person.dm, "Sorry for the wait"), "Sorry for the wait")
    person.shot("time-reminder-and-waiting-offer")

    # She leaves a message for later: her offer says so, the ticket message is marked.
    offer.get_by_role("button", name="Leave a message for later").click()
    person.shows(offer, "You chose to leave a message for later.")
    expect(offer.get_by_role("button", name="Keep waiting")).to_have_count(0, timeout=TIMEOUT_MS)
    person.shows(ticket, "Answer later")
    person.shows(thread, "leave a message to be answered later")

    # Agent 1 claims it and answers; an hour of quiet later both sides are warned.
    person.become("UAGENT1")
    ticket.get_by_role("button", name="Claim").click()
    person.shows(ticket, "Claimed by")
    expect(ticket).not_to_contain_text("Answer later", timeout=TIMEOUT_MS)
    person.reply_in_thread(person.channel, "channel", "Support request #1")
    person.send("channel", "Hi Jane, I'm on it.")
    person.become("UCUST1")
    person.shows(person.dm, "Hi Jane, I'm on it.")
    expect(person.dm).not_to_contain_text("will close in")
    forward(person, "+1 h", "+1 h 20 min")
    person.shows(person.dm, "will close in 10 minutes unless someone writes")
    warning = person.message(person.shows(thread, "closes automatically"), "closes automatically")
    expect(warning.get_by_role("button", name="Snooze")).to_be_visible(timeout=TIMEOUT_MS)
    person.shot("time-idle-warnings")

    # 15 minutes more without a word: closed, the customer told, and the survey follows.
    forward(person, "+15 min", "+1 h 35 min")
    person.shows(person.dm, "without messages")
    person.shows(thread, "Closed automatically")
    person.shows(ticket, "closed")
    survey = person.message(person.shows(person.dm, "How did we do?"), "How did we do?")
    survey.get_by_role("button", name="5", exact=True).click()
    person.shows(person.dm, "you rated 5/5")
    person.shot("time-idle-closed-and-rated")

    # The page's endpoint refuses anything but a jump forward of 1 to 1440 minutes, moving nothing.
    for refused in ({"minutes": 0}, {"minutes": -5}, {"minutes": 1441}, {"minutes": "15"}, {"minutes": True}, {}):
        assert post_time(sandbox, refused) == (400, {"ok": False, "error": "invalid_minutes"})
    expect(page.locator("#time-ahead")).to_have_text("+1 h 35 min")
