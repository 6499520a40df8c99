"""Who people are: agents (the support channel's or a user group's members, cached) and display names of
users and orgs."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handoff_slack.slack.expiring_cache import ExpiringCache
from handoff_slack.slack.member_lists import (
    AgentCheckUnavailable,
    MemberList,
    call_failure,
    channel_members,
    group_members,
)

logger = logging.getLogger(__name__)

__all__ = ["AgentCheckUnavailable", "AgentDirectory", "PeopleDirectory", "Person"]

# Profiles and organisation names are looked up again after an hour (a renamed person or team
# shows up by then), and at most this many of each are kept (least recently used go first).
PEOPLE_CACHE_SECONDS = 3600
PEOPLE_CACHE_ENTRIES = 10_000


@dataclass(frozen=True)
class Person:
    user_id: str
    # None when Slack could not tell (users.info failed): never the user ID, which agents and
    # customers would read as a name ("U0123ABCD"); callers show a mention or a fallback instead.
    name: str | None
    avatar_url: str | None
    team_id: str | None
    locale: str | None = None  # like "de-DE" (users.info with include_locale)
    utc_offset: int | None = None  # seconds east of UTC now (users.info's tz_offset)


def _offset(value: object) -> int | None:
    """users.info's `tz_offset` (seconds); None when Slack gave none (or no number)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class AgentDirectory:
    """Agents are the support channel's members, or a user group's (HANDOFF_AGENT_GROUP); admins
    always count.

    Membership is cached for `ttl_seconds` (slack.member_lists) and kept current between refreshes
    by the channel's member_joined/member_left events, or the group's subteam_members_changed.
    """

    def __init__(
        self,
        client: WebClient,
        support_channel: str,
        admins: frozenset[str],
        ttl_seconds: int = 300,
        clock: Callable[[], float] = time.monotonic,
        group_id: str | None = None,
    ) -> None:
        self.support_channel = support_channel
        self.admins = admins
        self.group_id = group_id
        if group_id is None:
            fetch, what = channel_members(client, support_channel), f"the support channel {support_channel}"
        else:
            fetch, what = group_members(client, group_id), f"the agents' user group {group_id}"
        self.members = MemberList(fetch, what, ttl_seconds, clock)

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.admins

    def is_agent(self, user_id: str) -> bool:
        return self.is_admin(user_id) or user_id in self.members

    def agent_ids(self) -> frozenset[str]:
        """Everyone who is an agent by membership (admins apart); may raise AgentCheckUnavailable."""
        return self.members.current()

    def member_joined(self, user_id: str) -> None:
        """A support channel join: an agent unless agents come from a user group."""
        if self.group_id is None:
            self.members.joined([user_id])

    def member_left(self, user_id: str) -> None:
        if self.group_id is None:
            self.members.left([user_id])

    def group_changed(self, group_id: str, added: Iterable[str], removed: Iterable[str]) -> None:
        """A user group's subteam_members_changed: the agents' group, or none of ours."""
        if group_id == self.group_id:
            self.members.joined(added)
            self.members.left(removed)


class PeopleDirectory:
    """Display names and avatars from users.info, and organisation names for Slack Connect users.

    Both are cached for `ttl_seconds`, at most `max_entries` of each.
    """

    def __init__(
        self,
        client: WebClient,
        home_team_id: str | None,
        lookup_client: WebClient | None = None,
        *,
        ttl_seconds: float = PEOPLE_CACHE_SECONDS,
        max_entries: int = PEOPLE_CACHE_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.home_team_id = home_team_id
        # For look-ups made while Slack waits for our ack: a short timeout and no retries.
        self.lookup_client = lookup_client or client
        self._people: ExpiringCache[str, Person] = ExpiringCache(ttl_seconds, max_entries, clock)
        self._team_names: ExpiringCache[str, str] = ExpiringCache(ttl_seconds, max_entries, clock)
        self._ext_shared: ExpiringCache[str, bool] = ExpiringCache(ttl_seconds, max_entries, clock)

    def person(self, user_id: str, client: WebClient | None = None) -> Person:
        """Who `user_id` is (cached once Slack told us). When users.info answers an error (a 5xx
        too) they are nobody known: no name, avatar or team; the failure is not remembered, so the
        next look-up asks Slack again. An unreachable Slack (a timeout) raises OSError: callers on
        the ack path skip their next look-up then."""
        cached = self._people.get(user_id)
        if cached is not None:
            return cached
        try:
            # The locale (routing's language) only comes when asked for; tz_offset always does.
            user = (client or self.client).users_info(user=user_id, include_locale=True)["user"]
        except SlackApiError as error:
            logger.warning("users.info failed for %s: %s", user_id, call_failure(error))
            return Person(user_id, None, None, None)
        profile = user.get("profile", {})
        person = Person(
            user_id=user_id,
            name=profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
            or None,
            avatar_url=profile.get("image_48"),
            team_id=user.get("team_id") or profile.get("team"),
            locale=user.get("locale") if isinstance(user.get("locale"), str) else None,
            utc_offset=_offset(user.get("tz_offset")),
        )
        self._people.put(user_id, person)
        return person

    def customer_facts(self, user_id: str, team_id: str | None) -> tuple[str | None, str | None]:
        """(name, organisation) for triage; None for what Slack couldn't tell us.

        Organisation is only known for Slack Connect customers (their team's name).
        """
        try:
            person = self.person(user_id, self.lookup_client)
            return person.name, self.external_org_name(person.team_id or team_id, self.lookup_client)
        except OSError:  # Slack unreachable: ask the questions instead
            return None, None

    def external_org_name(self, team_id: str | None, client: WebClient | None = None) -> str | None:
        """The organisation's name when the team is not ours (a Slack Connect customer), else None.

        None too when team.info answers an error (a 5xx too): the name is unknown, never a
        placeholder with the team ID (stored, it would stick as the name and be what `org:` finds);
        the failure is not remembered, so the next look-up asks Slack again. An unreachable Slack
        (a timeout) raises OSError, as `person` does.
        """
        if not team_id or team_id == self.home_team_id:
            return None
        cached = self._team_names.get(team_id)
        if cached is not None:
            return cached
        try:
            team = (client or self.client).team_info(team=team_id)["team"]
        except SlackApiError as error:
            logger.warning("team.info failed for %s: %s", team_id, call_failure(error))
            return None
        name = team.get("name") if isinstance(team, dict) else None
        if not isinstance(name, str) or not name.strip():
            return None  # Slack told no name: unknown, asked again next time
        self._team_names.put(team_id, name)
        return name

    def is_ext_shared(self, channel_id: str, client: WebClient | None = None) -> bool | None:
        """Whether the channel is shared with another organisation (Slack Connect), from
        conversations.info's `is_ext_shared` (cached like names); None when Slack couldn't tell.

        A person of another team in a channel that is not shared with another organisation belongs
        to the same organisation (another workspace of an Enterprise Grid org): no customer.
        """
        cached = self._ext_shared.get(channel_id)
        if cached is not None:
            return cached
        try:
            channel = (client or self.lookup_client).conversations_info(channel=channel_id)["channel"]
        except (SlackApiError, OSError) as error:
            logger.warning("conversations.info failed for %s: %s", channel_id, call_failure(error))
            return None
        shared = bool(channel.get("is_ext_shared")) if isinstance(channel, dict) else None
        if shared is not None:
            self._ext_shared.put(channel_id, shared)
        return shared
