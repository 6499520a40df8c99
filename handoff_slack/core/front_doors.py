"""Where a conversation happens: its front door (a plain value, no Slack or SQL here).

A conversation is identified by its door, not by its customer: a customer's DM with the app is
one door; a thread in a served shared channel (channel + the thread's root `ts`) is another. One
customer can have a DM conversation and several thread conversations at once, and several people
can have conversations in separate threads of one channel at the same time. Everything the bot
says to the customer goes to the door: the DM, or the thread.

Within one install the door is unique; storage records the workspace (team) each conversation
belongs to beside it (storage.models.Conversation.workspace_id).
"""

from __future__ import annotations

from dataclasses import dataclass

_SEPARATOR = " "  # channel IDs and timestamps never contain a space


@dataclass(frozen=True)
class FrontDoor:
    """A DM (`thread_ts` None; a thread inside a DM is still the DM) or a thread of a shared channel."""

    channel_id: str
    thread_ts: str | None = None  # the thread's root message; None for a DM

    @property
    def is_thread(self) -> bool:
        return self.thread_ts is not None

    def to_text(self) -> str:
        """The door as one string (a modal's private_metadata): a DM is its channel ID alone."""
        return self.channel_id if self.thread_ts is None else f"{self.channel_id}{_SEPARATOR}{self.thread_ts}"

    @classmethod
    def from_text(cls, text: str) -> FrontDoor | None:
        """The door `to_text` wrote; None for anything else."""
        parts = text.split(_SEPARATOR)
        if not all(parts) or len(parts) > 2:
            return None
        return cls(parts[0], parts[1] if len(parts) == 2 else None)
