"""Making text safe to show somewhere else in Slack.

Slack sends message text in its own markup: `<!here>`, `<!channel>`, `<!everyone>` and
`<!subteam^S123|@team>` are pings. Relayed text keeps everything else as the author wrote it
but turns those into plain words, which Slack does not link when we post with `parse=none`
and `link_names` off.
"""

from __future__ import annotations

import re

_BROADCAST = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_SUBTEAM = re.compile(r"<!subteam\^([A-Za-z0-9]+)(?:\|@?([^>]*))?>")
_USER = re.compile(r"<@([UW][A-Za-z0-9]+)(?:\|([^>]*))?>")


def neutralise_pings(text: str, keep_user_mentions: bool = True) -> str:
    """Turn broadcast and user-group pings (and optionally user mentions) into plain text."""
    text = _BROADCAST.sub(lambda m: "@" + m.group(1), text)
    text = _SUBTEAM.sub(lambda m: "@" + (m.group(2) or "group"), text)
    if not keep_user_mentions:
        text = _USER.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    return text


def escape(text: str) -> str:
    """Escape plain text (names, titles) for mrkdwn: Slack's three control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote(text: str, limit: int = 500) -> str:
    """Block-quote a relayed message, shortened for summaries."""
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return "\n".join("> " + line for line in text.splitlines() or [""])
