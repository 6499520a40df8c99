"""/handoff-status and /handoff-agents through the signed Slack edge, and the audit rows of claims and closes.

Each command is a signed slash command with a response_url on the fake Slack; the tests read the
answer Slack would have received there.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from handoff_slack.blocks.agents import AGENTS_PER_PAGE
from handoff_slack.core.agent_profiles import Availability
from handoff_slack.listeners.commands import handoff_agents, handoff_status
from tests.conftest import AGENT, AGENT_2, CUSTOMER, OUTSIDER
from tests.support.app_under_test import ADMIN, SUPPORT_CHANNEL, AppUnderTest
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import (
    block_text,
    claim,
    claim_and_wait,
    connected_ticket,
    press_close,
    wait_for_ticket_update,
    waiting_ticket,
)

STATUS, AGENTS = handoff_status.COMMAND, handoff_agents.COMMAND
_answers = itertools.count()


def run(app: AppUnderTest, fake: FakeSlack, command: str, text: str, user: str) -> Call:
    """`user` runs `command text` in the support channel; the answer posted to its response_url."""
    name = f"answer-{next(_answers)}"
    reply = app.slack.slash_command(command, text, user, SUPPORT_CHANNEL, fake.response_url(name))
    assert (reply.status, reply.body) == (200, ""), reply
    answer = fake.wait_for(f"response_url:{name}")[0]
    assert answer.params["response_type"] == "ephemeral"
    return answer


def said(answer: Call) -> str:
    return answer.params["text"] + block_text(answer.params.get("blocks"))


def profile(app: AppUnderTest, user: str):  # type: ignore[no-untyped-def]
    assert app.app is not None
    return app.app.services.profiles.get(user)


def audit(app: AppUnderTest, **match):  # type: ignore[no-untyped-def]
    assert app.app is not None
    return app.app.services.audit.entries(**match)


# -- /handoff-status ------------------------------------------------------------------------------


def test_an_agent_sets_their_status_and_sees_it(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    answer = run(app, fake_slack, STATUS, "available capacity 4 languages DE, pt-br skills Billing,hardware", AGENT)

    assert said(answer) == (
        "Your status is now: :large_green_circle: *available* · 0 of 4 conversations · languages de, pt-BR"
        " · skills billing, hardware."
    )
    stored = profile(app, AGENT)
    assert (stored.availability, stored.capacity, stored.languages) == (Availability.AVAILABLE, 4, ("de", "pt-BR"))
    (entry,) = audit(app)
    assert (entry.action, entry.actor_user_id, entry.subject_user_id, entry.ticket_id) == ("status", AGENT, AGENT, None)
    assert entry.details == {
        "availability": "available",
        "capacity": 4,
        "languages": ["de", "pt-BR"],
        "skills": ["billing", "hardware"],
    }

    away = run(app, fake_slack, STATUS, "AWAY", AGENT)
    assert "*away* · 0 of 4 conversations · languages de, pt-BR" in said(away)  # the rest stays


def test_with_no_argument_an_agent_sees_their_status_and_open_conversations(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    assert said(run(app, fake_slack, STATUS, "", AGENT)) == (
        "Your status is: :white_circle: *offline* · 0 of 3 conversations."  # never set: offline, the default capacity
    )
    connected_ticket(app, fake_slack, CUSTOMER, AGENT)

    assert "*offline* · 1 of 3 conversations" in said(run(app, fake_slack, STATUS, "", AGENT))
    assert profile(app, AGENT) is None and audit(app, action=None, user_id=AGENT)[0].action == "claim"


def test_help_shows_the_usage(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    for text in ("help", "HELP", "?", "--help"):
        assert said(run(app, fake_slack, STATUS, text, AGENT)) == handoff_status.USAGE


BAD_ARGUMENTS = [
    ("capacity 0", "capacity must be a whole number from 1 to 50"),
    ("capacity 51", "from 1 to 50"),
    ("capacity", "`capacity` needs a value"),
    ("capacity ３", "from 1 to 50"),
    ("languages german", "languages are codes like de"),
    ("languages de,<!channel>", "languages are codes"),
    ("skills <!here>", "skills are tags"),
    ("skills bill\u202eing", "skills are tags"),
    ("busy", "I don't know “busy”"),
    ("available away", "Give the availability once"),
    ("capacity 2 capacity 3", "Give the capacity once"),
    ("away <@UAGENT2|bob>", "Name the person first"),
    ("<!channel> available", "I don't know “&lt;!channel&gt;”"),
    ("x" * 5000, "I don't know “xxxx"),
    ("a " * 100, "more than I can read"),
]


def test_a_bad_argument_gets_why_the_usage_and_an_example(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    for text, why in BAD_ARGUMENTS:
        answer = said(run(app, fake_slack, STATUS, text, AGENT))

        assert why in answer and handoff_status.USAGE in answer, text
        assert "e.g. `/handoff-status available" in answer
        assert "<!" not in answer and "\u202e" not in answer and len(answer) < 2000, text
    assert profile(app, AGENT) is None and audit(app) == []  # nothing changed


def test_a_non_agent_gets_a_polite_refusal_that_reveals_nothing(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    connected_ticket(app, fake_slack, CUSTOMER, AGENT)

    for text in ("", "available", "help", "<@UAGENT1|alice> away", "capacity 0"):
        answer = run(app, fake_slack, STATUS, text, OUTSIDER)

        assert said(answer) == handoff_status.REFUSAL and not answer.params.get("blocks"), text
    assert profile(app, OUTSIDER) is None and profile(app, AGENT) is None


def test_an_admin_sees_and_sets_an_agents_status(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    changed = run(app, fake_slack, STATUS, "<@UAGENT2|bob> away capacity 2 skills vip", ADMIN)

    assert said(changed) == (
        "<@UAGENT2>'s status is now: :large_yellow_circle: *away* · 0 of 2 conversations · skills vip."
    )
    stored = profile(app, AGENT_2)
    assert (stored.availability, stored.capacity, stored.updated_by_user_id) == (Availability.AWAY, 2, ADMIN)
    (entry,) = audit(app, user_id=AGENT_2)
    assert (entry.actor_user_id, entry.subject_user_id) == (ADMIN, AGENT_2)
    assert said(run(app, fake_slack, STATUS, "<@UAGENT2|bob> <@UAGENT1|alice> away", ADMIN)).startswith(
        "Name the person first, and only one person."
    )
    assert "<@UAGENT2>'s status is: " in said(run(app, fake_slack, STATUS, "<@UAGENT2>", ADMIN))
    spaced = run(app, fake_slack, STATUS, "<@UAGENT2|Bob the Agent> available", ADMIN)  # a name with spaces
    assert "<@UAGENT2>'s status is now: :large_green_circle: *available* · 0 of 2" in said(spaced)
    # Admins are not members of the support channel, and may set their own.
    own = run(app, fake_slack, STATUS, "available", ADMIN)
    assert "Your status is now: :large_green_circle: *available*" in said(own)


def test_only_admins_set_someone_elses_status(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    assert said(run(app, fake_slack, STATUS, "<@UAGENT2|bob> offline", AGENT)) == handoff_status.ADMINS_ONLY
    assert said(run(app, fake_slack, STATUS, "<@UAGENT2|bob>", AGENT)) == handoff_status.ADMINS_ONLY
    assert profile(app, AGENT_2) is None

    not_an_agent = run(app, fake_slack, STATUS, "<@UOUTSIDER|olly> available", ADMIN)
    assert said(not_an_agent) == "<@UOUTSIDER> is not on the support team, so they have no status here."
    assert profile(app, OUTSIDER) is None and audit(app) == []


# -- /handoff-agents ------------------------------------------------------------------------------


def test_agents_see_who_is_on_available_first_with_their_load(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    run(app, fake_slack, STATUS, "away languages fr", AGENT)
    run(app, fake_slack, STATUS, "available capacity 5 skills billing", AGENT_2)

    answer = run(app, fake_slack, AGENTS, "", AGENT)

    lines = [line for line in said(answer).splitlines() if line.startswith("<@")]
    assert lines == [
        "<@UAGENT2> · :large_green_circle: *available* · 0 of 5 conversations · skills billing",
        "<@UAGENT1> · :large_yellow_circle: *away* · 1 of 3 conversations · languages fr",
    ]  # the bot is a member of the support channel, and no agent
    assert "1 available, 1 away, 0 offline · 1 open conversations" in said(answer)
    assert ADMIN not in said(answer)  # an admin who never set a status is no agent on the list


def test_admins_who_set_a_status_are_listed_and_outsiders_are_refused(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    run(app, fake_slack, STATUS, "available", ADMIN)
    assert "<@UADMIN> · :large_green_circle: *available*" in said(run(app, fake_slack, AGENTS, "", ADMIN))

    for text in ("", "help", "2"):
        refused = run(app, fake_slack, AGENTS, text, OUTSIDER)
        assert said(refused) == handoff_agents.REFUSAL and not refused.params.get("blocks")
    assert said(run(app, fake_slack, AGENTS, "help", AGENT)) == handoff_agents.USAGE
    unknown = said(run(app, fake_slack, AGENTS, "<!channel> 0", AGENT))
    assert "Unknown option" in unknown and handoff_agents.USAGE in unknown and "<!channel>" not in unknown


def test_two_hundred_agents_fit_slacks_limits_in_pages(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    many = [f"UMANY{n:03d}" for n in range(199)]  # and AGENT: 200
    fake_slack.set_members(SUPPORT_CHANNEL, [AGENT, *many])
    for n, user in enumerate(many[:30]):
        run(app, fake_slack, STATUS, f"available capacity {n % 50 + 1} languages de,fr skills tier_{n}", user)

    first = run(app, fake_slack, AGENTS, "", AGENT)
    second = run(app, fake_slack, AGENTS, "2", AGENT)

    for page in (first, second):
        blocks = page.params["blocks"]
        assert len(blocks) <= 50 and all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
    listed = [line.split(" ")[0] for page in (first, second) for line in said(page).splitlines() if line[:2] == "<@"]
    assert sorted(listed) == sorted(f"<@{user}>" for user in [AGENT, *many])  # each once, over two pages
    assert listed[:30] == [f"<@{user}>" for user in many[:30]]  # the available first (least busy, then by ID)
    assert f"…and {200 - AGENTS_PER_PAGE} more: `/handoff-agents 2` shows the next 100." in said(first)
    assert "more:" not in said(second) and "Agents: 200" in said(second) and "page 2 of 2" in said(second)


# -- agents from a user group ------------------------------------------------------------------------


@pytest.fixture
def group_app(fake_slack: FakeSlack, sqlite_url: str) -> Iterator[AppUnderTest]:
    from tests.support.app_under_test import settings_for

    fake_slack.set_user_group("SAGENTS", [AGENT_2])
    running = AppUnderTest(settings_for(fake_slack, sqlite_url, HANDOFF_AGENT_GROUP="SAGENTS")).start()
    try:
        yield running
    finally:
        running.stop()


def group_changed(app: AppUnderTest, added: object, removed: object) -> None:
    event = {"type": "subteam_members_changed", "subteam_id": "SAGENTS", "team_id": "T0HOME"}
    event.update(added_users=added, removed_users=removed, event_ts="1700000000.000100")
    assert app.slack.event(event).status == 200


def test_with_an_agent_group_its_members_are_the_agents_kept_current_by_its_events(
    group_app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    assert said(run(group_app, fake_slack, STATUS, "", AGENT)) == handoff_status.REFUSAL  # in the channel only
    assert "Your status is" in said(run(group_app, fake_slack, STATUS, "", AGENT_2))

    group_changed(group_app, added=[AGENT], removed=[AGENT_2])
    group_changed(group_app, added="UOUTSIDER", removed=None)  # wrong-shaped: changes nothing
    # A join of the support channel makes nobody an agent when agents come from the group.
    group_app.slack.event({"type": "member_joined_channel", "user": OUTSIDER, "channel": SUPPORT_CHANNEL})

    assert "Your status is" in said(run(group_app, fake_slack, STATUS, "", AGENT))
    assert said(run(group_app, fake_slack, STATUS, "", AGENT_2)) == handoff_status.REFUSAL
    assert said(run(group_app, fake_slack, STATUS, "", OUTSIDER)) == handoff_status.REFUSAL
    listed = said(run(group_app, fake_slack, AGENTS, "", AGENT))
    assert "<@UAGENT1>" in listed and "<@UAGENT2>" not in listed
    assert len(fake_slack.calls("usergroups.users.list")) == 1  # the events kept the list; no new look-up
    assert fake_slack.calls("conversations.members") == []


def test_with_an_agent_group_a_claim_by_a_channel_member_outside_it_is_refused_naming_the_group(
    group_app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    ticket = waiting_ticket(group_app, fake_slack, CUSTOMER)

    url = claim(group_app, fake_slack, AGENT, ticket)

    refusal = fake_slack.wait_for(f"response_url:{url.rsplit('/', 1)[-1]}")[0].params["text"]
    assert refusal == "Only members of <!subteam^SAGENTS> can claim tickets."
    claim_and_wait(group_app, fake_slack, AGENT_2, ticket)  # a member of the group can
    assert [e.actor_user_id for e in audit(group_app, ticket_id=ticket.ticket_id)] == [AGENT_2]


# -- the audit log of claims and closes ------------------------------------------------------------


def test_a_claim_and_a_close_are_in_the_audit_log(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    press_close(app, fake_slack, ADMIN, ticket)
    wait_for_ticket_update(fake_slack, ticket, "Closed by")

    close, claim = audit(app, ticket_id=ticket.ticket_id)
    assert (claim.action, claim.actor_user_id) == ("claim", AGENT)
    assert (close.action, close.actor_user_id, close.details) == ("close", ADMIN, {"agent_user_id": AGENT})
    assert claim.at <= close.at
