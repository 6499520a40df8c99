"""Making text safe to show somewhere else in Slack: `make_safe` is the one door.

Every piece of customer or agent text the app shows (relayed messages, ticket cards, transcripts,
triage answers, queue listings, quoted answers, names) goes through `make_safe`:

- Slack markup (`plain=False`, text from message events): every `<…>` entity is rewritten.
  Pings (`<!here>`, `<!channel>`, `<!everyone>`, `<!subteam^…>`, any `<!…>` in any case) become
  plain words, which Slack does not link when posted with `parse=none` and `link_names` off.
  Links of any scheme (`https:`, `HTTPS:`, `mailto:`, `tel:`, none at all, odd whitespace) whose
  label is not the address itself show where they really go: `<https://evil|bank>` becomes
  `bank (<https://evil>)`. A shown address is printable ASCII (punycode host, invisible and
  non-ASCII characters percent-encoded), so `аcme.com` or a zero-width character cannot pass for
  the real thing. Dates keep their text and lose a hidden link.
- Plain text (`plain=True`: names, form answers, file names): escaped, so it shows as written.
- Both: bidirectional override and isolate controls (U+202A–E, U+2066–9) are dropped, so nothing
  can reverse what follows on the line (a revealed address included).
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from urllib.parse import quote as percent_encode

_ENTITY = re.compile(r"<([^<>]*)>")
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_USER_ID = re.compile(r"[UW][A-Z0-9]+")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]+")
_SCHEME_AND_HOST = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://)([^/?#]*)(.*)", re.S)
_ANY_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:(?://)?")
_TOKEN = re.compile(r"<[^>]*>|&[a-z]+;|\S+|\s+")


def make_safe(text: str, keep_user_mentions: bool = True, *, plain: bool = False, trusted_links: bool = False) -> str:
    """`text` ready to show to someone other than its author (see the module's docstring).

    `keep_user_mentions=False` flattens `<@U123|name>` to `@name` (customer text shown to agents).
    `trusted_links=True` leaves labelled links as written: only for the support team's own
    configured texts, whose links say what they are (pings are neutralised all the same).
    """
    text = _BIDI_CONTROLS.sub("", text)
    if plain:
        return escape(text)
    return _ENTITY.sub(lambda m: _safe_entity(m.group(1), keep_user_mentions, trusted_links), text)


def _safe_entity(body: str, keep_user_mentions: bool, trusted_links: bool) -> str:
    target, _, label = body.partition("|")
    target = target.strip()
    if target.startswith("!"):
        return _special(target[1:].strip(), label)
    if target.startswith("@"):
        user = target[1:].strip()
        if keep_user_mentions and _USER_ID.fullmatch(user):
            return f"<@{user}>"
        return "@" + (label.strip().lstrip("@") or user)
    if target.startswith("#"):
        channel = target[1:].strip()
        if _CHANNEL_ID.fullmatch(channel):
            return f"<#{channel}>"  # Slack shows the channel's own name
        return "#" + (label.strip().lstrip("#") or channel)
    if not target:
        return escape(f"<{body}>")
    if trusted_links:
        return f"<{body}>"
    return _link(target, label)


def _special(command: str, label: str) -> str:
    """`<!…>`: a date keeps its text (and shows its link, if any); everything else becomes a word."""
    parts = command.split("^")
    if parts[0].lower() == "date" and len(parts) >= 3 and parts[1].isascii() and parts[1].isdigit():
        date = f"<!date^{parts[1]}^{parts[2]}|{label or 'a date'}>"
        hidden = "^".join(parts[3:]).strip()
        return f"{date} (<{_visible_url(hidden)}>)" if hidden else date
    if parts[0].lower() == "subteam":
        return "@" + (label.strip().lstrip("@") or "group")
    return "@" + (label.strip().lstrip("@") or parts[0] or "someone")


def _link(url: str, label: str) -> str:
    shown = _visible_url(url)
    label = label.strip()
    if not label or _names_itself(label, url):
        if shown == url:
            return f"<{url}>" if not label else f"<{url}|{label}>"
        return f"{label or url} (<{shown}>)"  # the address looks like another: show it plainly
    return f"{label} (<{shown}>)"


def _names_itself(label: str, url: str) -> bool:
    """An honest label: the address itself (as Slack writes auto-linked URLs), with or without scheme."""
    label, url = label.rstrip("/").lower(), url.rstrip("/").lower()
    return label in (url, _ANY_SCHEME.sub("", url, count=1))


def _visible_url(url: str) -> str:
    """The address as printable ASCII: the host in punycode, anything else unusual percent-encoded."""
    match = _SCHEME_AND_HOST.fullmatch(url)
    if match is None:
        return _printable(url)
    scheme, host, rest = match.groups()
    return scheme + _ascii_host(host) + _printable(rest)


def _ascii_host(host: str) -> str:
    if host.isascii() or any(unicodedata.category(char)[0] in "CZ" for char in host):
        return _printable(host)  # IDNA would silently drop invisible characters: show them instead
    userinfo, at, hostport = host.rpartition("@")
    with contextlib.suppress(UnicodeError):  # not a valid international name: percent-encoded below
        hostport = hostport.encode("idna").decode("ascii")
    return _printable(userinfo) + at + _printable(hostport)


def _printable(text: str) -> str:
    return "".join(char if 32 < ord(char) < 127 else percent_encode(char, safe="") for char in text)


def user_mention(user_id: str, fallback: str = "A customer") -> str:
    """Someone whose name Slack has not told us, shown as their mention (`<@U…>`: Slack shows the
    reader their current name); `fallback` if `user_id` is not a user ID (never shown raw)."""
    return f"<@{user_id}>" if _USER_ID.fullmatch(user_id) else fallback


def escape(text: str) -> str:
    """Escape plain text for mrkdwn: Slack's three control characters (see `make_safe(plain=True)`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters (an ellipsis included) between tokens, never inside markup."""
    if len(text) <= limit:
        return text
    pieces = split_text(text, max(limit - 1, 1))
    return (pieces[0].rstrip() if pieces else "") + "…"


def quote(text: str, limit: int = 500) -> str:
    """Block-quote a relayed message, shortened for summaries."""
    return "\n".join("> " + line for line in shorten(text, limit).splitlines() or [""])


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
