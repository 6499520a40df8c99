"""Satisfaction (CSAT, core.satisfaction) through the signed Slack edge, on SQLite and PostgreSQL: the
survey after the goodbye, a rating stored once and shown (the survey's copy, the ticket's thread, the
ticket message), the comment modal, second clicks and stale copies thanked again, forged values
refused quietly, a shared channel's thread (only the customer's organisation answers), the YAML's
switch and wording, and a customer who writes again after the survey."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from handoff_slack.blocks.action_ids import SURVEY_COMMENT, SURVEY_COMMENT_FORM, SURVEY_COMMENT_TEXT, SURVEY_RATE
from tests.conftest import AGENT, CUSTOMER, CUSTOMER_2, EXTERNAL_CUSTOMER, EXTERNAL_TEAM
from tests.support.app_under_test import SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import (
    TicketPost,
    action_ids,
    block_text,
    connected_ticket,
    dm,
    dm_posts,
    posted_to,
    press_close,
    stored_tickets,
    thread_posts,
    wait_for_dm,
    wait_for_menu,
    wait_for_ticket_update,
)
from tests.support.waiting import wait_until
from tests.test_shared_channel_leaks import escalated_thread
from tests.test_shared_channels import SHARED, in_thread, serve

QUESTION = "How did we do?"
EVIL = "Great <!channel> see <https://evil.example|bank.com> *bold* & more"


# -- steps ------------------------------------------------------------------------------------------------


def closed_with_survey(app: AppUnderTest, fake: FakeSlack, customer: str = CUSTOMER) -> tuple[TicketPost, Call]:
    """`customer` talked with AGENT, who closed the ticket: the survey as posted in their DM."""
    ticket = connected_ticket(app, fake, customer, AGENT)
    press_close(app, fake, AGENT, ticket)
    return ticket, wait_for_dm(fake, customer, QUESTION)


def survey_id(survey: Call) -> int:
    values = [e["value"] for b in survey.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    return int(values[0].split(":")[0])


def press_rating(
    app: AppUnderTest,
    fake: FakeSlack,
    user: str,
    value: str,
    name: str,
    channel: str | None = None,
    ts: str = "1.0",
    rating: int | None = None,
    **kwargs: Any,
) -> str:
    """`user` presses a 1-5 button carrying `value` ("<survey>:<rating>"); the response_url's name."""
    shown = rating if rating is not None else int(value.rsplit(":", 1)[-1] or 0)
    reply = app.slack.block_action(
        user,
        f"{SURVEY_RATE}:{shown}",
        value,
        channel_id=channel or f"D{user}",
        message_ts=ts,
        response_url=fake.response_url(name),
        **kwargs,
    )
    assert (reply.status, reply.body) == (200, ""), reply
    return name


def lazy_work_done(app: AppUnderTest) -> None:
    """Every lazy listener started so far has finished (what a press would say, it has said)."""
    assert app.app is not None
    executor = app.app.services.lazy_work
    wait_until(lambda: executor.backlog == 0, message="the lazy listeners to finish")


def survey_updates(fake: FakeSlack, survey: Call) -> list[Call]:
    return [c for c in fake.calls("chat.update") if c.params.get("ts") == survey.response["ts"] and c.ok]


def wait_for_survey_update(fake: FakeSlack, survey: Call, contains: str) -> Call:
    return fake.wait_for(
        "chat.update",
        lambda c: c.params.get("ts") == survey.response["ts"] and contains in block_text(c.params.get("blocks")),
    )[0]


def answers(fake: FakeSlack, name: str) -> list[Call]:
    return fake.calls(f"response_url:{name}")


def rating_of(app: AppUnderTest, ticket: TicketPost) -> tuple[Any, ...]:
    row = next(t for t in stored_tickets(app) if t.id == ticket.ticket_id)
    return (row.rating, row.rating_comment, row.rated_by, row.rated_at is not None)


# -- the survey, a rating, the comment ----------------------------------------------------------------------


def test_close_sends_the_survey_after_the_goodbye_and_a_rating_is_stored_and_shown(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    ticket, survey = closed_with_survey(app, fake_slack)
    posts = dm_posts(fake_slack, CUSTOMER)
    goodbye = next(i for i, c in enumerate(posts) if "has closed this conversation" in c.params["text"])
    assert posts.index(survey) == goodbye + 1  # right after the goodbye, in order
    assert action_ids(survey.params["blocks"]) == [f"{SURVEY_RATE}:{n}" for n in range(1, 6)]
    sid = survey_id(survey)
    assert rating_of(app, ticket) == (None, None, None, False)

    press_rating(app, fake_slack, CUSTOMER, f"{sid}:4", "rate", ts=survey.response["ts"])

    update = wait_for_survey_update(fake_slack, survey, "you rated 4/5")
    assert action_ids(update.params["blocks"]) == [SURVEY_COMMENT]  # the 1-5 buttons are gone
    assert "Thanks for your feedback!" in block_text(update.params["blocks"])
    note = fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "*4/5*", thread_ts=ticket.ts))[0]
    assert note.params["text"].startswith(f":star: <@{CUSTOMER}> rated this conversation")
    wait_for_ticket_update(fake_slack, ticket, "Customer rating* 4/5")
    assert rating_of(app, ticket) == (4, None, CUSTOMER, True)
    lazy_work_done(app)
    assert answers(fake_slack, "rate") == []  # the updated survey says thanks: no ephemeral besides


def test_a_second_click_a_stale_copy_and_a_redelivery_change_nothing_and_thank_again(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    ticket, survey = closed_with_survey(app, fake_slack)
    sid = survey_id(survey)
    press_rating(app, fake_slack, CUSTOMER, f"{sid}:5", "first", ts=survey.response["ts"])
    wait_for_survey_update(fake_slack, survey, "you rated 5/5")

    for name, value in (("again", f"{sid}:1"), ("stale-copy", f"{sid}:3"), ("redelivered", f"{sid}:5")):
        press_rating(app, fake_slack, CUSTOMER, value, name, ts=survey.response["ts"])
        said = fake_slack.wait_for(f"response_url:{name}")[0]
        assert said.params["text"] == "You already rated this conversation 5/5. Thanks for your feedback!"
        assert said.params["response_type"] == "ephemeral"

    lazy_work_done(app)
    assert rating_of(app, ticket) == (5, None, CUSTOMER, True)
    assert len([c for c in thread_posts(fake_slack, ticket) if "rated this conversation" in c.params["text"]]) == 1
    assert len(survey_updates(fake_slack, survey)) == 1


def test_the_comment_modal_stores_the_comment_once_escaped_where_agents_read_it(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    ticket, survey = closed_with_survey(app, fake_slack)
    sid = survey_id(survey)
    press_rating(app, fake_slack, CUSTOMER, f"{sid}:2", "rate", ts=survey.response["ts"])
    wait_for_survey_update(fake_slack, survey, "you rated 2/5")

    reply = app.slack.block_action(
        CUSTOMER,
        SURVEY_COMMENT,
        str(sid),
        channel_id=f"D{CUSTOMER}",
        message_ts=survey.response["ts"],
        response_url=fake_slack.response_url("comment"),
        trigger_id=fake_slack.issue_trigger(CUSTOMER),
    )
    assert reply.status == 200
    opened = fake_slack.wait_for("views.open")[0].params["view"]
    assert opened["callback_id"] == SURVEY_COMMENT_FORM
    assert "Anything you'd like to add?" in block_text(opened["blocks"])
    metadata = opened["private_metadata"]

    empty = app.slack.view_submission(
        CUSTOMER, SURVEY_COMMENT_FORM, {SURVEY_COMMENT_TEXT: {SURVEY_COMMENT_TEXT: "  "}}, metadata
    )
    assert empty.status == 200 and "Please write your comment" in empty.body
    sent = app.slack.view_submission(
        CUSTOMER, SURVEY_COMMENT_FORM, {SURVEY_COMMENT_TEXT: {SURVEY_COMMENT_TEXT: EVIL}}, metadata
    )
    assert (sent.status, sent.body) == (200, "")

    note = fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "commented on", thread_ts=ticket.ts))[0]
    text = note.params["text"]
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text and "<https://evil" not in text
    shown = wait_for_ticket_update(fake_slack, ticket, "Great")
    assert "<!channel>" not in block_text(shown.params["blocks"])
    update = wait_for_survey_update(fake_slack, survey, "Your comment was passed on.")
    assert action_ids(update.params["blocks"]) == []
    assert rating_of(app, ticket) == (2, EVIL, CUSTOMER, True)

    again = app.slack.view_submission(
        CUSTOMER, SURVEY_COMMENT_FORM, {SURVEY_COMMENT_TEXT: {SURVEY_COMMENT_TEXT: "more"}}, metadata
    )
    assert again.status == 200 and "already sent a comment" in again.body
    stranger = app.slack.view_submission(
        CUSTOMER_2, SURVEY_COMMENT_FORM, {SURVEY_COMMENT_TEXT: {SURVEY_COMMENT_TEXT: "x"}}, metadata
    )
    assert stranger.status == 200 and "no longer open" in stranger.body
    assert rating_of(app, ticket) == (2, EVIL, CUSTOMER, True)


# -- refused quietly ------------------------------------------------------------------------------------------


def test_forged_values_are_refused_quietly(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket, survey = closed_with_survey(app, fake_slack)
    sid = survey_id(survey)
    forged = {
        "rating-9": (CUSTOMER, f"{sid}:9"),
        "rating-0": (CUSTOMER, f"{sid}:0"),
        "not-a-number": (CUSTOMER, "abc:4"),
        "someone-elses": (CUSTOMER_2, f"{sid}:4"),  # another customer's survey, pressed in their own DM
        "not-a-survey": (CUSTOMER, f"{sid - 1}:4"),  # the goodbye's notice, stored just before
        "no-such-row": (CUSTOMER, "2147483000:4"),
    }
    for name, (user, value) in forged.items():
        press_rating(app, fake_slack, user, value, name, ts=survey.response["ts"], rating=4)
    lazy_work_done(app)
    for name in forged:
        assert answers(fake_slack, name) == [], name
    assert rating_of(app, ticket) == (None, None, None, False)
    assert survey_updates(fake_slack, survey) == []
    comment = app.slack.block_action(
        CUSTOMER, SURVEY_COMMENT, str(sid), channel_id=f"D{CUSTOMER}", response_url=fake_slack.response_url("early")
    )
    assert comment.status == 200  # no comment before a rating: no modal, nothing said
    lazy_work_done(app)
    assert fake_slack.calls("views.open") == [] and answers(fake_slack, "early") == []


def test_an_old_survey_of_a_conversation_that_moved_on_is_refused_and_the_customer_is_not_trapped(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    first, survey = closed_with_survey(app, fake_slack)
    dm(app, CUSTOMER, "hello again")  # after the survey: the bot answers, as after any close
    wait_for_menu(fake_slack, CUSTOMER)
    second = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    assert second.ticket_id != first.ticket_id
    press_rating(app, fake_slack, CUSTOMER, f"{survey_id(survey)}:1", "old", ts=survey.response["ts"])
    lazy_work_done(app)
    assert answers(fake_slack, "old") == []
    assert rating_of(app, first) == (None, None, None, False)


# -- a shared channel's thread --------------------------------------------------------------------------------


@pytest.fixture
def shared(app: AppUnderTest, fake_slack: FakeSlack) -> AppUnderTest:
    serve(app, fake_slack)
    return app


def test_in_a_shared_channel_the_survey_goes_to_the_customers_thread_and_only_their_side_answers(
    shared: AppUnderTest, fake_slack: FakeSlack
) -> None:
    root, ticket = escalated_thread(shared, fake_slack)
    press_close(shared, fake_slack, AGENT, ticket)
    survey = in_thread(fake_slack, root, QUESTION)
    assert survey.params["channel"] == SHARED
    sid = survey_id(survey)
    where = {"channel": SHARED, "ts": survey.response["ts"], "thread_ts": root}

    press_rating(shared, fake_slack, AGENT, f"{sid}:1", "internal", **where)  # an internal person
    refusal = fake_slack.wait_for(
        "chat.postEphemeral", lambda c: c.params.get("user") == AGENT and c.params.get("channel") == SHARED
    )[0]
    assert "for the customer to answer" in refusal.params["text"]
    assert rating_of(shared, ticket) == (None, None, None, False)

    press_rating(shared, fake_slack, EXTERNAL_CUSTOMER, f"{sid}:3", "customer", team_id=EXTERNAL_TEAM, **where)
    wait_for_survey_update(fake_slack, survey, "you rated 3/5")
    assert rating_of(shared, ticket) == (3, None, EXTERNAL_CUSTOMER, True)
    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "*3/5*", thread_ts=ticket.ts))

    # The comment: the modal remembers the thread; an internal person's submission is refused.
    comment = shared.slack.block_action(
        EXTERNAL_CUSTOMER,
        SURVEY_COMMENT,
        str(sid),
        team_id=EXTERNAL_TEAM,
        channel_id=SHARED,
        message_ts=survey.response["ts"],
        thread_ts=root,
        trigger_id=fake_slack.issue_trigger(EXTERNAL_CUSTOMER),
    )
    assert comment.status == 200
    metadata = fake_slack.wait_for("views.open")[0].params["view"]["private_metadata"]
    assert metadata == f"{sid} {SHARED} {root}"
    values = {SURVEY_COMMENT_TEXT: {SURVEY_COMMENT_TEXT: "Quick and kind"}}
    internal = shared.slack.view_submission(AGENT, SURVEY_COMMENT_FORM, values, metadata)
    assert internal.status == 200 and "no longer open" in internal.body
    sent = shared.slack.view_submission(EXTERNAL_CUSTOMER, SURVEY_COMMENT_FORM, values, metadata, team_id=EXTERNAL_TEAM)
    assert (sent.status, sent.body) == (200, "")
    wait_for_survey_update(fake_slack, survey, "Your comment was passed on.")
    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "Quick and kind", thread_ts=ticket.ts))
    assert rating_of(shared, ticket) == (3, "Quick and kind", EXTERNAL_CUSTOMER, True)

    # Nothing of the agents' side reached the shared channel: the notes stay in the support channel.
    lazy_work_done(shared)
    seen = json.dumps(
        [c.params for c in fake_slack.calls() if SHARED in (c.params.get("channel"), c.params.get("channel_id"))]
    )
    for internal_text in ("rated this conversation", "commented on", "Customer rating", "Support request #"):
        assert internal_text not in seen, internal_text


# -- the YAML's switch and wording ----------------------------------------------------------------------------


def app_with(fake: FakeSlack, database_url: str, tmp_path: Path, section: dict[str, Any]) -> AppUnderTest:
    config = tmp_path / "bot.yaml"
    config.write_text(yaml.safe_dump({"satisfaction": section}))
    return AppUnderTest(settings_for(fake, database_url, HANDOFF_CONFIG=str(config))).start()


@pytest.fixture
def worded(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> Iterator[AppUnderTest]:
    section = {"question": "Rate *Acme* support <!here>", "thanks": "Merci!", "comment_prompt": "Tell us more"}
    running = app_with(fake_slack, database_url, tmp_path, section)
    try:
        yield running
    finally:
        running.stop()


def test_the_wording_comes_from_the_yaml(worded: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(worded, fake_slack, CUSTOMER, AGENT)
    press_close(worded, fake_slack, AGENT, ticket)
    survey = wait_for_dm(fake_slack, CUSTOMER, "Rate *Acme* support")
    assert "<!here>" not in survey.params["text"]  # the team's own words never ping
    press_rating(worded, fake_slack, CUSTOMER, f"{survey_id(survey)}:5", "rate", ts=survey.response["ts"])
    assert "Merci!" in block_text(wait_for_survey_update(fake_slack, survey, "you rated 5/5").params["blocks"])


@pytest.fixture
def switched_off(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> Iterator[AppUnderTest]:
    running = app_with(fake_slack, database_url, tmp_path, {"enabled": False})
    try:
        yield running
    finally:
        running.stop()


def test_switched_off_no_survey_is_sent(switched_off: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(switched_off, fake_slack, CUSTOMER, AGENT)
    press_close(switched_off, fake_slack, AGENT, ticket)
    wait_for_dm(fake_slack, CUSTOMER, "has closed this conversation")
    dm(switched_off, CUSTOMER, "one more thing")  # a fence: the bot's answer comes after anything stored before
    wait_for_menu(fake_slack, CUSTOMER)
    assert [c for c in dm_posts(fake_slack, CUSTOMER) if QUESTION in c.params["text"]] == []
