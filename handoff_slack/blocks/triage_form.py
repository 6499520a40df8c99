"""The "Fill in the form" modal: every triage question at once, with what is already known."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import InputBlock, PlainTextInputElement, SectionBlock
from slack_sdk.models.views import View

from handoff_slack.blocks.action_ids import TRIAGE_ANSWER, TRIAGE_FORM
from handoff_slack.core.bot_config import TriageQuestion
from handoff_slack.core.front_doors import FrontDoor

INPUT_LIMIT = 3000  # Slack's maximum for a plain-text input's initial value and max_length
LABEL_LIMIT = 2000


def triage_form(questions: Sequence[tuple[TriageQuestion, str | None]], door: FrontDoor) -> dict[str, Any]:
    """The modal; each question's block ID is its question ID, so answers map back directly."""
    blocks: list[Any] = [
        SectionBlock(text="Answer what you can; our team sees it with your request, so nobody asks twice.")
    ]
    for question, known in questions:
        element = PlainTextInputElement(
            action_id=TRIAGE_ANSWER,
            multiline=question.multiline,
            initial_value=known[:INPUT_LIMIT] if known else None,
            max_length=INPUT_LIMIT,
        )
        blocks.append(
            InputBlock(
                block_id=question.id,
                label=question.label[:LABEL_LIMIT],
                hint=question.prompt[:LABEL_LIMIT] if question.prompt != question.label else None,
                element=element,
                optional=question.skippable,
            )
        )
    view = View(
        type="modal",
        callback_id=TRIAGE_FORM,
        title="Your request",
        submit="Send",
        close="Cancel",
        private_metadata=door.to_text(),  # where to answer once it is sent (a DM: its channel ID)
        blocks=blocks,
    )
    return view.to_dict()


def answers_from_view(view: Mapping[str, Any]) -> dict[str, str]:
    """Question ID → the typed answer ("" when left empty) from a view_submission's state."""
    values = view.get("state", {}).get("values", {}) if isinstance(view, Mapping) else {}
    answers: dict[str, str] = {}
    for block_id, actions in values.items() if isinstance(values, Mapping) else []:
        field = actions.get(TRIAGE_ANSWER) if isinstance(actions, Mapping) else None
        value = field.get("value") if isinstance(field, Mapping) else None
        answers[str(block_id)] = value if isinstance(value, str) else ""
    return answers
