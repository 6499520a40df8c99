"""The people directory's caches expire and stay bounded (an injected clock: no sleeps)."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from handoff_slack.slack.directory import PeopleDirectory
from handoff_slack.slack.expiring_cache import ExpiringCache
from tests.conftest import AGENT, AGENT_2, CUSTOMER, EXTERNAL_CUSTOMER, EXTERNAL_TEAM
from tests.support.fake_slack import FakeSlack


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_their_time() -> None:
    clock = Clock()
    cache: ExpiringCache[str, int] = ExpiringCache(ttl_seconds=60, max_entries=10, clock=clock)
    cache.put("a", 1)
    clock.now += 59.9
    assert cache.get("a") == 1  # reading does not extend an entry's life
    clock.now += 0.1
    assert cache.get("a") is None and len(cache) == 0


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: ExpiringCache[str, int] = ExpiringCache(ttl_seconds=60, max_entries=2, clock=Clock())
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2


def test_a_cache_needs_a_positive_size_and_time() -> None:
    with pytest.raises(ValueError):
        ExpiringCache(ttl_seconds=0, max_entries=1)
    with pytest.raises(ValueError):
        ExpiringCache(ttl_seconds=1, max_entries=0)


def directory(fake: FakeSlack, clock: Clock, max_entries: int = 100) -> PeopleDirectory:
    client = WebClient(token=fake.bot_token, base_url=fake.api_url)
    return PeopleDirectory(client, fake.team_id, ttl_seconds=3600, max_entries=max_entries, clock=clock)


def users_info_calls(fake: FakeSlack, user: str) -> int:
    return len(fake.calls("users.info", user=user))


def test_a_renamed_person_is_seen_once_their_profile_expired(fake_slack: FakeSlack) -> None:
    clock = Clock()
    people = directory(fake_slack, clock)
    assert people.person(CUSTOMER).name == "Jane"
    fake_slack.add_user(CUSTOMER, name="jane", real_name="Jane Customer", display_name="Jane D.")

    clock.now += 3599
    assert people.person(CUSTOMER).name == "Jane"  # cached: no second look-up yet
    assert users_info_calls(fake_slack, CUSTOMER) == 1
    clock.now += 1
    assert people.person(CUSTOMER).name == "Jane D."
    assert users_info_calls(fake_slack, CUSTOMER) == 2


def test_the_people_cache_is_bounded(fake_slack: FakeSlack) -> None:
    people = directory(fake_slack, Clock(), max_entries=2)
    for user in (CUSTOMER, AGENT, AGENT_2):
        people.person(user)
    people.person(AGENT_2)
    people.person(CUSTOMER)  # pushed out by the third: looked up again
    assert [users_info_calls(fake_slack, u) for u in (CUSTOMER, AGENT, AGENT_2)] == [2, 1, 1]


def test_organisation_names_expire_too(fake_slack: FakeSlack) -> None:
    clock = Clock()
    people = directory(fake_slack, clock)
    assert people.customer_facts(EXTERNAL_CUSTOMER, EXTERNAL_TEAM) == ("Erin External", "Acme Corp")
    fake_slack.add_team(EXTERNAL_TEAM, "Acme Group")
    clock.now += 3600
    assert people.external_org_name(EXTERNAL_TEAM) == "Acme Group"
    assert len(fake_slack.calls("team.info", team=EXTERNAL_TEAM)) == 2


# -- agents and approvers from user groups ----------------------------------------------------------


def test_the_agents_group_is_read_once_and_kept_current_by_its_events(fake_slack: FakeSlack) -> None:
    from handoff_slack.slack.approvers import Approvers
    from handoff_slack.slack.directory import AgentDirectory

    client = WebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url)
    fake_slack.set_user_group("SAGENTS", [AGENT])
    fake_slack.set_user_group("SAPPROVE", [AGENT_2])
    agents = AgentDirectory(client, "CSUPPORT", frozenset({"UADMIN"}), 300, Clock(), group_id="SAGENTS")
    same = Approvers(client, agents, "SAGENTS")
    others = Approvers(client, agents, "SAPPROVE")

    assert agents.is_agent(AGENT) and same.may_decide(AGENT) and not agents.is_agent(AGENT_2)
    assert agents.is_agent("UADMIN") and others.may_decide("UADMIN") and others.may_decide(AGENT_2)
    agents.member_joined(AGENT_2)  # a support channel join: no agent while agents are the group's
    for directory in (agents, same, others):  # as the subteam_members_changed listener does
        directory.group_changed("SAGENTS", added=[AGENT_2], removed=[AGENT])
        directory.group_changed("SAPPROVE", added=[CUSTOMER], removed=[AGENT_2])
        directory.group_changed("SOTHER", added=[EXTERNAL_CUSTOMER], removed=[])

    assert agents.agent_ids() == {AGENT_2} and same.may_decide(AGENT_2) and not same.may_decide(AGENT)
    assert others.may_decide(CUSTOMER) and not others.may_decide(AGENT_2)
    assert not agents.is_agent(EXTERNAL_CUSTOMER)
    # One look-up per group: the agents' group is shared with the approvers that name it.
    assert [c.params["usergroup"] for c in fake_slack.calls("usergroups.users.list")] == ["SAGENTS", "SAPPROVE"]
    assert fake_slack.calls("conversations.members") == []


def test_a_person_slack_cannot_name_has_no_name_not_their_id_and_is_asked_again(fake_slack: FakeSlack) -> None:
    people = directory(fake_slack, Clock())
    fake_slack.fail("users.info", status=200, error="fatal_error")
    unknown = people.person(CUSTOMER)
    assert (unknown.name, unknown.avatar_url, unknown.team_id) == (None, None, None)
    assert people.person(CUSTOMER).name == "Jane"  # the failure was not remembered
    assert users_info_calls(fake_slack, CUSTOMER) == 2
