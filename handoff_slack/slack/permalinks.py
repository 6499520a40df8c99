"""Links to messages (chat.getPermalink), cached: a message's permalink never changes.

For the account history a ticket message shows (core.accounts): each listed ticket links to its
own ticket message. Asked with the people directory's look-up client (a short timeout, no
retries): a link Slack can't give now is left out of this rendering and asked for again next time.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handoff_slack.slack.expiring_cache import ExpiringCache
from handoff_slack.slack.failures import failure_reason

logger = logging.getLogger(__name__)

PERMALINK_CACHE_SECONDS = 7 * 24 * 3600  # never stale; the bound only forgets what nobody asks for
PERMALINK_CACHE_ENTRIES = 10_000
# What a link in mrkdwn (`<url|label>`) can carry as it is: no spaces, no `<`, `>` or `|`.
_SAFE_URL = re.compile(r"https://[^\s<>|]+")


class Permalinks:
    def __init__(
        self,
        client: WebClient,
        *,
        ttl_seconds: float = PERMALINK_CACHE_SECONDS,
        max_entries: int = PERMALINK_CACHE_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self._links: ExpiringCache[tuple[str, str], str] = ExpiringCache(ttl_seconds, max_entries, clock)

    def link(self, channel_id: str, ts: str) -> str | None:
        """The message's permalink; None when Slack cannot tell it now (deleted, unreachable)."""
        cached = self._links.get((channel_id, ts))
        if cached is not None:
            return cached
        try:
            found = str(self.client.chat_getPermalink(channel=channel_id, message_ts=ts).get("permalink") or "")
        except (SlackApiError, OSError) as error:
            logger.info("no permalink for a ticket message (%s)", failure_reason(error)[0])
            return None
        if not _SAFE_URL.fullmatch(found):
            return None
        self._links.put((channel_id, ts), found)
        return found
