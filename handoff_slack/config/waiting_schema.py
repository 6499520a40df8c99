"""The waiting timers' YAML sections (core.waiting_config): `waiting_timeout`, `queue_updates` and
`idle_close`, checked as strictly as the rest of the file (config.schema): whole minutes in a
range, true or false, unknown keys refused, each mistake named by line and key."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from handoff_slack.config.errors import Expected, Says
from handoff_slack.config.yaml_source import Scalar
from handoff_slack.core.waiting_config import IdleCloseConfig, QueueUpdatesConfig, WaitingTimeoutConfig

DAY_MINUTES = 24 * 60
WEEK_MINUTES = 7 * DAY_MINUTES


def _as_yaml_reads_it(value: object) -> object:
    return value.resolved if isinstance(value, Scalar) else value


_READ = BeforeValidator(_as_yaml_reads_it)
Flag = Annotated[bool, _READ, Expected("true or false")]


UpToADay = Annotated[
    int,
    Field(ge=1, le=DAY_MINUTES),
    _READ,
    Expected("a whole number"),
    Says(out_of_range=f"must be between 1 and {DAY_MINUTES} minutes, got {{value}}"),
]
UpToAWeek = Annotated[
    int,
    Field(ge=1, le=WEEK_MINUTES),
    _READ,
    Expected("a whole number"),
    Says(out_of_range=f"must be between 1 and {WEEK_MINUTES} minutes, got {{value}}"),
]
MinPlaces = Annotated[
    int,
    Field(ge=1, le=1000),
    _READ,
    Expected("a whole number"),
    Says(out_of_range="must be between 1 and 1000, got {value}"),
]
TopPlaces = Annotated[
    int,
    Field(ge=0, le=100),
    _READ,
    Expected("a whole number"),
    Says(out_of_range="must be between 0 and 100, got {value}"),
]


class _Part(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


_TIMEOUT, _UPDATES, _IDLE = WaitingTimeoutConfig(), QueueUpdatesConfig(), IdleCloseConfig()


class WaitingTimeoutEntry(_Part):
    """After this long in the queue: keep waiting, leave a message for later, or cancel."""

    enabled: Flag = _TIMEOUT.enabled
    after_minutes: UpToADay = _TIMEOUT.after_minutes


class QueueUpdatesEntry(_Part):
    """A waiting customer's better place, when it changed materially; rate-limited."""

    enabled: Flag = _UPDATES.enabled
    min_places: MinPlaces = _UPDATES.min_places
    top: TopPlaces = _UPDATES.top
    interval_minutes: UpToADay = _UPDATES.interval_minutes


class IdleCloseEntry(_Part):
    """A quiet connected conversation: warned, then closed; an agent may snooze it."""

    enabled: Flag = _IDLE.enabled
    warn_after_minutes: UpToAWeek = _IDLE.warn_after_minutes
    close_after_minutes: UpToADay = _IDLE.close_after_minutes
    snooze_minutes: UpToAWeek = _IDLE.snooze_minutes


def waiting_timeout(entry: WaitingTimeoutEntry) -> WaitingTimeoutConfig:
    return WaitingTimeoutConfig(enabled=entry.enabled, after_minutes=entry.after_minutes)


def queue_updates(entry: QueueUpdatesEntry) -> QueueUpdatesConfig:
    return QueueUpdatesConfig(
        enabled=entry.enabled, min_places=entry.min_places, top=entry.top, interval_minutes=entry.interval_minutes
    )


def idle_close(entry: IdleCloseEntry) -> IdleCloseConfig:
    return IdleCloseConfig(
        enabled=entry.enabled,
        warn_after_minutes=entry.warn_after_minutes,
        close_after_minutes=entry.close_after_minutes,
        snooze_minutes=entry.snooze_minutes,
    )
