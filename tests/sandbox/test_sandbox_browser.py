"""The sandbox in a real headless browser (Debian's chromium, driven by Playwright): a whole
hand-off clicked through as customer and agents, asserting on what each person's page shows.

Without Playwright or chromium the tests skip with the reason; with HANDOFF_REQUIRE_BROWSER=1
(.ci/run sets it on CI) they fail instead. HANDOFF_CHROMIUM names another chromium executable.
Screenshots go to HANDOFF_SCREENSHOTS, else a temporary directory (its path is printed).
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox.sandbox_process import SandboxProcess

pytestmark = pytest.mark.slow

TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    running = SandboxProcess(tmp_path_factory.mktemp("sandbox")).start()
    yield running
    running.stop()


class Person:
    """The page, acting as one persona at a time (the persona switch at the top)."""

    def __init__(self, page: Any, screenshots: Path) -> None:
        from playwright.sync_api import expect

        self.page = page
        self.expect = expect
        self.screenshots = screenshots
        self.shots = 0

    def become(self, persona: str) -> None:
        self.page.locator(f'.persona[data-persona="{persona}"]').click()
        self.expect(self.page.locator(f'.persona[data-persona="{persona}"]')).to_have_class("persona active")

    @property
    def dm(self) -> Any:
        return self.page.locator("#dm-messages")

    @property
    def channel(self) -> Any:
        return self.page.locator("#channel-messages")

    @property
    def shared(self) -> Any:
        return self.page.locator("#shared-messages")

    def top_level(self, pane: Any, text: str) -> Any:
        """The first top-level message (not a thread reply) with ``text``."""
        return pane.locator(":scope > .message", has_text=text).first

    def thread_of(self, pane: Any, text: str) -> Any:
        """The thread under the top-level message with ``text``."""
        ts = self.top_level(pane, text).get_attribute("data-ts")
        return pane.locator(f'.thread[data-thread-ts="{ts}"]')

    def reply_in_thread(self, pane: Any, pane_name: str, text: str) -> None:
        """Open the thread of the top-level message with ``text`` in the pane's composer."""
        top = self.top_level(pane, text)
        top.hover()
        top.locator('[data-tool="reply"]').click()
        self.expect(self.page.locator(f"#{pane_name}-composer .chip")).to_contain_text("Replying in thread")

    def shows(self, pane: Any, text: str) -> Any:
        self.expect(pane).to_contain_text(text, timeout=TIMEOUT_MS)
        return pane

    def send(self, pane: str, text: str, file: dict[str, Any] | None = None) -> None:
        composer = self.page.locator(f"#{pane}-composer")
        if file is not None:
            composer.locator("input[type=file]").set_input_files(file)
        box = composer.locator("textarea")
        box.fill(text)
        box.press("Enter")

    def message(self, pane: Any, text: str) -> Any:
        return pane.locator(".message", has_text=text).last

    def shot(self, name: str) -> Path:
        self.shots += 1
        path = self.screenshots / f"{self.shots:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def person(browser: Any, sandbox: SandboxProcess, screenshots: Path) -> Iterator[Person]:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(sandbox.url)
    yield Person(page, screenshots)
    page.close()
    assert not errors, f"the page's scripts failed: {errors}"


def test_a_whole_hand_off_in_the_browser(person: Person, sandbox: SandboxProcess) -> None:
    page, expect = person.page, person.expect

    # Customer 1 asks for a person; the triage form opens in a modal.
    person.become("UCUST1")
    person.send("dm", "I need a human please")
    person.shows(person.dm, "Fill in the form")
    person.dm.get_by_role("button", name="Fill in the form").last.click()
    modal = page.locator(".modal")
    expect(modal).to_be_visible(timeout=TIMEOUT_MS)
    expect(modal.locator('[data-block-id="name"] input')).to_have_value("Jane")  # her Slack display name
    modal.get_by_role("button", name="Send").click()
    # The app's view_submission errors are shown on their fields; the modal stays.
    expect(modal.locator('[data-block-id="problem"] .bk-error')).to_have_text("Please answer this one.")
    person.shot("triage-form-errors")
    modal.locator('[data-block-id="problem"] textarea').fill("My order #42 never arrived")
    modal.get_by_role("button", name="Send").click()
    expect(modal).to_be_hidden(timeout=TIMEOUT_MS)

    # The ticket is in the support channel, which a customer cannot write in.
    ticket = person.shows(person.channel, "Support request #1")
    expect(page.locator("#channel-composer")).to_contain_text("not a member")

    # Agent 1 claims it; both sides see it.
    person.become("UAGENT1")
    person.channel.get_by_role("button", name="Claim").click()
    person.shows(ticket, "Claimed by")
    person.shows(person.dm, "You are now talking with")

    # Agent 1 answers in the ticket's thread; the customer gets it in their DM.
    person.message(person.channel, "Support request #1").locator('[data-tool="reply"]').click()
    expect(page.locator("#channel-composer .chip")).to_contain_text("Replying in thread")
    person.send("channel", "Hi Jane, I'm looking into it.")
    thread = page.locator("#channel-messages .thread")
    person.shows(thread, "Hi Jane, I'm looking into it.")
    person.shows(person.dm, "Hi Jane, I'm looking into it.")
    person.shot("agent-claimed-and-answered")

    # The customer answers with a file; the agent sees text and file in the thread.
    person.become("UCUST1")
    expect(page.locator("#channel-composer")).to_contain_text("not a member")
    receipt = {"name": "receipt.txt", "mimeType": "text/plain", "buffer": b"order 42, paid"}
    person.send("dm", "Here is my receipt", file=receipt)
    person.shows(thread, "Here is my receipt")
    person.shows(thread, "receipt.txt")
    relayed = thread.locator("a.file", has_text="receipt.txt").last
    with urllib.request.urlopen(sandbox.url.rstrip("/") + relayed.get_attribute("href"), timeout=5) as download:
        assert download.read() == b"order 42, paid"

    # The customer edits a message: the copy in the thread follows; then deletes it: it goes too.
    person.send("dm", "It was delivered to the wrong adress")
    person.shows(thread, "wrong adress")
    mine = person.message(person.dm, "wrong adress")
    mine.hover()
    mine.locator('[data-tool="edit"]').click()
    editor = person.dm.locator(".edit-box textarea")
    editor.fill("It was delivered to the wrong address")
    editor.press("Enter")
    person.shows(thread, "wrong address")
    expect(thread).not_to_contain_text("wrong adress", timeout=TIMEOUT_MS)
    person.shot("customer-edited")

    # Agent 2 asks for the queue: the answer is ephemeral, shown to Agent 2 only.
    person.become("UAGENT2")
    person.send("channel", "/handoff-queue")
    only_mine = person.channel.locator(".message.ephemeral")
    expect(only_mine).to_have_count(1, timeout=TIMEOUT_MS)
    expect(only_mine).to_contain_text("Only visible to you")
    person.shot("agent-2-queue-ephemeral")
    person.become("UAGENT1")
    expect(person.channel.locator(".message.ephemeral")).to_have_count(0)

    # Agent 1 closes the ticket, through the button's confirm dialog.
    person.channel.locator(".message", has_text="Support request #1").first.get_by_role("button", name="Close").click()
    dialog = page.locator(".dialog")
    expect(dialog).to_contain_text("The customer is told")
    dialog.get_by_role("button", name="Close").click()
    person.shows(ticket, "closed")
    person.shows(person.dm, "has closed this conversation")
    person.become("UCUST1")
    person.shot("closed")

    # The customer rates the conversation (core.satisfaction): the survey's buttons become thanks,
    # and the ticket message shows the rating.
    survey = person.message(person.shows(person.dm, "How did we do?"), "How did we do?")
    survey.get_by_role("button", name="4", exact=True).click()
    person.shows(person.dm, "you rated 4/5")
    person.message(person.dm, "you rated 4/5").get_by_role("button", name="Add a comment").click()
    modal = page.locator(".modal")
    expect(modal).to_be_visible(timeout=TIMEOUT_MS)
    modal.locator('[data-block-id="comment"] textarea').fill("Quick <b>and</b> kind")
    modal.get_by_role("button", name="Send").click()
    expect(modal).to_be_hidden(timeout=TIMEOUT_MS)
    person.shows(person.dm, "Your comment was passed on.")
    person.shows(ticket, "Customer rating")
    person.shows(ticket, "Quick <b>and</b> kind")  # shown as written: escaped, not markup
    person.shot("rated")


def test_blocks_and_mrkdwn_are_escaped_and_unknown_blocks_shown(person: Person) -> None:
    """Text from messages is never HTML; links only to http(s)/mailto; unknown types are shown as JSON."""
    page = person.page
    rendered = page.evaluate(
        """() => {
            const ctx = { userName: (id) => ({ UAGENT1: "Alice Agent" })[id] || null,
                          imageSrc: () => null, confirm: () => Promise.resolve(true),
                          registerInput: () => {}, errorFor: () => null, act: () => {} };
            const text = "*bold* _it_ `code` <https://example.com|a link> <javascript:alert(1)|bad> " +
                         "<@UAGENT1> &lt;b&gt;x&lt;/b&gt; <img src=x onerror=alert(1)>";
            const blocks = [
              { type: "section", text: { type: "mrkdwn", text: text } },
              { type: "section", text: { type: "plain_text", text: "<script>alert(2)</script>" } },
              { type: "mystery_block", payload: { a: 1 } },
              { type: "actions", elements: [{ type: "mystery_element", action_id: "x" }] },
              { type: "image", image_url: "https://example.com/cat.png", alt_text: "a cat" },
            ];
            const box = document.createElement("div");
            box.appendChild(BlockKit.blocks(blocks, ctx));
            return {
              text: box.textContent,
              strong: box.querySelector("strong")?.textContent,
              em: box.querySelector("em")?.textContent,
              code: box.querySelector("code")?.textContent,
              links: [...box.querySelectorAll("a")].map((a) => [a.textContent, a.getAttribute("href")]),
              elements: box.querySelectorAll("script, img, b").length,
              unknown: [...box.querySelectorAll(".unknown-label")].map((n) => n.textContent),
              json: box.querySelector(".unknown .json")?.textContent,
            };
        }"""
    )
    assert (rendered["strong"], rendered["em"], rendered["code"]) == ("bold", "it", "code")
    assert rendered["links"] == [["a link", "https://example.com"]]  # javascript: stays text
    assert "bad" in rendered["text"] and "@Alice Agent" in rendered["text"]
    assert "<b>x</b>" in rendered["text"] and "<script>alert(2)</script>" in rendered["text"]
    assert rendered["elements"] == 0  # no element from message text; the outside image is not loaded
    assert rendered["unknown"] == ["Unknown block type: mystery_block", "Unknown element type: mystery_element"]
    assert '"payload"' in rendered["json"]


def test_a_slack_connect_customer_is_shown_with_their_organisation(person: Person) -> None:
    person.become("UEXT1")
    person.send("dm", "agent please")
    person.shows(person.dm, "what's the problem?")
    person.send("dm", "I cannot log in")
    ticket = person.message(person.channel, "Erin External")
    person.shows(ticket, "Acme Corp")
    typed = person.dm.locator(".message", has_text="I cannot log in")
    person.expect(typed.locator(".ext-tag")).to_have_text("Acme Corp")


def test_a_slack_connect_customer_in_the_shared_channel(person: Person) -> None:
    """Customer 2 writes in #acme-support (shared with Acme Corp, served from the start): the bot
    answers in the message's thread, the customer asks for an agent there, the agent claims the ticket
    in #support and answers; the answer reaches the customer's thread, the agent's note does not. Then
    her colleague writes in her thread and mentions the app in a message of his own."""
    page, expect = person.page, person.expect
    expect(page.locator("#shared-title")).to_have_text("# acme-support")
    expect(page.locator("#shared-tag")).to_have_text("Slack Connect · Home Co + Acme Corp")
    person.become("UCUST1")
    expect(page.locator("#shared-composer")).to_contain_text("not a member")

    person.become("UEXT1")
    person.send("shared", "Our invoices page shows an error")
    thread = person.thread_of(person.shared, "Our invoices page shows an error")
    person.shows(thread, "Talk to an agent")  # the bot's menu, in the thread
    thread.get_by_role("button", name="Talk to an agent").last.click()
    person.shows(thread, "what's the problem?")
    person.reply_in_thread(person.shared, "shared", "Our invoices page shows an error")
    person.send("shared", "Error 500 since this morning")
    ticket = person.top_level(person.channel, "Error 500 since this morning")
    person.shows(ticket, "Acme Corp")
    expect(person.shared.locator(":scope > .message")).to_have_count(1)  # the bot speaks in the thread only
    person.shot("slack-connect-ticket")

    person.become("UAGENT1")
    ticket.get_by_role("button", name="Claim").click()
    person.shows(thread, "You are now talking with")
    person.reply_in_thread(person.channel, "channel", "Error 500 since this morning")
    person.send("channel", "note: the billing service restarted at 9")
    person.send("channel", "Hi Erin, I'm looking into it.")
    person.shows(thread, "Hi Erin, I'm looking into it.")
    person.shows(person.thread_of(person.channel, "Error 500 since this morning"), "the billing service restarted")
    expect(person.shared).not_to_contain_text("billing service")  # relays go in order: the note was never sent

    # An agent reacts to the customer's message (a :ticket: reaction is sent to the app as Slack does).
    top = person.top_level(person.shared, "Our invoices page shows an error")
    top.hover()
    top.locator('[data-tool="react"]').click()
    page.locator('.emoji-picker [data-emoji="ticket"]').click()
    expect(top.locator('.reaction[data-reaction="ticket"]')).to_have_class("reaction mine", timeout=TIMEOUT_MS)

    person.become("UEXT1")
    person.shows(thread, "Hi Erin, I'm looking into it.")
    expect(thread.locator(".message", has_text="Hi Erin")).to_have_count(1)
    person.shot("slack-connect-answered")

    # Her colleague Sam (Acme Corp) writes in her thread, then asks the app something else at the top
    # level with a mention: two people of one organisation in the channel at once.
    person.become("UEXT2")
    person.reply_in_thread(person.shared, "shared", "Our invoices page shows an error")
    chip = page.locator("#shared-composer .chip")
    expect(chip).to_contain_text("Erin External: Our invoices page shows an error")
    expect(person.top_level(person.shared, "Our invoices page")).to_have_class("message replying")
    person.send("shared", "Same here since 9")
    sam = person.shows(thread, "Same here since 9").locator(".message", has_text="Same here since 9")
    expect(sam.locator(".ext-tag")).to_have_text("Acme Corp")
    chip.get_by_role("button").click()  # back to the channel itself
    person.send("shared", "@handoff exports are slow for us")
    expect(person.top_level(person.shared, "exports are slow").locator(".mention")).to_have_text("@handoff")
    asked = person.shows(person.thread_of(person.shared, "exports are slow"), "Talk to an agent")
    # One answer, though Slack sends the mention twice (message and app_mention).
    expect(asked.locator(".message", has_text="help desk assistant")).to_have_count(1)
    person.shared.evaluate("box => { box.scrollTop = box.scrollHeight; }")  # the shot shows Sam's part
    person.shot("slack-connect-colleague")


@pytest.fixture
def fresh_person(browser: Any, tmp_path: Path, screenshots: Path) -> Iterator[Person]:
    """The page of a sandbox of its own: nothing another test did is in it."""
    running = SandboxProcess(tmp_path).start()
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(running.url)
        yield Person(page, screenshots)
    finally:
        page.close()
        running.stop()
    assert not errors, f"the page's scripts failed: {errors}"


def test_a_fault_armed_from_the_drawer_is_survived_and_the_hand_off_completes(fresh_person: Person) -> None:
    person = fresh_person
    page, expect = person.page, person.expect

    # The visitor makes Slack answer the app's next post in #support with a 500.
    page.locator("#faults-toggle").click()
    drawer = page.locator("#faults-drawer")
    expect(drawer).to_be_visible()
    drawer.locator("#fault-method").select_option("chat.postMessage")
    drawer.locator("#fault-channel").select_option(label="#support")
    drawer.locator("#fault-kind").select_option("500")
    drawer.locator("#fault-count").fill("1")
    drawer.get_by_role("button", name="Arm").click()
    armed = drawer.locator("#faults-armed")
    expect(armed).to_contain_text("500 internal_error · chat.postMessage · #support · 1 left")
    person.shot("fault-armed")

    # The customer asks for a person: the ticket's first post fails, the app posts it again.
    person.become("UCUST1")
    person.send("dm", "agent please")
    person.shows(person.dm, "Which company are you with?")
    person.send("dm", "Home Co")
    person.shows(person.dm, "what's the problem?")
    person.send("dm", "My invoice is wrong")
    ticket = person.shows(person.channel, "Support request #1")
    expect(armed).to_contain_text("Nothing armed", timeout=TIMEOUT_MS)  # the app's first try took it
    expect(person.channel.locator(".message", has_text="Support request #1")).to_have_count(1)

    # The rest of the hand-off goes as usual.
    person.become("UAGENT1")
    person.channel.get_by_role("button", name="Claim").click()
    person.shows(ticket, "Claimed by")
    person.shows(person.dm, "You are now talking with")
    page.locator("#faults-heal").click()
    person.shot("fault-survived")


def test_supervised_mode_a_proposal_approved_in_the_support_channel(fresh_person: Person) -> None:
    """The shipped Wi-Fi diagnosis, clicked through: the customer answers, the agent sees the likely
    cause and the proposed answer, approves, and only then does the customer get it."""
    person = fresh_person
    expect = person.expect
    person.become("UCUST1")
    person.send("dm", "my laptop won't connect to wifi")
    person.shows(person.dm, "What does the Wi-Fi icon")
    person.dm.get_by_role("button", name="Networks listed, but it won't join").last.click()
    person.shows(person.dm, "Do other devices")
    person.dm.get_by_role("button", name="Yes").last.click()
    person.shows(person.dm, "Did anything change")
    person.send("dm", "I changed my password yesterday")
    person.shows(person.dm, "check my answer with a colleague")
    expect(person.dm).not_to_contain_text("Forget", timeout=1_000)  # nothing proposed has reached her

    proposal = person.shows(person.channel, "Proposed answer #1")
    person.shows(proposal, "The saved Wi-Fi password is out of date")  # the likely cause
    person.shows(proposal, "I changed my password yesterday")  # the conversation with the bot
    person.become("UAGENT1")
    person.shot("supervised-proposal")
    person.channel.locator(".message", has_text="Proposed answer #1").first.get_by_role(
        "button", name="Approve"
    ).click()
    person.shows(proposal, "Approved by")
    expect(proposal.get_by_role("button", name="Approve")).to_have_count(0, timeout=TIMEOUT_MS)
    person.become("UCUST1")
    person.shows(person.dm, "Forget on the office network")
    person.shot("supervised-approved")
