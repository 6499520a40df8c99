"""A cached list of who belongs somewhere in Slack: a channel's members, or a user group's.

Slack's lists are paginated and rate-limited, so one is fetched at most once per `ttl_seconds`
and kept current between fetches by Slack's membership events (member_joined/left_channel,
subteam_members_changed), which never wait for Slack. When Slack cannot answer, the last list is
used; with no list at all `AgentCheckUnavailable` says so (nobody is let through on a guess).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)


class AgentCheckUnavailable(RuntimeError):
    """Slack could not tell us who is a member, and we have no earlier list."""


Fetch = Callable[[], set[str]]


def channel_members(client: WebClient, channel_id: str) -> Fetch:
    def fetch() -> set[str]:
        members: set[str] = set()
        for page in client.conversations_members(channel=channel_id, limit=1000):
            members.update(str(user) for user in page.get("members") or ())
        return members

    return fetch


def group_members(client: WebClient, group_id: str) -> Fetch:
    def fetch() -> set[str]:
        response = client.usergroups_users_list(usergroup=group_id)
        return {str(user) for user in response.get("users") or ()}

    return fetch


class MemberList:
    """The members of one channel or user group (`what` names it in logs), cached."""

    def __init__(
        self, fetch: Fetch, what: str, ttl_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._fetch = fetch
        self.what = what
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._members: set[str] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()  # guards the fields above; never held during a Slack call
        self._refresh_lock = threading.Lock()
        self._changes_during_refresh: list[tuple[str, bool]] | None = None

    def __contains__(self, user_id: object) -> bool:
        return user_id in self.current()

    def joined(self, user_ids: Iterable[str]) -> None:
        self._apply(user_ids, joined=True)

    def left(self, user_ids: Iterable[str]) -> None:
        self._apply(user_ids, joined=False)

    def _apply(self, user_ids: Iterable[str], joined: bool) -> None:
        # Never waits for Slack: the membership events must be acked at once.
        with self._lock:
            for user_id in user_ids:
                if self._changes_during_refresh is not None:
                    self._changes_during_refresh.append((user_id, joined))
                if self._members is not None:
                    (self._members.add if joined else self._members.discard)(user_id)

    def _fresh(self) -> set[str] | None:
        """The cached members, unless there are none or they are older than the TTL."""
        if self._members is None or self.clock() - self._loaded_at >= self.ttl_seconds:
            return None
        return self._members

    def current(self) -> frozenset[str]:
        """The members now; raises AgentCheckUnavailable when Slack cannot say and nothing is known."""
        with self._lock:
            if (members := self._fresh()) is not None:
                return frozenset(members)
        with self._refresh_lock:  # one refresh at a time; the others wait for its result
            with self._lock:
                if (members := self._fresh()) is not None:
                    return frozenset(members)
                self._changes_during_refresh = []
            try:
                members = self._fetch()
            except (SlackApiError, OSError) as error:
                with self._lock:
                    self._changes_during_refresh = None
                    if self._members is None:
                        raise AgentCheckUnavailable(f"{self.what}: members unavailable") from error
                    # A stale list beats locking everyone out while Slack has a bad minute.
                    logger.warning("could not refresh the members of %s: %s", self.what, call_failure(error))
                    return frozenset(self._members)
            with self._lock:
                # Joins and leaves seen while the list was on its way are newer than the list.
                for user_id, joined in self._changes_during_refresh or []:
                    (members.add if joined else members.discard)(user_id)
                self._changes_during_refresh = None
                self._members = members
                self._loaded_at = self.clock()
                return frozenset(members)


def call_failure(error: Exception) -> str:
    """A failed Web API call in a log line: Slack's error code, or the exception's kind (no bodies)."""
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or error.response.status_code)
    return type(error).__name__
