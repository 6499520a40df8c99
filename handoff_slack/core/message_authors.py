"""Who wrote a customer's message, as the other side shows it (a plain value, no Slack or SQL).

In a DM only the conversation's customer writes, and a relayed message is shown under their name.
In a customer's thread of a shared channel, colleagues of the same organisation write too: each of
their messages is stored with its own author's name and avatar, so the agent's ticket thread shows
who said what (storage.models.Message.author_name; NULL: shown as the conversation's customer).
When Slack cannot name the author, they are shown as someone of their organisation, never by their
user ID (agents would read an opaque "U0123ABCD" as the name).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_NAME_CHARS = 255  # the columns' sizes (PostgreSQL refuses longer values)
MAX_AVATAR_URL_CHARS = 1024


@dataclass(frozen=True)
class Author:
    """A message's author as shown: their display name, and their avatar if Slack gave one."""

    name: str
    avatar_url: str | None = None


def unnamed_author(org_name: str | None) -> Author:
    """An author Slack could not name (users.info failed): someone of their organisation."""
    return Author(f"Someone at {org_name}" if org_name else "Someone at the customer's organisation")


def author_columns(author: Author | None) -> dict[str, Any]:
    """The message row's author columns: none for a DM (the conversation's customer is shown)."""
    if author is None or not author.name.strip():
        return {}
    avatar = author.avatar_url
    fits = avatar is not None and len(avatar) <= MAX_AVATAR_URL_CHARS
    return {"author_name": author.name[:MAX_NAME_CHARS], "author_avatar_url": avatar if fits else None}
