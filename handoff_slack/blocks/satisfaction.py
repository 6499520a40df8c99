"""Satisfaction (core.satisfaction): the survey at the customer's door, its comment modal, the note in
the ticket's thread, and the rating's line on the ticket message."""

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
from handoff_slack.blocks.action_ids import SURVEY_COMMENT, SURVEY_COMMENT_FORM, SURVEY_COMMENT_TEXT, SURVEY_RATE
from handoff_slack.blocks.mrkdwn import make_safe, quote, shorten
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.notices import Notice, NoticeKind
from handoff_slack.core.satisfaction import MAX_COMMENT_CHARS, RATINGS, SurveyState
from handoff_slack.core.views import TicketView

SATISFACTION_NOTICES = frozenset({NoticeKind.SURVEY, NoticeKind.RATING_NOTE})
SECTION_LIMIT = 3000
QUOTED_CHARS = 1200  # a comment quoted in the ticket's thread (the modal allows 1000)
TICKET_LINE_CHARS = 150  # a comment on the ticket message: one short line


def stars(rating: int) -> str:
    return "★" * rating + "☆" * (max(RATINGS) - rating)


def render_satisfaction_notice(notice: Notice) -> Rendered:
    if notice.kind is NoticeKind.SURVEY:
        return survey(notice.facts)
    return rating_note(notice.facts)


def _configured(text: object) -> str:
    """The support team's wording from the YAML (mrkdwn allowed, links as written; no pings)."""
    return make_safe(str(text or ""), trusted_links=True)[:SECTION_LIMIT] or " "


def survey(facts: Mapping[str, Any]) -> Rendered:
    """Open: the question and 1-5 buttons. Rated: thanks, and "Add a comment". Commented: thanks alone."""
    survey_id = int(facts["survey_id"])
    state = facts.get("state")
    if state == SurveyState.OPEN:
        question = _configured(facts.get("question"))
        buttons = [
            ButtonElement(text=str(n), action_id=f"{SURVEY_RATE}:{n}", value=f"{survey_id}:{n}") for n in RATINGS
        ]
        blocks = [
            SectionBlock(text=question).to_dict(),
            ActionsBlock(block_id="survey", elements=buttons).to_dict(),
            ContextBlock(elements=[MarkdownTextObject(text="1 = poor, 5 = excellent")]).to_dict(),
        ]
        return Rendered(text=question, blocks=blocks)
    rating = int(facts.get("rating") or 0)
    text = f"Thanks — you rated {rating}/5 {stars(rating)}. {_configured(facts.get('thanks'))}"
    blocks = [SectionBlock(text=text[:SECTION_LIMIT]).to_dict()]
    if state == SurveyState.RATED:
        blocks.append(
            ActionsBlock(
                block_id="survey",
                elements=[ButtonElement(text="Add a comment", action_id=SURVEY_COMMENT, value=str(survey_id))],
            ).to_dict()
        )
    else:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text="Your comment was passed on.")]).to_dict())
    return Rendered(text=text, blocks=blocks)


def thanks_again(rating: int | None, thanks: str) -> str:
    """The ephemeral answer to a second click (or one on an old copy of the survey)."""
    said = f"You already rated this conversation {rating}/5." if rating else "You already answered this survey."
    return f"{said} {_configured(thanks)}"


def rating_note(facts: Mapping[str, Any]) -> Rendered:
    """The ticket's thread: the rating, or the comment on it (the customer's words, shown as written)."""
    rating = int(facts["rating"])
    who = f"<@{facts['user_id']}>"
    comment = facts.get("comment")
    if comment is None:
        text = f":star: {who} rated this conversation *{rating}/5* {stars(rating)}"
        return Rendered(text=text, blocks=[])
    shown = quote(make_safe(str(comment), keep_user_mentions=False, plain=True), QUOTED_CHARS)
    text = f":speech_balloon: {who} commented on their {rating}/5 rating:\n{shown}"
    return Rendered(text=text, blocks=[])


def ticket_rating_line(ticket: TicketView) -> dict[str, Any] | None:
    """One short line on the ticket message once the customer rated it; None before."""
    if ticket.rating is None:
        return None
    line = f"*Customer rating* {ticket.rating}/5 {stars(ticket.rating)}"
    if ticket.rating_comment:
        comment = make_safe(" ".join(ticket.rating_comment.split()), keep_user_mentions=False, plain=True)
        line += f" · “{shorten(comment, TICKET_LINE_CHARS)}”"
    return ContextBlock(elements=[MarkdownTextObject(text=line, verbatim=True)]).to_dict()


def comment_modal(survey_id: int, door: FrontDoor | None, prompt: str) -> dict[str, Any]:
    """A text box for the comment; its metadata says which survey (and, for a thread, where it was pressed)."""
    metadata = str(survey_id) if door is None else f"{survey_id} {door.to_text()}"
    view = View(
        type="modal",
        callback_id=SURVEY_COMMENT_FORM,
        private_metadata=metadata,
        title="Your feedback",
        submit="Send",
        close="Cancel",
        blocks=[
            InputBlock(
                block_id=SURVEY_COMMENT_TEXT,
                label=shorten(prompt.strip() or "Your comment", 2000),
                element=PlainTextInputElement(
                    action_id=SURVEY_COMMENT_TEXT, multiline=True, max_length=MAX_COMMENT_CHARS
                ),
            )
        ],
    )
    return view.to_dict()


def comment_metadata(metadata: object) -> tuple[int, FrontDoor | None] | None:
    """The survey ID and door `comment_modal` wrote; None for anything else."""
    if not isinstance(metadata, str):
        return None
    survey, _, door_text = metadata.partition(" ")
    if not (survey.isascii() and survey.isdigit() and 0 < len(survey) <= 10 and 0 < int(survey) < 2**31):
        return None  # a database ID: a positive INTEGER
    door = FrontDoor.from_text(door_text) if door_text else None
    if door_text and (door is None or not door.is_thread):
        return None
    return int(survey), door


def submitted_comment(view: Mapping[str, Any]) -> str | None:
    """What the customer wrote in the modal's text box (None: not there)."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    block = values.get(SURVEY_COMMENT_TEXT) if isinstance(values, Mapping) else None
    field = block.get(SURVEY_COMMENT_TEXT) if isinstance(block, Mapping) else None
    value = field.get("value") if isinstance(field, Mapping) else None
    return value if isinstance(value, str) else None
