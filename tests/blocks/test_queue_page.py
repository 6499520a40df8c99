"""`/handoff-queue`'s page as Block Kit (blocks.queue): the lines, the page buttons, and Slack's
limits in the worst case a page can be."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_sdk.models.blocks import Block

from handoff_slack.blocks.action_ids import QUEUE_ASSIGN, QUEUE_CLAIM, QUEUE_NEXT, QUEUE_PREVIOUS, QUEUE_REFRESH
from handoff_slack.blocks.queue import queue_page
from handoff_slack.core.accounts import OrgQueue
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.priority import Priority
from handoff_slack.core.queue_filter import MAX_PAGE, PAGE_SIZE, QueueLine, QueuePage, QueueRequest
from handoff_slack.core.reminders import SlaOutcome, SlaState
from handoff_slack.listeners.commands.queue_arguments import MAX_TOPICS, USAGE, carried
from tests.blocks.test_builders import NOW, ticket, ticket_customer
from tests.support.journeys import action_ids, block_text

MAX_BLOCKS = 50
SECTION_CHARS = 3000
HEADER_CHARS = 150
VALUE_CHARS = 2000
BLOCK_ID_CHARS = 255


def line(position: int, ticket_id: int, eligible: tuple[str, ...] = (), **fields: Any) -> QueueLine:
    return QueueLine(position, ticket(id=ticket_id, **fields), eligible)


def test_a_page_lists_its_lines_in_order_with_who_could_take_each() -> None:
    lines = (
        line(1, 7, ("UA", "UB"), created_at=NOW - timedelta(minutes=5), customer=ticket_customer(name="Jane")),
        line(2, 3, ("UA", "UB", "UC", "UD", "UE"), customer=ticket_customer(name="Omar")),
        line(3, 9, (), customer=ticket_customer(name="Zoe"), language="pt-BR", skills=("billing", "hardware")),
    )
    rendered = queue_page(QueuePage(QueueRequest(), lines, total=25, waiting=25), NOW, carried, admin=False)

    text = block_text(rendered.blocks)
    assert text.index("*#1* · Jane") < text.index("*#2* · Omar") < text.index("*#3* · Zoe")
    assert "waiting 5 min" in text and "waiting under a minute" in text
    sections = [b["text"]["text"] for b in rendered.blocks if b["type"] == "section"]
    assert sections[0].endswith("\nCould take it now: <@UA>, <@UB>")
    assert sections[1].endswith("\nCould take it now: <@UA>, <@UB>, <@UC> +2 more")
    assert sections[2].endswith(
        "\nLanguage: pt-BR · Skills: billing, hardware · Could take it now: "
        "nobody (everyone is away, offline, full or not a match for its language, skills or time zone)"
    )
    assert "Page 1 of 3" in text
    assert action_ids(rendered.blocks) == [QUEUE_CLAIM, QUEUE_CLAIM, QUEUE_CLAIM, QUEUE_NEXT, QUEUE_REFRESH]
    buttons = _buttons(rendered.blocks)
    assert [b["value"] for b in buttons[:3]] == ["7", "3", "9"]  # the whole queue's first page: no options
    assert buttons[3]["value"] == "page 2"
    assert rendered.text.startswith("Waiting tickets: 25\n#1 ticket 7")


def test_a_line_carries_the_ticket_messages_marks() -> None:
    """A breached first-response target, the customer's choice to be answered later and a mood that
    turned while waiting show on the line as on the ticket message; a plain ticket shows none."""
    marked = line(1, 5, sla=SlaState(SlaOutcome.BREACHING, 15, 1200), async_at=NOW, mood_signals=("gave_up",))
    plain = line(2, 6, sla=SlaState(SlaOutcome.MET, 15, 60))
    rendered = queue_page(QueuePage(QueueRequest(), (marked, plain), total=2, waiting=2), NOW, carried, admin=False)

    first, second = (b["text"]["text"] for b in rendered.blocks if b["type"] == "section")
    assert first.startswith("*#1* · :warning: SLA breached · :envelope: answer later · :rage: sounds frustrated · ")
    assert second.startswith("*#2* · Jane · waiting")


def test_an_admins_lines_have_claim_and_assign_and_the_buttons_carry_the_options() -> None:
    request = QueueRequest(org="Acme <Corp> & Co", mine=True, page=2)
    lines = (line(11, 4),)
    page = QueuePage(request, lines, total=12, waiting=40, orgs=OrgQueue("acme", ("Acme <Corp> & Co",)))
    rendered = queue_page(page, NOW, carried, admin=True)

    assert action_ids(rendered.blocks) == [QUEUE_CLAIM, QUEUE_ASSIGN, QUEUE_PREVIOUS, QUEUE_REFRESH]
    claim, assign, previous, refresh = _buttons(rendered.blocks)
    assert claim["value"] == assign["value"] == '4 org:"Acme &lt;Corp&gt; &amp; Co" mine page 2'
    assert previous["value"] == 'org:"Acme &lt;Corp&gt; &amp; Co" mine'
    assert refresh["value"] == 'org:"Acme &lt;Corp&gt; &amp; Co" mine page 2'
    text = block_text(rendered.blocks)
    assert "Page 2 of 2 · org “Acme &lt;Corp&gt; &amp; Co”, yours to take, 40 waiting in all" in text


def test_empty_queue_and_a_page_beyond_the_end() -> None:
    empty = queue_page(QueuePage(QueueRequest(), (), total=0, waiting=0), NOW, carried, admin=False)
    assert empty.text.startswith("Nobody is waiting") and empty.blocks == []

    beyond = queue_page(QueuePage(QueueRequest(page=9), (), total=23, waiting=23), NOW, carried, admin=False)
    assert beyond.text == "There is no page 9: the 23 waiting tickets fill 3."
    assert action_ids(beyond.blocks) == [QUEUE_PREVIOUS, QUEUE_REFRESH]
    assert _buttons(beyond.blocks)[0]["value"] == "page 3"  # back to the last page


def test_names_are_shown_as_written() -> None:
    lines = (line(1, 1, customer=ticket_customer(name="<https://evil.example|Jane> <!here>")),)
    text = block_text(queue_page(QueuePage(QueueRequest(), lines, 1, 1), NOW, carried, admin=False).blocks)
    assert "&lt;https://evil.example|Jane&gt; &lt;!here&gt;" in text and "<!here>" not in text


def test_the_worst_page_fits_slacks_limits() -> None:
    """An admin's page with the help and a notice above it, every filter at its longest, ten lines of
    the longest names (all characters Slack escapes), every priority, thread doors, unknown long
    reasons and 200 agents who could take each ticket."""
    org = "&<>" * 85  # 255 characters, the column's size; each one escaped to 4 or 5
    request = QueueRequest(
        org=org,
        languages=tuple(f"e{chr(97 + i)}-419" for i in range(MAX_TOPICS)),
        skills=tuple(f"{chr(97 + i)}" * 32 for i in range(MAX_TOPICS)),
        mine=True,
        page=MAX_PAGE - 1,
    )
    agents = tuple(f"U{i:010d}" for i in range(200))
    priorities = list(Priority) * PAGE_SIZE
    lines = tuple(
        line(
            10**9 + i,
            2**31 - 1 - i,
            agents,
            priority=priorities[i],
            reason="x" * 500,
            created_at=NOW - timedelta(days=3650),
            language="es-419",
            skills=tuple(f"{chr(97 + j)}" * 32 for j in range(26)),
            sla=SlaState(SlaOutcome.BREACHING, 5, 10**9),
            async_at=NOW,
            mood_signals=("named_feeling",) * 20,
            customer=ticket_customer(
                name="&<>" * 100, org_name=org, door=FrontDoor("CSHARED0001", "1700000000.000001")
            ),
        )
        for i in range(PAGE_SIZE)
    )
    page = QueuePage(request, lines, total=10**9, waiting=10**9, orgs=OrgQueue(org, (org, org.lower())))
    rendered = queue_page(page, NOW, carried, admin=True, usage=USAGE, notice="Ticket 2147483647 is now with <@U1>.")

    blocks = rendered.blocks
    assert len(blocks) <= MAX_BLOCKS, len(blocks)
    assert len(blocks) == 2 + 1 + 1 + 2 * PAGE_SIZE + 1  # help, notice, header, context, lines, page buttons
    for block in blocks:
        Block.parse(block).validate_json()  # slack_sdk's own checks of Block Kit's limits
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_CHARS
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= HEADER_CHARS
        assert len(block.get("block_id", "")) <= BLOCK_ID_CHARS
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    buttons = _buttons(blocks)
    assert buttons and all(len(b["value"]) <= VALUE_CHARS for b in buttons)
    assert "…" in block_text(blocks)  # the long names were shortened
    # Every value carries the options back whole.
    assert buttons[0]["value"] == f"{2**31 - 1} {carried(request)}"


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for block in blocks:
        elements = block.get("elements", []) if block["type"] == "actions" else [block.get("accessory")]
        found.extend(e for e in elements if e and e.get("type") == "button")
    return found
