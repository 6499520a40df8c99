"""Block Kit builders are pure functions: checked without Slack or a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handoff_slack.blocks import customer
from handoff_slack.blocks.action_ids import (
    BOT_FORM,
    BOT_SCENARIO,
    BOT_SKIP,
    CANCEL_WAITING,
    CLAIM_TICKET,
    CLOSE_TICKET,
    RELEASE_TICKET,
    TALK_TO_AGENT,
    TRANSFER_TICKET,
    TRIAGE_ANSWER,
    TRIAGE_FORM,
)
from handoff_slack.blocks.queue import age
from handoff_slack.blocks.ticket import REASON_LABELS, customer_label, reason_label, slack_date, ticket_message
from handoff_slack.blocks.triage_form import answers_from_view, triage_form
from handoff_slack.core.bot import BotEngine, Button, ButtonAction, Reply, ReplyKind, TriageAnswer
from handoff_slack.core.bot_config import BotConfig, Scenario, Step, TriageQuestion
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.states import EscalationReason, TicketState
from handoff_slack.core.views import TicketCustomer, TicketView, TranscriptLine
from tests.support.journeys import action_ids, block_text

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PASSWORD = Scenario("password", "Reset my password", ("forgot password",), (Step("answer", answer="Use the link."),))
ORDERS = Scenario("orders", "Where is my order?", ("order status",), (Step("answer", answer="Track it online."),))


def ticket_customer(**fields: object) -> TicketCustomer:
    """The ticket's customer."""
    values: dict[str, object] = {"user_id": "UJANE", "door": FrontDoor("DJANE"), "name": "Jane"}
    values.update(fields)
    return TicketCustomer(**values)  # type: ignore[arg-type]


def ticket(
    state: TicketState = TicketState.WAITING,
    customer: TicketCustomer | None = None,
    triage: list[dict[str, object]] | None = None,
    **fields: object,
) -> TicketView:
    values: dict[str, object] = {
        "id": 12,
        "conversation_id": 7,
        "state": state,
        "reason": EscalationReason.MENU,
        "created_at": NOW,
        "customer": customer or ticket_customer(),
        "triage": tuple(TriageAnswer.from_json(answer) for answer in triage or ()),
    }
    values.update(fields)
    return TicketView(**values)  # type: ignore[arg-type]


def said(text: str, files: list[dict[str, object]] | None = None) -> TranscriptLine:
    """A customer's message as the transcript holds it."""
    return TranscriptLine.from_row(text, files)


def menu_with(*scenarios: Scenario) -> Reply:
    return BotEngine(BotConfig(scenarios=scenarios)).menu()


def test_menu_lists_scenarios_first_and_talk_to_an_agent_last() -> None:
    rendered = customer.bot_reply(menu_with(PASSWORD, ORDERS))
    buttons = rendered.blocks[-1]["elements"]

    assert [b["text"]["text"] for b in buttons] == ["Reset my password", "Where is my order?", "Talk to an agent"]
    # Slack refuses a block whose action IDs repeat: same-kind buttons are numbered.
    assert action_ids(rendered.blocks) == [f"{BOT_SCENARIO}:1", f"{BOT_SCENARIO}:2", TALK_TO_AGENT]
    assert [b["value"] for b in buttons] == ["password", "orders", "menu"]


def test_a_menu_without_scenarios_is_just_talk_to_an_agent() -> None:
    assert action_ids(customer.bot_reply(menu_with()).blocks) == [TALK_TO_AGENT]


def test_bot_replies_cannot_ping_even_when_quoting_the_customer() -> None:
    rendered = customer.bot_reply(Reply(ReplyKind.ANSWER, "Order <!channel> is on its way"))
    assert "<!channel>" not in rendered.text and "<!channel>" not in block_text(rendered.blocks)


def test_triage_question_offers_skip_and_the_form() -> None:
    reply = Reply(
        ReplyKind.TRIAGE_QUESTION,
        "Which company?",
        (Button("Skip", ButtonAction.SKIP, "company"), Button("Fill in the form", ButtonAction.FORM)),
    )
    assert action_ids(customer.bot_reply(reply).blocks) == [BOT_SKIP, BOT_FORM]


def test_triage_form_has_one_input_per_question_with_known_answers() -> None:
    name = TriageQuestion("name", "Name", "What's your name?")
    company = TriageQuestion("company", "Company", "Which company?", skippable=True)
    problem = TriageQuestion("problem", "Problem", "What's wrong?", multiline=True)
    view = triage_form([(name, "Ada"), (company, None), (problem, None)], FrontDoor("DJANE"))

    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == ["name", "company", "problem"]
    assert inputs[0]["element"]["initial_value"] == "Ada"
    assert [b.get("optional", False) for b in inputs] == [False, True, False]
    assert inputs[2]["element"]["multiline"] is True
    assert view["private_metadata"] == "DJANE" and view["callback_id"] == TRIAGE_FORM
    state = {"values": {"name": {TRIAGE_ANSWER: {"value": "Ada"}}, "company": {TRIAGE_ANSWER: {"value": None}}}}
    assert answers_from_view({"state": state}) == {"name": "Ada", "company": ""}


def test_ticket_shows_triage_answers_without_letting_them_ping() -> None:
    answers = [
        {"id": "name", "label": "Name", "answer": "Ada", "source": "slack"},
        {"id": "company", "label": "Company", "answer": None, "source": "skipped"},
        {"id": "email", "label": "E-mail", "answer": "<!here> a@b.co", "source": "form"},
        {"id": "problem", "label": "Problem", "answer": "printer <!channel> broken", "source": "typed"},
    ]
    rendered = ticket_message(ticket(triage=answers), [])
    text = block_text(rendered.blocks)

    assert "*Name:* Ada _(from Slack)_" in text
    assert "*Company:* _skipped_" in text
    assert "&lt;!here&gt; a@b.co" in text
    assert "printer @channel broken" in text
    assert "<!here>" not in text and "<!channel>" not in text


def test_frustration_tickets_show_the_score() -> None:
    rendered = ticket_message(ticket(reason=EscalationReason.FRUSTRATION, frustration_score=0.734), [])
    assert "sounded frustrated (score 0.73)" in block_text(rendered.blocks)


def test_queue_notices_carry_the_position_and_a_cancel_button() -> None:
    for rendered in (customer.queued(3, 12), customer.still_waiting(3, 12)):
        assert "#3" in rendered.text
        assert action_ids(rendered.blocks) == [CANCEL_WAITING]
        assert rendered.blocks[-1]["elements"][0]["value"] == "12"


def test_names_are_escaped_in_customer_notices() -> None:
    assert "&lt;!here&gt;" in customer.connected("<!here>").text


def test_waiting_ticket_shows_customer_reason_transcript_and_claim() -> None:
    transcript = [said("help <!channel>")]
    rendered = ticket_message(ticket(), transcript)
    text = block_text(rendered.blocks)
    assert "Jane" in text and "Talk to an agent" in text and "Waiting for an agent" in text
    assert "> help @channel" in text and "<!channel>" not in text
    assert action_ids(rendered.blocks) == [CLAIM_TICKET, TRANSFER_TICKET]


def test_claimed_ticket_offers_close_with_confirmation() -> None:
    rendered = ticket_message(ticket(TicketState.CONNECTED, agent_user_id="UALICE"), [])
    assert "Claimed by <@UALICE>" in block_text(rendered.blocks)
    assert action_ids(rendered.blocks) == [CLOSE_TICKET, TRANSFER_TICKET, RELEASE_TICKET]
    close = next(b for b in rendered.blocks if b["type"] == "actions")["elements"][0]
    assert close["confirm"]["confirm"]["text"] == "Close"


def test_finished_tickets_have_no_buttons() -> None:
    closed = ticket_message(ticket(TicketState.CLOSED, closed_by_user_id="UALICE"), [])
    cancelled = ticket_message(ticket(TicketState.CANCELLED), [])
    assert action_ids(closed.blocks) == [] and "Closed by <@UALICE>" in closed.text
    assert action_ids(cancelled.blocks) == [] and "Cancelled" in cancelled.text


def test_slack_connect_customers_show_their_organisation() -> None:
    assert customer_label(ticket_customer(org_name="Acme & Co")) == "Jane (Acme &amp; Co, Slack Connect)"
    # A name Slack has not told us: their mention (Slack shows agents the name), never the bare ID.
    assert customer_label(ticket_customer(name=None)) == "<@UJANE>"
    assert customer_label(ticket_customer(name=None, user_id="not an ID <!here>")) == "A customer"


def test_dates_render_in_each_readers_time_zone_with_a_fallback() -> None:
    naive = NOW.replace(tzinfo=None)  # as SQLite returns it
    assert slack_date(naive) == f"<!date^{int(NOW.timestamp())}^{{date_short_pretty}} {{time}}|2026-11-25 09:00 UTC>"


def test_ages_read_naturally() -> None:
    assert age(NOW - timedelta(hours=2, minutes=3), NOW) == "2 h 3 min"
    assert age(NOW - timedelta(days=1, hours=4), NOW) == "1 d 4 h"


def test_file_shares_show_in_the_transcript_by_name() -> None:
    files = [{"name": "invoice<1>.pdf"}, {"title": "screenshot"}]
    only_files = said("", files)
    with_text = said("see", files[:1])
    text = block_text(ticket_message(ticket(), [only_files, with_text]).blocks)
    assert "> _(shared invoice&lt;1&gt;.pdf, screenshot)_" in text
    assert "> see _(shared invoice&lt;1&gt;.pdf)_" in text


# -- Customer and agent text goes through make_safe in every place it is shown ------------------

DISGUISED = "<HTTPS://evil.example|https://acme.com/reset> <!here>"
REVEALED = "https://acme.com/reset (<HTTPS://evil.example>)"


def hides_nothing(text: str) -> bool:
    """No labelled link (`<target|label>`) and no ping survives."""
    return "evil.example|" not in text and "<!here" not in text and "<HTTPS://evil.example>" in text


def test_ticket_transcript_reveals_disguised_links() -> None:
    transcript = [said(DISGUISED)]
    text = block_text(ticket_message(ticket(), transcript).blocks)
    assert f"> {REVEALED} @here" in text and hides_nothing(text)


def test_ticket_triage_answers_typed_in_the_dm_reveal_disguised_links() -> None:
    answers = [
        {"id": "problem", "label": "Problem", "answer": DISGUISED, "source": "typed"},
        {"id": "detail", "label": "Detail", "answer": f"line one\n{DISGUISED}", "source": "typed"},
    ]
    text = block_text(ticket_message(ticket(triage=answers), []).blocks)
    assert f"*Problem:* {REVEALED} @here" in text and f"> {REVEALED} @here" in text
    assert hides_nothing(text)


def test_ticket_triage_answers_from_the_form_show_as_written() -> None:
    answers = [{"id": "site", "label": "<b>Site</b>", "answer": DISGUISED, "source": "form"}]
    text = block_text(ticket_message(ticket(triage=answers), []).blocks)
    assert "*&lt;b&gt;Site&lt;/b&gt;:* &lt;HTTPS://evil.example|https://acme.com/reset&gt; &lt;!here&gt;" in text


def test_ticket_customer_name_and_organisation_show_as_written() -> None:
    disguised = ticket_customer(name="<https://evil.example|Acme IT>\u202e", org_name="<!channel> Corp")
    rendered = ticket_message(ticket(customer=disguised), [])
    text = block_text(rendered.blocks)
    assert "&lt;https://evil.example|Acme IT&gt; (&lt;!channel&gt; Corp, Slack Connect)" in text
    assert "\u202e" not in text and "\u202e" not in rendered.text and "<!channel>" not in rendered.text


def test_ticket_sections_of_customer_words_are_verbatim_and_cut_between_tokens() -> None:
    long_text = "word " * 50 + "<https://evil.example/path|bank.com>"
    transcript = [said(long_text) for _ in range(20)]
    rendered = ticket_message(ticket(), transcript)
    recent = next(b for b in rendered.blocks if b.get("text", {}).get("text", "").startswith("*Recent messages*"))
    assert recent["text"]["verbatim"] is True
    assert len(recent["text"]["text"]) <= 3000
    shown = recent["text"]["text"]
    assert shown.count("(<https://evil.example/path>)") == shown.count("<https")


def test_bot_replies_keep_the_teams_links_but_not_pings() -> None:
    reply = Reply(ReplyKind.ANSWER, "See <https://shop.example.com/orders|your orders page> <!HERE>")
    rendered = customer.bot_reply(reply)
    assert rendered.text == "See <https://shop.example.com/orders|your orders page> @HERE"


def test_agent_names_in_customer_notices_show_as_written() -> None:
    name = "<https://evil.example|Support>\u202e"
    for rendered in (customer.connected(name), customer.closed(name), customer.already_connected(name)):
        assert "&lt;https://evil.example|Support&gt;" in rendered.text
        assert "\u202e" not in rendered.text


def test_every_escalation_reason_has_words_for_agents() -> None:
    # A new reason without a label would show agents its stored value ("diagnosis_unsure").
    missing = [reason.value for reason in EscalationReason if reason not in REASON_LABELS]
    assert missing == []
    assert reason_label("no_such_reason") == "no_such_reason"  # an old row's unknown value: shown as written
