"""Agent assist (core.assist): a suggested reply in a ticket's thread, and the modal that edits it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from handoff_slack.blocks import Rendered
from handoff_slack.blocks.action_ids import ASSIST_EDIT, ASSIST_EDIT_FORM, ASSIST_REPLY, ASSIST_SEND
from handoff_slack.blocks.mrkdwn import make_safe, quote, shorten
from handoff_slack.core.assist import SuggestionState

INPUT_LIMIT = 3000  # Slack's maximum for a plain-text input's initial value and max_length
QUOTED_CHARS = 2500  # of the reply, inside a section's 3000


def _cause(facts: Mapping[str, Any]) -> str:
    """ ", likely cause: … (score 0.67; said “driver”)" for a diagnosis; nothing for a fixed answer."""
    if not facts.get("cause"):
        return ""
    evidence = "; ".join(str(item) for item in facts.get("evidence") or ())
    why = f"; {evidence}" if evidence else ""
    cause = make_safe(str(facts["cause"]), plain=True)
    return f", likely cause: {cause} (score {facts.get('score')}{make_safe(why, plain=True)})"


def suggestion(facts: Mapping[str, Any]) -> Rendered:
    """The suggestion as its state says: open (Send, Edit), sent (by whom), or expired."""
    text = str(facts.get("text") or "")
    state = facts.get("state")
    agent = facts.get("agent_user_id")
    scenario = make_safe(str(facts.get("scenario") or "a scenario"), plain=True)
    if state == SuggestionState.SENT:
        sent = str(facts.get("sent_text") or text)
        edited = " after editing it" if "sent_text" in facts else ""
        head = f":white_check_mark: <@{facts.get('sent_by')}> sent this reply to the customer{edited}:"
        shown, fallback = sent, f"Reply sent by <@{facts.get('sent_by')}>"
    elif state == SuggestionState.EXPIRED:
        head = ":no_entry_sign: Suggested reply, not sent: this ticket is closed or with someone else now."
        shown, fallback = text, "Suggested reply, not sent"
    else:
        head = (
            f":bulb: *Suggested reply* for <@{agent}> (matches _{scenario}_{_cause(facts)}). "
            "Only this thread sees it; the customer gets it only if you press *Send*."
        )
        shown, fallback = text, f"Suggested reply: {shorten(make_safe(text), 200)}"
    blocks: list[dict[str, Any]] = [
        SectionBlock(text=MarkdownTextObject(text=head)).to_dict(),
        SectionBlock(text=MarkdownTextObject(text=quote(make_safe(shown), QUOTED_CHARS))).to_dict(),
    ]
    if state == SuggestionState.OPEN:
        value = str(facts.get("suggestion_id"))
        blocks.append(
            ActionsBlock(
                block_id="assist",
                elements=[
                    ButtonElement(text="Send", action_id=ASSIST_SEND, value=value, style="primary"),
                    ButtonElement(text="Edit", action_id=ASSIST_EDIT, value=value),
                ],
            ).to_dict()
        )
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text="Sent as your own reply, with your name. Nobody else can send it.")]
            ).to_dict()
        )
    return Rendered(text=fallback, blocks=blocks)


def edit_modal(suggestion_id: int, text: str) -> dict[str, Any]:
    """The suggestion in a text box; Send sends what is in it."""
    view = View(
        type="modal",
        callback_id=ASSIST_EDIT_FORM,
        private_metadata=str(suggestion_id),
        title="Edit the reply",
        submit="Send",
        close="Cancel",
        blocks=[
            InputBlock(
                block_id=ASSIST_REPLY,
                label="Reply to the customer",
                element=PlainTextInputElement(
                    action_id=ASSIST_REPLY, multiline=True, initial_value=text[:INPUT_LIMIT], max_length=INPUT_LIMIT
                ),
            )
        ],
    )
    return view.to_dict()


def edited_text(view: Mapping[str, Any]) -> str | None:
    """What the agent left in the modal's text box (None: not there)."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    block = values.get(ASSIST_REPLY) if isinstance(values, Mapping) else None
    field = block.get(ASSIST_REPLY) if isinstance(block, Mapping) else None
    value = field.get("value") if isinstance(field, Mapping) else None
    return value if isinstance(value, str) else None
