"""The survey after a close (core.satisfaction) on a real database (SQLite file and PostgreSQL), no
Slack: stored after the goodbye, racing ratings (one wins), and no survey where nobody was closed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from handoff_slack.core.bot_config import SatisfactionConfig
from handoff_slack.core.helpdesk import CloseResult
from handoff_slack.core.notices import NoticeKind
from handoff_slack.core.satisfaction import RatingResult
from handoff_slack.storage.helpdesk_store import SqlHelpdesk
from tests.core.test_helpdesk import JANE, desk, escalate, pending  # noqa: F401 (the fixture)


def closed(desk: SqlHelpdesk) -> tuple[int, int]:  # noqa: F811
    """JANE's ticket, claimed and closed: (ticket, survey)."""
    ticket_id = escalate(desk)
    desk.claim(ticket_id, "UAGENT")
    assert desk.close(ticket_id, "UAGENT", is_admin=False).result is CloseResult.CLOSED
    conversation_id = desk.ticket(ticket_id).conversation_id  # type: ignore[union-attr]
    kinds = [(d.message_id, d.notice.kind) for d in pending(desk, conversation_id) if d.notice is not None]
    assert [kind for _, kind in kinds][-2:] == [NoticeKind.CLOSED, NoticeKind.SURVEY]  # after the goodbye
    return ticket_id, kinds[-1][0]


def test_of_racing_ratings_exactly_one_is_stored(desk: SqlHelpdesk) -> None:  # noqa: F811
    ticket_id, survey = closed(desk)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: desk.rate(survey, n, JANE.user_id).result, [1, 2, 3, 4]))
    assert sorted(results) == sorted([RatingResult.RATED, *[RatingResult.ALREADY] * 3])
    shown = desk.ticket(ticket_id)
    assert shown is not None and shown.rating in (1, 2, 3, 4)


def test_a_comment_needs_a_rating_and_is_kept_once(desk: SqlHelpdesk) -> None:  # noqa: F811
    ticket_id, survey = closed(desk)
    assert desk.comment(survey, "early", JANE.user_id).result is RatingResult.REFUSED
    assert desk.rate(survey, 5, JANE.user_id).result is RatingResult.RATED
    assert desk.comment(survey, "x" * 1001, JANE.user_id).result is RatingResult.EMPTY
    assert desk.comment(survey, " kind and quick ", JANE.user_id).result is RatingResult.COMMENTED
    assert desk.comment(survey, "again", JANE.user_id).result is RatingResult.ALREADY
    shown = desk.ticket(ticket_id)
    assert shown is not None and shown.rating_shown == (5, "kind and quick")


def test_switched_off_or_cancelled_no_survey_is_stored(desk: SqlHelpdesk) -> None:  # noqa: F811
    desk.satisfaction = SatisfactionConfig(enabled=False)
    ticket_id = escalate(desk)
    desk.claim(ticket_id, "UAGENT")
    desk.close(ticket_id, "UAGENT", is_admin=False)
    conversation_id = desk.ticket(ticket_id).conversation_id  # type: ignore[union-attr]
    assert NoticeKind.SURVEY not in [d.notice.kind for d in pending(desk, conversation_id) if d.notice]
    desk.satisfaction = SatisfactionConfig()
    left = escalate(desk)
    assert desk.cancel_waiting(JANE.user_id, left) is not None
    assert NoticeKind.SURVEY not in [d.notice.kind for d in pending(desk, conversation_id) if d.notice]


def test_a_ticket_message_update_that_missed_the_rating_leaves_it_stale(desk: SqlHelpdesk) -> None:  # noqa: F811
    """The rating arrived while the ticket message was being updated: the update does not count as showing it."""
    ticket_id, survey = closed(desk)
    before = desk.ticket(ticket_id)
    assert before is not None and before.message_stale
    desk.rate(survey, 3, JANE.user_id)
    desk.ticket_message_shown(ticket_id, before.state, before.priority_shown, before.rating_shown)
    after = desk.ticket(ticket_id)
    assert after is not None and after.message_stale and after.rating_shown == (3, None)
    desk.ticket_message_shown(ticket_id, after.state, after.priority_shown, after.rating_shown)
    shown = desk.ticket(ticket_id)
    assert shown is not None and not shown.message_stale
