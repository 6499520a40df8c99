"""The `business_hours` section of the configuration file (core.business_hours), checked as
`schema.py`'s models are: strict, unknown keys refused, each mistake named by line and key.

Left out, the help desk is always open. Given, it needs a time zone (an IANA name, checked
against the time zone database now, so a typo stops start-up instead of the first escalation) and
a week with at least one opening; ranges are "HH:MM-HH:MM" and do not cross midnight (write
22:00-24:00 and, on the next day, 00:00-06:00).
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from handoff_slack.config.errors import NO_VALUE, Expected, Says, rule
from handoff_slack.config.yaml_source import Scalar
from handoff_slack.core.business_hours import (
    DEFAULT_GREETING_NOTE,
    DEFAULT_OUTSIDE_HOURS_MESSAGE,
    WEEKDAYS,
    OpenRange,
)

# Below Slack's 3000 for a section's text: `{back}` becomes a longer Slack date when shown.
MAX_MESSAGE_TEXT = 2000
MAX_HOLIDAY_NAME = 100
MAX_HOLIDAYS = 1000  # a few years ahead of every country's holidays
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")


def _as_written(value: object) -> object:
    return str(value) if isinstance(value, Scalar) else value


def _given(value: object) -> object:
    if value is None:
        raise PydanticCustomError(NO_VALUE, "has no value")
    return value


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise rule(
            f"unknown time zone {name!r}; use an IANA name like Europe/Berlin, America/New_York or UTC"
        ) from None
    return name


def _openings(value: object) -> object:
    """`monday: 09:00-17:30` or `monday: [09:00-12:00, 13:00-17:30]`, each range checked here, where
    the file's lines are still known (a problem names the day, or the list's entry)."""
    if isinstance(value, Scalar):
        return (_opening(str(value)),)
    if isinstance(value, tuple):
        return tuple(
            _opening(str(item), (index,)) if isinstance(item, Scalar) else item for index, item in enumerate(value)
        )
    return _given(value)


def _opening(text: str, at: tuple[int, ...] = ()) -> str:
    try:
        OpenRange.parse(text)
    except ValueError as error:
        raise rule(str(error), at) from None
    return text


def _day(text: str) -> str:
    if DATE_PATTERN.fullmatch(text) is None:
        raise rule(f"must be a date like 2026-12-25 (YYYY-MM-DD), got {text!r}")
    try:
        date.fromisoformat(text)
    except ValueError:
        raise rule(f"{text!r} is no day of the calendar") from None
    return text


def _holiday(value: object) -> object:
    """`- 2026-12-25` or `- {date: 2026-12-25, name: Christmas Day}`."""
    return {"date": _day(str(value))} if isinstance(value, Scalar) else _given(value)


TEXT = BeforeValidator(_as_written)
SectionText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE_TEXT), TEXT, Expected("text")
]
# '' switches the greeting's note off.
OptionalText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=MAX_MESSAGE_TEXT), TEXT, Expected("text")
]
TimeZone = Annotated[
    str, StringConstraints(strip_whitespace=True), TEXT, AfterValidator(_zone), Expected("a time zone")
]
DayOpenings = Annotated[
    tuple[Annotated[str, Expected("a range like 09:00-17:30")], ...],
    BeforeValidator(_openings),
    Expected("a range or a list of ranges"),
]
HolidayDate = Annotated[str, TEXT, AfterValidator(_day), Expected("a date like 2026-12-25")]
HolidayName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_HOLIDAY_NAME), TEXT, Expected("text")
]


class Part(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class WeekEntry(Part):
    """Each weekday's openings; a day left out is closed."""

    monday: DayOpenings = ()
    tuesday: DayOpenings = ()
    wednesday: DayOpenings = ()
    thursday: DayOpenings = ()
    friday: DayOpenings = ()
    saturday: DayOpenings = ()
    sunday: DayOpenings = ()

    @model_validator(mode="after")
    def _apart(self) -> Self:
        for name in WEEKDAYS:
            ranges = sorted(OpenRange.parse(text) for text in getattr(self, name))
            for before, after in itertools.pairwise(ranges):
                if after.start < before.end:
                    raise rule(f"{before} and {after} overlap: make them one range", (name,))
        if not any(getattr(self, name) for name in WEEKDAYS):
            raise rule(
                "opens on no day: give at least one day a range like 09:00-17:30 "
                "(leave business_hours out for a help desk that is always open)"
            )
        return self


class HolidayEntry(Part):
    date: HolidayDate
    name: Annotated[HolidayName | None, BeforeValidator(_given)] = None


class BusinessHoursEntry(Part):
    time_zone: TimeZone
    week: WeekEntry
    holidays: Annotated[
        tuple[Annotated[HolidayEntry, BeforeValidator(_holiday)], ...],
        BeforeValidator(_given),
        Field(max_length=MAX_HOLIDAYS),
        Says(too_long="at most {max_length} holidays, got {actual_length}"),
        Expected("a list of dates"),
    ] = ()
    outside_hours_message: SectionText = DEFAULT_OUTSIDE_HOURS_MESSAGE
    greeting_note: OptionalText = DEFAULT_GREETING_NOTE

    @model_validator(mode="after")
    def _holidays_once(self) -> Self:
        seen: set[str] = set()
        for index, holiday in enumerate(self.holidays):
            if holiday.date in seen:
                raise rule(f"{holiday.date} is listed twice", ("holidays", index))
            seen.add(holiday.date)
        return self
