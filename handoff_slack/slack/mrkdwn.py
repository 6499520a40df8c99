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


_LINK = re.compile(r"<((?:https?|mailto|ftp):[^|>]+)\|([^>]*)>")
_TOKEN = re.compile(r"<[^>]*>|&[a-z]+;|\S+|\s+")


def reveal_links(text: str) -> str:
    """Show where a labelled link really goes: `<https://evil|bank.com>` -> `bank.com (<https://evil>)`.

    A label that is the URL itself (as Slack writes auto-linked URLs) stays as it is.
    """

    def show(match: re.Match[str]) -> str:
        url, label = match.group(1), match.group(2)
        bare = url.split("://", 1)[-1].removeprefix("mailto:").rstrip("/")
        if not label or label.rstrip("/") in (url.rstrip("/"), bare):
            return match.group(0)
        return f"{label} (<{url}>)"

    return _LINK.sub(show, text)


def make_safe(text: str, keep_user_mentions: bool = True) -> str:
    """Everything relayed text needs before it is shown on the other side."""
    return reveal_links(neutralise_pings(text, keep_user_mentions=keep_user_mentions))


def split_text(text: str, limit: int) -> list[str]:
    """Cut text into pieces of at most `limit` characters without breaking words or Slack markup.

    Cuts fall between tokens (whitespace, `<…>` entities, `&…;` escapes, words); only a single
    token longer than the limit is cut inside, which no reader can tell from a wrapped line.
    """
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for token in _TOKEN.findall(text):
        while len(token) > limit:  # a monster word: no better place to cut exists
            if current:
                pieces.append(current)
                current = ""
            pieces.append(token[:limit])
            token = token[limit:]
        if len(current) + len(token) > limit:
            pieces.append(current)
            current = token.lstrip() if token.isspace() else token
        else:
            current += token
    if current.strip():
        pieces.append(current)
    return [piece.strip() for piece in pieces if piece.strip()]
