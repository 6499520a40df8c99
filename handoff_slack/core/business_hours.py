"""Business hours: when agents are there, as a weekly schedule in one time zone, with holidays.

Pure: instants in, instants out (UTC-aware datetimes; any aware datetime is accepted). The
schedule is kept in wall-clock time of its zone (IANA, zoneinfo), and every day's ranges are turned
into instants of that day, so DST changes fall where they do in that zone: on Europe/Berlin's
spring-forward Sunday a range 00:00-04:00 lasts 3 real hours, on the fall-back Sunday 5.

Ranges do not cross midnight: a night shift is written as 22:00-24:00 on one day and 00:00-06:00
on the next (the two meet, so the shift is one stretch of open time). A wall time that does not
exist (inside the hour skipped by spring-forward) is the instant of the change, so a range wholly
inside that hour is empty on that day; an ambiguous one (repeated by fall-back) is its first
occurrence. A holiday closes its whole local date.

`always_open()` (no `business_hours:` section) is open at every instant, so callers need no
special case: the customer is never told agents are away, and working time is elapsed time.

For SLA clocks that pause outside hours: `working_seconds_between(start, end)` and its inverse,
`after_working_seconds(start, seconds)`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_MINUTES = 24 * 60

DEFAULT_OUTSIDE_HOURS_MESSAGE = (
    "Our support team is away right now. Your request is in the queue, and an agent will pick it "
    "up when we're back: {back}."
)
DEFAULT_GREETING_NOTE = (
    "Our support team is away right now (back {back}); I can still help, and a person will answer then."
)
BACK_PLACEHOLDER = "{back}"  # in the messages: when agents are back (rendered for the reader)


@dataclass(frozen=True, order=True)
class OpenRange:
    """One stretch of a day's opening, in minutes after local midnight: [start, end), end up to 24:00."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= DAY_MINUTES:
            raise ValueError(f"an opening runs from 00:00 to 24:00 at most, forwards: {self}")

    @classmethod
    def parse(cls, text: str) -> OpenRange:
        """ "09:00-17:30" (24-hour clock; "24:00" ends at midnight). ValueError says what is wrong."""
        parts = text.replace(" ", "").split("-")
        if len(parts) != 2:
            raise ValueError(f"must be a range like 09:00-17:30, got {text!r}")
        start, end = (_minutes(part, text) for part in parts)
        if (end == 0 and start > 0) or 0 < end <= start:
            raise ValueError(
                f"{text!r} crosses midnight or runs backwards: write it as two ranges, "
                f"{parts[0]}-24:00 on this day and 00:00-{parts[1]} on the next"
            )
        if start == end:
            raise ValueError(f"{text!r} is empty")
        return cls(start, end)

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


def _minutes(part: str, text: str) -> int:
    hours, colon, minutes = part.partition(":")
    if not (colon and hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and 1 <= len(hours) <= 2):
        raise ValueError(f"must be a range like 09:00-17:30 (24-hour clock), got {text!r}")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > DAY_MINUTES:
        raise ValueError(f"{part!r} is not a time of day (00:00 to 24:00) in {text!r}")
    return value


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


_ALL_DAY = (OpenRange(0, DAY_MINUTES),)


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str | None = None


@dataclass(frozen=True)
class BusinessHours:
    """The YAML's `business_hours` (config.business_hours_schema checks it; `always_open()` without it)."""

    time_zone: str = "UTC"  # an IANA name, e.g. Europe/Berlin
    # Monday first; each day's ranges sorted and not overlapping (the schema sees to it).
    week: tuple[tuple[OpenRange, ...], ...] = (_ALL_DAY,) * 7
    holidays: tuple[Holiday, ...] = ()
    outside_hours_message: str = DEFAULT_OUTSIDE_HOURS_MESSAGE
    greeting_note: str | None = DEFAULT_GREETING_NOTE  # None: the greeting says nothing of it
    _closed_days: frozenset[date] = field(init=False, repr=False, compare=False)
    _always: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("a week has 7 days, Monday first")
        if not any(self.week):
            raise ValueError("open on no day of the week")
        for ranges in self.week:
            for before, after in itertools.pairwise(ranges):
                if after.start < before.end:
                    raise ValueError(f"{before} and {after} overlap")
        self.zone  # noqa: B018 (unknown: ZoneInfoNotFoundError, a KeyError, at start-up)
        object.__setattr__(self, "_closed_days", frozenset(holiday.day for holiday in self.holidays))
        object.__setattr__(self, "_always", not self.holidays and all(day == _ALL_DAY for day in self.week))

    @classmethod
    def always_open(cls) -> BusinessHours:
        return cls()

    @property
    def zone(self) -> tzinfo:
        # UTC needs no time zone database (always open works without one); zoneinfo caches the rest.
        return UTC if self.time_zone == "UTC" else ZoneInfo(self.time_zone)

    @property
    def is_always_open(self) -> bool:
        """Every day 00:00-24:00 and no holidays (as without the section)."""
        return self._always

    def holiday(self, day: date) -> Holiday | None:
        """The holiday on that local date, if it is one."""
        if day not in self._closed_days:
            return None
        return next(holiday for holiday in self.holidays if holiday.day == day)

    # -- open or not ---------------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """Whether agents are there at this instant (a range's start is open, its end is not)."""
        at = _aware(at)
        return self._always or any(start <= at < end for start, end in self._periods_around(at))

    def next_opening(self, at: datetime) -> datetime:
        """The first instant at or after `at` that is open: `at` itself when open now (UTC)."""
        at = _aware(at)
        if self.is_open(at):
            return at.astimezone(UTC)
        for start, _ in self._periods_from(self._local_day(at) - timedelta(days=1)):
            if start >= at:
                return start
        raise AssertionError("unreachable: a week with an opening opens again")  # pragma: no cover

    def open_until(self, at: datetime) -> datetime | None:
        """While open: when this stretch of open time ends (adjacent ranges, also over midnight,
        are one stretch). None when closed at `at`, or when it never closes (always open)."""
        at = _aware(at)
        if self._always or not self.is_open(at):
            return None  # always open: no end (callers of an always-open desk never ask)
        until = at
        for start, end in self._periods_from(self._local_day(at) - timedelta(days=1)):
            if end <= until:
                continue
            if start > until:
                break
            until = end
        return until

    # -- working time, for clocks that pause outside hours -------------------------------------

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Seconds of open time in [start, end) (0 when end is not after start)."""
        start, end = _aware(start), _aware(end)
        if self._always:
            return max((end - start).total_seconds(), 0.0)
        total = 0.0
        for opens, closes in self._periods_from(self._local_day(start) - timedelta(days=1)):
            if opens >= end:
                break
            overlap = (min(closes, end) - max(opens, start)).total_seconds()
            total += max(overlap, 0.0)
        return total

    def after_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """The instant at which `seconds` of open time have passed since `start` (a deadline that
        pauses outside hours). 0 seconds: `start` itself, even when closed."""
        start = _aware(start).astimezone(UTC)
        if seconds <= 0 or self._always:
            return start + timedelta(seconds=max(seconds, 0))
        left = float(seconds)
        for opens, closes in self._periods_from(self._local_day(start) - timedelta(days=1)):
            if closes <= start:
                continue
            begin = max(opens, start)
            available = (closes - begin).total_seconds()
            if left <= available:
                return begin + timedelta(seconds=left)
            left -= available
        raise AssertionError("unreachable: the periods never end")  # pragma: no cover

    # -- the open periods as instants ----------------------------------------------------------

    def _local_day(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def day_periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open periods of one local date, as UTC instants; none on a holiday. A range wholly
        inside an hour skipped by spring-forward is left out."""
        if day in self._closed_days:
            return []
        zone = self.zone
        periods = []
        for opening in self.week[day.weekday()]:
            start = _instant(day, opening.start, zone)
            end = _instant(day, opening.end, zone)
            if end > start:
                periods.append((start, end))
        return periods

    def _periods_around(self, at: datetime) -> list[tuple[datetime, datetime]]:
        day = self._local_day(at)
        return [period for offset in (-1, 0, 1) for period in self.day_periods(day + timedelta(days=offset))]

    def _periods_from(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """Every open period from the local date `day` on, in order; endless (a week has an
        opening, holidays are finite)."""
        while True:
            yield from self.day_periods(day)
            day += timedelta(days=1)


@dataclass(frozen=True)
class AgentsAway:
    """What a customer who arrives outside hours is told: `text` (the configured message), with
    `{back}` standing for `back_at` (UTC), shown in the reader's time zone or `time_zone`'s."""

    back_at: datetime
    time_zone: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"back_at": self.back_at.astimezone(UTC).isoformat(), "time_zone": self.time_zone, "text": self.text}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AgentsAway:
        return cls(datetime.fromisoformat(str(data["back_at"])), str(data["time_zone"]), str(data["text"]))

    @classmethod
    def at(cls, hours: BusinessHours, now: datetime, text: str | None) -> AgentsAway | None:
        """Outside hours at `now`: when agents are back, with `text`; None when open (or no text)."""
        if text is None or hours.is_open(now):
            return None
        return cls(hours.next_opening(now), hours.time_zone, text)


def _instant(day: date, minutes: int, zone: tzinfo) -> datetime:
    """Wall-clock `minutes` after local midnight of `day` as a UTC instant (24:00 is the next
    day's 00:00). An ambiguous wall time (fall-back) is its first occurrence; one that does not
    exist (skipped by spring-forward) is the instant of the change, when the skipped time would
    have been."""
    if minutes == DAY_MINUTES:
        day, minutes = day + timedelta(days=1), 0
    wall = datetime.combine(day, time(minutes // 60, minutes % 60))
    found = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the offset before any change
    if found.astimezone(zone).replace(tzinfo=None) == wall:
        return found
    # Skipped: the change lies between the wall time read with the offset after it (fold=1,
    # earlier) and with the offset before it (later). Seconds of local time before the change
    # read at most `wall`, from it on more: find the first such second.
    before = int(wall.replace(tzinfo=zone, fold=1).astimezone(UTC).timestamp())
    after = int(found.timestamp())
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) > wall:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


def _aware(at: datetime) -> datetime:
    """Naive datetimes in the core are UTC (core.clock.as_utc)."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def local_wall_time(at: datetime, time_zone: str) -> str:
    """ "Monday 09:00 (CET)": how the schedule's own zone names an instant (the plain fallback)."""
    local = _aware(at).astimezone(UTC if time_zone == "UTC" else ZoneInfo(time_zone))
    return f"{local:%A %H:%M} ({local.tzname()})"
