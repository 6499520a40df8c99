"""Block Kit in the browser, against the emulator in this process: a bot message with a static select,
an overflow menu and an image, and a modal with an input of each kind the page renders. What the page
sends is checked where the app would receive it: a small signed-request recorder stands in for the app
at ``/slack/events``, and the payloads must have Slack's shapes (``selected_option``,
``view.state.values``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from handoff_slack.sandbox.emulator import SlackEmulator
from handoff_slack.sandbox.personas import seed
from handoff_slack.sandbox.web.page_model import PageModel
from handoff_slack.sandbox.web.server import PageServer
from handoff_slack.sandbox.workspace import Workspace
from tests.sandbox.recorder import SECRET, Recorder
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow

CUSTOMER = "UCUST1"
TIMEOUT_MS = 15_000


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


class Sandbox:
    def __init__(self, emulator: SlackEmulator, recorder: Recorder, page: PageServer) -> None:
        self.emulator, self.recorder, self.page = emulator, recorder, page
        self.web = WebClient(token=emulator.bot_token, base_url=emulator.api_url, timeout=5)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    emulator = SlackEmulator().start()
    recorder = Recorder()
    cast = seed(emulator)
    workspace = Workspace(emulator, recorder.url + "/slack/events", SECRET)
    page = PageServer("127.0.0.1", 0).start(PageModel(emulator, workspace, cast), recorder.url)
    try:
        yield Sandbox(emulator, recorder, page)
    finally:
        page.stop()
        recorder.stop()
        emulator.stop()


@pytest.fixture
def page(browser: Any, sandbox: Sandbox) -> Iterator[Any]:
    opened = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto(f"{sandbox.page.url}?as={CUSTOMER}")
    yield opened
    opened.close()
    assert not errors, f"the page's scripts failed: {errors}"


MENU_OPTIONS = [option("Red", "red"), option("Green", "green"), option("Blue", "blue")]
MORE_OPTIONS = [option("Archive", "archive"), option("Snooze", "snooze")]
MESSAGE_BLOCKS = [
    {
        "type": "section",
        "block_id": "colour",
        "text": {"type": "mrkdwn", "text": "*Pick a colour*"},
        "accessory": {
            "type": "static_select",
            "action_id": "pick_colour",
            "placeholder": plain("Choose"),
            "options": MENU_OPTIONS,
        },
    },
    {
        "type": "section",
        "block_id": "more",
        "text": {"type": "mrkdwn", "text": "More things"},
        "accessory": {"type": "overflow", "action_id": "more_things", "options": MORE_OPTIONS},
    },
    {"type": "image", "block_id": "cat", "image_url": "https://example.com/cat.png", "alt_text": "a sleepy cat"},
]


def input_block(block_id: str, label: str, element: dict[str, Any]) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "label": plain(label), "element": element}


MODAL = {
    "type": "modal",
    "callback_id": "every_input",
    "title": plain("Every input"),
    "submit": plain("Save"),
    "close": plain("Cancel"),
    "blocks": [
        input_block("subject", "Subject", {"type": "plain_text_input", "action_id": "subject_text"}),
        input_block("details", "Details", {"type": "plain_text_input", "action_id": "details_text", "multiline": True}),
        input_block("quantity", "Quantity", {"type": "number_input", "action_id": "qty", "is_decimal_allowed": False}),
        input_block("email", "E-mail", {"type": "email_text_input", "action_id": "mail"}),
        input_block("size", "Size", {"type": "static_select", "action_id": "size_pick", "options": MENU_OPTIONS}),
        input_block("tags", "Tags", {"type": "multi_static_select", "action_id": "tag_pick", "options": MENU_OPTIONS}),
        input_block("extras", "Extras", {"type": "checkboxes", "action_id": "extra_boxes", "options": MORE_OPTIONS}),
        input_block("speed", "Speed", {"type": "radio_buttons", "action_id": "speed_radio", "options": MORE_OPTIONS}),
    ],
}


def test_a_select_and_an_overflow_in_a_bot_message_send_the_chosen_option(page: Any, sandbox: Sandbox) -> None:
    from playwright.sync_api import expect

    dm = sandbox.emulator.dm_channel(CUSTOMER)
    posted = sandbox.web.chat_postMessage(channel=dm, text="Pick a colour", blocks=MESSAGE_BLOCKS)
    message = page.locator("#dm-messages .message", has_text="Pick a colour")
    expect(message).to_be_visible(timeout=TIMEOUT_MS)
    expect(message.locator(".image-placeholder")).to_contain_text("a sleepy cat")  # an outside image is not loaded

    message.locator('select[data-action-id="pick_colour"]').select_option(label="Green")
    (picked,) = wait_until(lambda: sandbox.recorder.of_type("block_actions"), message="the select's block_actions")
    action = picked["actions"][0]
    assert (action["type"], action["action_id"], action["block_id"]) == ("static_select", "pick_colour", "colour")
    assert action["selected_option"] == option("Green", "green")
    assert picked["container"]["message_ts"] == posted["ts"] and picked["user"]["id"] == CUSTOMER

    message.locator('.overflow-toggle[data-action-id="more_things"]').click()
    message.locator(".overflow-item", has_text="Snooze").click()
    wait_until(lambda: len(sandbox.recorder.of_type("block_actions")) == 2, message="the overflow's block_actions")
    action = sandbox.recorder.of_type("block_actions")[1]["actions"][0]
    assert (action["type"], action["action_id"], action["block_id"]) == ("overflow", "more_things", "more")
    assert action["selected_option"] == option("Snooze", "snooze")
    assert sandbox.recorder.rejected == 0


def test_a_modal_with_every_input_submits_slacks_state_values(page: Any, sandbox: Sandbox, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    expect(page.locator(".persona.active")).to_have_attribute("data-persona", CUSTOMER, timeout=TIMEOUT_MS)
    sandbox.web.views_open(trigger_id=sandbox.emulator.issue_trigger(CUSTOMER), view=MODAL)
    modal = page.locator(".modal")
    expect(modal).to_be_visible(timeout=TIMEOUT_MS)

    modal.locator('[data-block-id="subject"] input').fill("Broken <b>printer</b>")
    modal.locator('[data-block-id="details"] textarea').fill("It jams\non page 2")
    modal.locator('[data-block-id="quantity"] input').fill("3")
    modal.locator('[data-block-id="email"] input').fill("jane@example.com")
    modal.locator('[data-block-id="size"] select').select_option(label="Blue")
    modal.locator('[data-block-id="tags"] select').select_option(label=["Red", "Blue"])
    modal.locator('[data-block-id="extras"] label', has_text="Snooze").locator("input").check()
    modal.locator('[data-block-id="speed"] label', has_text="Archive").locator("input").check()
    modal.get_by_role("button", name="Save").click()

    (submitted,) = wait_until(lambda: sandbox.recorder.of_type("view_submission"), message="the view_submission")
    expect(modal).to_be_hidden(timeout=TIMEOUT_MS)  # an empty 200 answer closes it, as in Slack
    assert submitted["view"]["callback_id"] == "every_input" and submitted["user"]["id"] == CUSTOMER
    assert submitted["view"]["state"]["values"] == {
        "subject": {"subject_text": {"type": "plain_text_input", "value": "Broken <b>printer</b>"}},
        "details": {"details_text": {"type": "plain_text_input", "value": "It jams\non page 2"}},
        "quantity": {"qty": {"type": "number_input", "value": "3"}},
        "email": {"mail": {"type": "email_text_input", "value": "jane@example.com"}},
        "size": {"size_pick": {"type": "static_select", "selected_option": option("Blue", "blue")}},
        "tags": {
            "tag_pick": {
                "type": "multi_static_select",
                "selected_options": [option("Red", "red"), option("Blue", "blue")],
            }
        },
        "extras": {"extra_boxes": {"type": "checkboxes", "selected_options": [option("Snooze", "snooze")]}},
        "speed": {"speed_radio": {"type": "radio_buttons", "selected_option": option("Archive", "archive")}},
    }
