"""The bot's YAML `transfers` section, as a plain value (core.transfers reads it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

DEFAULT_OFFER_TIMEOUT_SECONDS = 600  # 10 minutes: an owner waits this long for the target's answer


@dataclass(frozen=True)
class TransferConfig:
    """The bot's YAML `transfers` section."""

    offer_timeout_seconds: int = DEFAULT_OFFER_TIMEOUT_SECONDS  # unanswered this long: the offer lapses

    @property
    def offer_lapses_after(self) -> timedelta:
        return timedelta(seconds=self.offer_timeout_seconds)
