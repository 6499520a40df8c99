"""Satisfaction (CSAT): after an agent closes a conversation, the customer rates it 1-5, and may add a comment.

The survey is a notice to the customer (`NoticeKind.SURVEY`), stored in the close's transaction
right after the goodbye, so the outbox delivers it after it, in order, once, at the customer's door
(their DM, or their thread of a shared channel). Its buttons carry the survey's own ID (its message
row's) and the rating. A rating is stored on the ticket once (a conditional UPDATE: of two clicks,
on any replica, one wins); the survey's notice then says "Thanks — you rated N/5" and offers a
comment (the outbox updates its copy), and the ticket's thread gets a note. A comment is stored
once the same way. A second click, a redelivery, or a click on an old copy changes nothing: the
customer is thanked again.

Refused quietly (nothing changes, nothing is said): a rating outside 1-5, a survey that is not the
presser's (another customer's DM; in a thread, the edge lets only people of another organisation
act, as for every customer button there), and a survey whose conversation has opened a newer
ticket since (the customer came back: the old survey no longer applies).

Ratings are the customer's words, not an agent's action: they are not written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from handoff_slack.core.bot_config import SatisfactionConfig
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.handoff_steps import HandoffSteps
from handoff_slack.core.helpdesk_storage import HelpdeskTransaction, StoredConversation, StoredNotice
from handoff_slack.core.notices import Audience, Notice, NoticeKind
from handoff_slack.core.states import TicketState

RATINGS = range(1, 6)
MAX_COMMENT_CHARS = 1000  # the modal's input allows this much; longer is refused


class SurveyState(StrEnum):
    OPEN = "open"  # the 1-5 buttons
    RATED = "rated"  # thanks, and "Add a comment"
    COMMENTED = "commented"  # thanks; nothing left to press


class RatingResult(StrEnum):
    RATED = "rated"
    COMMENTED = "commented"
    MAY_COMMENT = "may_comment"  # only checked ("Add a comment" opens its modal)
    ALREADY = "already"  # answered before: thanked again, nothing changed
    EMPTY = "empty"  # a comment with nothing in it, or too long
    REFUSED = "refused"  # not theirs, not a survey, a forged rating, an old survey: quietly nothing


@dataclass(frozen=True)
class RatingOutcome:
    result: RatingResult
    conversation_id: int | None = None  # set when its outbox has something new (the copy, the thread's note)
    ticket_id: int | None = None  # set when the ticket message should show the rating
    rating: int | None = None
    thanks: str = ""  # the survey's own words of thanks
    comment_prompt: str = ""  # MAY_COMMENT: the modal's label


def survey_notice(survey_id: int, ticket_id: int, config: SatisfactionConfig) -> Notice:
    """The survey as first sent; its wording is kept with it (a later change of the file leaves it as sent)."""
    facts: dict[str, Any] = {
        "survey_id": survey_id,
        "ticket_id": ticket_id,
        "state": SurveyState.OPEN.value,
        "question": config.question,
        "thanks": config.thanks,
        "comment_prompt": config.comment_prompt,
    }
    return Notice(NoticeKind.SURVEY, facts)


def rating_note(rating: int, rated_by: str, comment: str | None = None) -> Notice:
    """The ticket's thread hears the rating, and later the comment (the customer's words: escaped when shown)."""
    facts: dict[str, Any] = {"rating": rating, "user_id": rated_by}
    if comment is not None:
        facts["comment"] = comment
    return Notice(NoticeKind.RATING_NOTE, facts)


class Satisfaction(HandoffSteps):
    """The Helpdesk's part for the survey after a close (a mixin: it shares the helpdesk's storage and clock)."""

    satisfaction: SatisfactionConfig = SatisfactionConfig()  # the YAML's `satisfaction` (set by the app)

    def _survey_after_close(self, tx: HelpdeskTransaction, conversation_id: int, ticket_id: int) -> None:
        """In the close's transaction, after the goodbye: the survey, if on. Its ID is on its buttons:
        stored first, then told its own ID (nothing is posted before the commit)."""
        if not self.satisfaction.enabled:
            return
        message_id = tx.store_notice(
            conversation_id, ticket_id, Audience.CUSTOMER, survey_notice(0, ticket_id, self.satisfaction)
        )
        told = survey_notice(message_id, ticket_id, self.satisfaction)
        tx.messages.replace_notice(message_id, told.to_json(), revision="")

    # -- the customer's answers -------------------------------------------------------------------------

    def rate(self, survey_id: int, rating: int, user_id: str, door: FrontDoor | None = None) -> RatingOutcome:
        """`user_id` rates the survey's conversation `rating` (1-5), once. `door`: where they pressed,
        when in a thread of a shared channel (the edge has checked they are of another organisation)."""
        with self.storage.transaction() as tx:
            found = self._survey(tx, survey_id, user_id, door)
            if isinstance(found, RatingOutcome):
                return found
            survey, facts = found
            if facts.get("state") != SurveyState.OPEN:  # answered before: a second click, an old copy
                return self._answered(facts)
            if rating not in RATINGS:  # a forged value: no button says it
                return RatingOutcome(RatingResult.REFUSED)
            ticket_id = int(facts["ticket_id"])
            if not tx.tickets.rate(ticket_id, rating, user_id, self.clock()):
                return self._answered(facts)  # rated through another copy of the survey (it is stale)
            self._survey_says(tx, survey, facts, state=SurveyState.RATED.value, rating=rating)
            self._notify(tx, survey.conversation_id, ticket_id, Audience.AGENTS, rating_note(rating, user_id))
            return RatingOutcome(RatingResult.RATED, survey.conversation_id, ticket_id, rating, str(facts["thanks"]))

    def check_comment(self, survey_id: int, user_id: str, door: FrontDoor | None = None) -> RatingOutcome:
        """Whether `user_id` may add a comment now ("Add a comment" asks before opening its modal)."""
        return self._comment(survey_id, user_id, door, None)

    def comment(self, survey_id: int, text: str, user_id: str, door: FrontDoor | None = None) -> RatingOutcome:
        """Store the customer's comment on the rated ticket, once."""
        return self._comment(survey_id, user_id, door, text)

    def _comment(self, survey_id: int, user_id: str, door: FrontDoor | None, text: str | None) -> RatingOutcome:
        with self.storage.transaction() as tx:
            found = self._survey(tx, survey_id, user_id, door)
            if isinstance(found, RatingOutcome):
                return found
            survey, facts = found
            if facts.get("state") == SurveyState.COMMENTED:
                return self._answered(facts)
            if facts.get("state") != SurveyState.RATED:  # no comment without a rating (a forged press)
                return RatingOutcome(RatingResult.REFUSED)
            rating = int(facts["rating"])
            if text is None:
                prompt = str(facts.get("comment_prompt") or "")
                return RatingOutcome(RatingResult.MAY_COMMENT, rating=rating, comment_prompt=prompt)
            text = text.strip()
            if not text or len(text) > MAX_COMMENT_CHARS:
                return RatingOutcome(RatingResult.EMPTY, rating=rating)
            ticket_id = int(facts["ticket_id"])
            if not tx.tickets.comment_on_rating(ticket_id, text):
                return self._answered(facts)
            self._survey_says(tx, survey, facts, state=SurveyState.COMMENTED.value)
            self._notify(tx, survey.conversation_id, ticket_id, Audience.AGENTS, rating_note(rating, user_id, text))
            return RatingOutcome(
                RatingResult.COMMENTED, survey.conversation_id, ticket_id, rating, str(facts["thanks"])
            )

    # -- internals ----------------------------------------------------------------------------------------

    def _survey(
        self, tx: HelpdeskTransaction, survey_id: int, user_id: str, door: FrontDoor | None
    ) -> tuple[StoredNotice, dict[str, Any]] | RatingOutcome:
        """The survey's row (locked) and facts, if `user_id` may answer it at `door` and it still applies."""
        refused = RatingOutcome(RatingResult.REFUSED)
        unlocked = tx.messages.notice_of(survey_id)
        if unlocked is None:
            return refused
        # The conversation first, as every step of the customer's locks it; then the survey's row.
        conversation = tx.conversations.locked(unlocked.conversation_id)
        survey = tx.messages.locked_notice(survey_id)
        notice = Notice.from_json(survey.notice) if survey is not None and survey.notice else None
        if survey is None or notice is None or notice.kind is not NoticeKind.SURVEY or conversation is None:
            return refused
        facts = dict(notice.facts)
        ticket_id = int(facts.get("ticket_id") or 0)
        if survey.ticket_id != ticket_id or not self._may_answer(conversation, user_id, door):
            return refused
        ticket = tx.tickets.get(ticket_id)
        if (
            ticket is None
            or ticket.state != TicketState.CLOSED
            or tx.tickets.newer_exists(survey.conversation_id, ticket_id)
        ):
            return refused  # the conversation moved on: a new ticket since, and this survey no longer applies
        return survey, facts

    @staticmethod
    def _may_answer(conversation: StoredConversation, user_id: str, door: FrontDoor | None) -> bool:
        """A DM's survey is its customer's; a thread's is everyone's of the customer's organisation there
        (the edge lets only them through, with the thread as `door`), pressed in that very thread."""
        home = FrontDoor(conversation.channel_id, conversation.thread_ts)
        if home.is_thread:
            return door == home
        return door is None and conversation.customer_user_id == user_id

    @staticmethod
    def _answered(facts: dict[str, Any]) -> RatingOutcome:
        rating = facts.get("rating")
        return RatingOutcome(RatingResult.ALREADY, rating=int(rating) if rating else None, thanks=str(facts["thanks"]))

    @staticmethod
    def _survey_says(tx: HelpdeskTransaction, survey: StoredNotice, facts: dict[str, Any], **changes: Any) -> None:
        """The survey's notice as it reads now; the outbox updates its copy (chat.update) at the customer's door."""
        notice = Notice(NoticeKind.SURVEY, {**facts, **changes})
        tx.messages.replace_notice(survey.id, notice.to_json(), revision=str(changes["state"]))
