"""Supervised mode in the support channel: the proposal's message (Approve, Edit, Reject), what it
shows once decided, its modals, and the answers to a stale or losing click.

Everything the customer wrote, and the bot's replies that may quote it, is made safe: it can
neither ping anyone nor hide a link in the support channel.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from handoff_slack.blocks import Rendered
from handoff_slack.blocks.action_ids import (
    PROPOSAL_APPROVE,
    PROPOSAL_EDIT,
    PROPOSAL_EDIT_FORM,
    PROPOSAL_REJECT,
    PROPOSAL_REJECT_CHOICE,
    PROPOSAL_REJECT_FORM,
    PROPOSAL_TEXT,
    REJECT_AND_TAKE,
    REJECT_TO_QUEUE,
)
from handoff_slack.blocks.mrkdwn import make_safe, quote, shorten
from handoff_slack.blocks.ticket import (
    SECTION_LIMIT,
    customer_label,
    customer_section,
    customer_with_mention,
    slack_date,
    transcript_line,
)
from handoff_slack.core.bot_turn import CauseScore, Diagnosis
from handoff_slack.core.proposals import ProposalOutcome, ProposalView
from handoff_slack.core.views import ConversationLine, TicketView

LINE_CHARS = 300  # of one message of the conversation with the bot
ANSWER_CHARS = 2500  # of the proposed answer as shown (Slack's section holds 3,000)
INPUT_LIMIT = 3000  # Slack's maximum for a plain-text input's initial value and max_length

_EMPHASIS = re.compile(r"[*_~]")
OUTCOME_LABELS: dict[ProposalOutcome, str] = {
    ProposalOutcome.APPROVED: "approved",
    ProposalOutcome.EDITED: "edited and sent",
    ProposalOutcome.REJECTED_TO_QUEUE: "rejected (customer put in the queue)",
    ProposalOutcome.TAKEN: "rejected and taken over",
    ProposalOutcome.TIMED_OUT: "handed over after the timeout (customer put in the queue)",
    ProposalOutcome.WITHDRAWN: "withdrawn by the customer",
    ProposalOutcome.HANDED_OVER: "handed over at the customer's request (customer put in the queue)",
}
# Outcomes the customer decided: the card says so without naming them as the decider.
_CUSTOMERS_OWN = frozenset({ProposalOutcome.WITHDRAWN, ProposalOutcome.HANDED_OVER})


def as_the_customer_sees_it(text: str) -> str:
    """The bot's answer rendered as its DM renders it (blocks.customer.bot_reply), pings neutralised."""
    return make_safe(text, trusted_links=True)


def decided_line(proposal: ProposalView) -> str:
    """Who decided what, and when ("approved by @alice at 10:02")."""
    what = OUTCOME_LABELS.get(proposal.outcome, proposal.outcome.value)
    who = ""
    if proposal.decided_by_user_id and proposal.outcome not in _CUSTOMERS_OWN:
        who = f" by <@{proposal.decided_by_user_id}>"
    when = f" at {slack_date(proposal.decided_at)}" if proposal.decided_at else ""
    return f"{what.capitalize()}{who}{when}"


def proposal_message(ticket: TicketView, proposal: ProposalView, conversation: Sequence[ConversationLine]) -> Rendered:
    """The proposal's message: who, which scenario, the answers, the conversation, the proposed
    answer as the customer would see it, the likely cause; buttons while it awaits a decision."""
    who = customer_label(ticket.customer)
    status = (
        f":eyes: Awaiting approval (hands over {slack_date(proposal.expires_at, '{time}')})"
        if proposal.pending
        else decided_line(proposal)
    )
    blocks: list[dict[str, Any]] = [
        HeaderBlock(text=f"Proposed answer #{ticket.id}").to_dict(),
        SectionBlock(
            fields=[
                MarkdownTextObject(text=f"*Customer*\n{customer_with_mention(ticket.customer)}"),
                MarkdownTextObject(text=f"*Scenario*\n{make_safe(proposal.scenario_title, plain=True)}"),
                MarkdownTextObject(text=f"*Since*\n{slack_date(proposal.created_at)}"),
                MarkdownTextObject(text=f"*Status*\n{status}"),
            ]
        ).to_dict(),
    ]
    if proposal.answers:
        answers = "\n".join(_answer_line(question, answer) for question, answer in proposal.answers)
        blocks.append(customer_section(f"*Answers so far*\n{answers}"))
    if conversation:
        blocks.append(customer_section(f"*Conversation with the bot*\n{_conversation(conversation)}"))
    shown = quote(as_the_customer_sees_it(proposal.proposed_text), ANSWER_CHARS)
    blocks.append(_section(f"*Proposed answer*\n{shown}"))
    if proposal.outcome is ProposalOutcome.EDITED and proposal.sent_text is not None:
        sent = quote(as_the_customer_sees_it(proposal.sent_text), ANSWER_CHARS)
        blocks.append(_section(f"*Sent instead (edited)*\n{sent}"))
    if proposal.diagnosis is not None:
        blocks.append(customer_section(diagnosis_text(proposal.diagnosis)))
    if proposal.pending:
        value = str(ticket.id)
        blocks.append(
            ActionsBlock(
                block_id="proposal",
                elements=[
                    ButtonElement(text="Approve", action_id=PROPOSAL_APPROVE, value=value, style="primary"),
                    ButtonElement(text="Edit", action_id=PROPOSAL_EDIT, value=value),
                    ButtonElement(text="Reject", action_id=PROPOSAL_REJECT, value=value, style="danger"),
                ],
            ).to_dict()
        )
    state = proposal.outcome.value
    blocks.append(
        ContextBlock(elements=[MarkdownTextObject(text=f"Proposal on ticket {ticket.id} · {state}")]).to_dict()
    )
    return Rendered(text=f"Proposed answer #{ticket.id} for {who}: {_plain_status(proposal)}", blocks=blocks)


def proposal_context(proposal: ProposalView) -> list[dict[str, Any]]:
    """On the ticket a rejected or timed-out proposal became: what the bot would have said, and why it didn't."""
    shown = quote(as_the_customer_sees_it(proposal.proposed_text), ANSWER_CHARS)
    text = f"*The bot's proposal* ({make_safe(proposal.scenario_title, plain=True)}): {decided_line(proposal)}\n{shown}"
    blocks = [_section(text)]
    if proposal.diagnosis is not None:
        blocks.append(customer_section(diagnosis_text(proposal.diagnosis)))
    return blocks


def _section(text: str) -> dict[str, Any]:
    """A section of the bot's answer (quoted lines add to its length): cut between tokens to Slack's limit."""
    return SectionBlock(text=MarkdownTextObject(text=shorten(text, SECTION_LIMIT))).to_dict()


def diagnosis_text(diagnosis: Diagnosis) -> str:
    lines = [f"*Likely cause:* {_cause(diagnosis.best)}"]
    lines += [f"• {make_safe(e, keep_user_mentions=False, plain=True)}" for e in diagnosis.best.evidence]
    if diagnosis.runner_up is not None:
        lines.append(f"*Runner-up:* {_cause(diagnosis.runner_up)}")
    return "\n".join(lines)


def _cause(cause: CauseScore) -> str:
    return f"{make_safe(cause.title, plain=True)} (score {cause.score:.2f})"


def _answer_line(question: str, answer: str) -> str:
    shown = make_safe(answer, keep_user_mentions=False, plain=True)
    # The question's own emphasis ("type *nothing*") would end the bold early: it is dropped here.
    label = _EMPHASIS.sub("", make_safe(question, plain=True))
    return f"*{label}* {shorten(shown, LINE_CHARS)}"


def _conversation(lines: Sequence[ConversationLine]) -> str:
    shown = []
    for line in lines:
        if line.from_customer:
            shown.append(quote(f"*Customer:* {transcript_line(line.line)}", LINE_CHARS))
        else:
            text = make_safe(line.line.text, keep_user_mentions=False)
            shown.append(quote(f"*Bot:* {text}", LINE_CHARS))
    return "\n".join(shown)


def _plain_status(proposal: ProposalView) -> str:
    return "awaiting approval" if proposal.pending else OUTCOME_LABELS.get(proposal.outcome, proposal.outcome.value)


# -- the modals ---------------------------------------------------------------------------------


def edit_form(proposal: ProposalView) -> dict[str, Any]:
    """The Edit modal, pre-filled with the proposed answer; the ticket ID rides in private_metadata."""
    return View(
        type="modal",
        callback_id=PROPOSAL_EDIT_FORM,
        title="Edit the answer",
        submit="Send",
        close="Cancel",
        private_metadata=str(proposal.ticket_id),
        blocks=[
            InputBlock(
                block_id=PROPOSAL_TEXT,
                label="What the customer gets",
                element=PlainTextInputElement(
                    action_id=PROPOSAL_TEXT,
                    multiline=True,
                    initial_value=proposal.proposed_text[:INPUT_LIMIT],
                    max_length=INPUT_LIMIT,
                ),
            )
        ],
    ).to_dict()


def reject_form(proposal: ProposalView) -> dict[str, Any]:
    """The Reject modal: nothing is sent; the customer goes to the queue, or to the rejecting agent."""
    queue = Option(value=REJECT_TO_QUEUE, text="Put the customer in the queue")
    take = Option(value=REJECT_AND_TAKE, text="I'll take it (connect me now)")
    return View(
        type="modal",
        callback_id=PROPOSAL_REJECT_FORM,
        title="Reject the answer",
        submit="Reject",
        close="Cancel",
        private_metadata=str(proposal.ticket_id),
        blocks=[
            SectionBlock(text="The bot's answer is not sent."),
            InputBlock(
                block_id=PROPOSAL_REJECT_CHOICE,
                label="Then",
                element=RadioButtonsElement(
                    action_id=PROPOSAL_REJECT_CHOICE, options=[queue, take], initial_option=queue
                ),
            ),
        ],
    ).to_dict()


def edited_text(view: dict[str, Any]) -> str | None:
    """The Edit modal's text, from a view_submission's state (None when absent)."""
    field = _state_field(view, PROPOSAL_TEXT)
    value = field.get("value") if field else None
    return value if isinstance(value, str) else None


def rejects_to_take(view: dict[str, Any]) -> bool:
    """Whether the Reject modal chose "I'll take it" (else: the queue)."""
    field = _state_field(view, PROPOSAL_REJECT_CHOICE)
    selected = field.get("selected_option") if field else None
    return isinstance(selected, dict) and selected.get("value") == REJECT_AND_TAKE


def _state_field(view: dict[str, Any], block_and_action: str) -> dict[str, Any] | None:
    values = (view.get("state") or {}).get("values") or {} if isinstance(view, dict) else {}
    block = values.get(block_and_action) if isinstance(values, dict) else None
    field = block.get(block_and_action) if isinstance(block, dict) else None
    return field if isinstance(field, dict) else None


def already_decided(proposal: ProposalView | None) -> str:
    """The answer to a click that came too late: who decided first, and what."""
    if proposal is None:
        return "That proposal no longer exists, so nothing changed."
    line = decided_line(proposal)
    return f"Nothing changed: this proposal was already {line[0].lower()}{line[1:]}."
