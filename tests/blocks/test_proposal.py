"""The proposal's message and modals (supervised mode): pure functions, checked without Slack."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from handoff_slack.blocks.action_ids import PROPOSAL_APPROVE, PROPOSAL_EDIT, PROPOSAL_REJECT, PROPOSAL_TEXT
from handoff_slack.blocks.proposal import already_decided, edit_form, proposal_context, proposal_message, reject_form
from handoff_slack.core.bot_turn import CauseScore, Diagnosis
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.proposals import ProposalOutcome, ProposalView
from handoff_slack.core.states import EscalationReason, TicketState
from handoff_slack.core.views import ConversationLine, TicketCustomer, TicketView, TranscriptLine
from tests.support.journeys import action_ids, block_text

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TICKET = TicketView(
    id=42,
    conversation_id=7,
    state=TicketState.PROPOSED,
    reason=EscalationReason.SUPERVISED,
    customer=TicketCustomer("UJANE", FrontDoor("DJANE"), name="Jane <!channel>", org_name="Acme"),
    created_at=NOW,
)
PROPOSAL = ProposalView(
    ticket_id=42,
    conversation_id=7,
    scenario_id="wifi",
    scenario_title="Wi-Fi trouble",
    proposed_text="Restart the router.",
    outcome=ProposalOutcome.PENDING,
    created_at=NOW,
    expires_at=NOW + timedelta(minutes=5),
    answers=(("Which network?", "<!here> office <http://evil.example|bank>"),),
    diagnosis=Diagnosis(
        CauseScore("driver", "A driver issue", 0.8, ("Is the Wi-Fi light on? → Off", "said “driver”")),
        CauseScore("router", "The router", 0.3),
    ),
)
CONVERSATION = (
    ConversationLine(True, TranscriptLine("wifi <!everyone> not working")),
    ConversationLine(False, TranscriptLine("Which network?")),
)


def test_a_pending_proposal_shows_everything_an_approver_needs_and_three_buttons() -> None:
    rendered = proposal_message(TICKET, PROPOSAL, CONVERSATION)
    shown = block_text(rendered.blocks)

    for part in ("Proposed answer #42", "Wi-Fi trouble", "Acme", "Which network?", "Restart the router."):
        assert part in shown, part
    assert "A driver issue (score 0.80)" in shown and "The router (score 0.30)" in shown
    assert "said “driver”" in shown
    assert "Customer:* wifi" in shown and "Bot:* Which network?" in shown
    assert action_ids(rendered.blocks) == [PROPOSAL_APPROVE, PROPOSAL_EDIT, PROPOSAL_REJECT]


def test_nothing_the_customer_wrote_can_ping_or_hide_a_link() -> None:
    shown = (
        block_text(proposal_message(TICKET, PROPOSAL, CONVERSATION).blocks)
        + proposal_message(TICKET, PROPOSAL, CONVERSATION).text
    )
    for ping in ("<!channel>", "<!here>", "<!everyone>", "|bank>"):
        assert ping not in shown, ping


def test_a_decided_proposal_says_who_did_what_and_has_no_buttons() -> None:
    edited = replace(
        PROPOSAL,
        outcome=ProposalOutcome.EDITED,
        sent_text="Restart it twice.",
        decided_by_user_id="UALICE",
        decided_at=NOW + timedelta(minutes=1),
    )
    rendered = proposal_message(replace(TICKET, state=TicketState.ANSWERED), edited, CONVERSATION)

    shown = block_text(rendered.blocks)
    assert "Edited and sent by <@UALICE> at <!date^" in shown
    assert "Sent instead (edited)" in shown and "Restart it twice." in shown
    assert action_ids(rendered.blocks) == []
    assert already_decided(edited).startswith("Nothing changed: this proposal was already edited and sent by <@UALICE>")


def test_a_rejected_proposal_stays_on_its_ticket_as_context() -> None:
    rejected = replace(PROPOSAL, outcome=ProposalOutcome.REJECTED_TO_QUEUE, decided_by_user_id="UBOB", decided_at=NOW)
    shown = block_text(proposal_context(rejected))
    assert "The bot's proposal" in shown and "Rejected (customer put in the queue) by <@UBOB>" in shown
    assert "Restart the router." in shown


def test_the_modals_carry_the_ticket_and_the_proposed_text() -> None:
    edit = edit_form(PROPOSAL)
    assert edit["private_metadata"] == "42"
    assert edit["blocks"][0]["block_id"] == PROPOSAL_TEXT
    assert edit["blocks"][0]["element"]["initial_value"] == "Restart the router."
    assert reject_form(PROPOSAL)["private_metadata"] == "42"


def test_a_question_with_its_own_emphasis_stays_one_bold_label() -> None:
    asked = replace(PROPOSAL, answers=(("Did anything change? Type *nothing* if not.", "a new password"),))
    shown = block_text(proposal_message(TICKET, asked, CONVERSATION).blocks)
    assert "*Did anything change? Type nothing if not.* a new password" in shown
