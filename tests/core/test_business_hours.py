"""Business hours (core.business_hours): open or not, the next opening and working time, across
boundaries, holidays, year ends and Europe/Berlin's DST changes (2026: spring-forward on 29 March
at 02:00 CET, fall-back on 25 October at 03:00 CEST)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff_slack.core.business_hours import BusinessHours, Holiday, OpenRange, local_wall_time

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600.0


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def week(**days: str | tuple[str, ...]) -> tuple[tuple[OpenRange, ...], ...]:
    names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    found = []
    for name in names:
        given_ranges = days.get(name, ())
        texts = (given_ranges,) if isinstance(given_ranges, str) else given_ranges
        found.append(tuple(OpenRange.parse(text) for text in texts))
    return tuple(found)


WORKDAYS = {day: "09:00-17:30" for day in ("monday", "tuesday", "wednesday", "thursday", "friday")}
OFFICE = BusinessHours(
    "Europe/Berlin",
    week(**WORKDAYS),
    holidays=(Holiday(date(2026, 12, 25), "Christmas Day"), Holiday(date(2027, 1, 1), "New Year's Day")),
)


def test_a_range_opens_at_its_start_and_closes_at_its_end() -> None:
    assert not OFFICE.is_open(berlin(2026, 12, 7, 8, 59, 59))
    assert OFFICE.is_open(berlin(2026, 12, 7, 9, 0, 0))
    assert OFFICE.is_open(berlin(2026, 12, 7, 17, 29, 59))
    assert not OFFICE.is_open(berlin(2026, 12, 7, 17, 30, 0))
    assert not OFFICE.is_open(berlin(2026, 12, 5, 12, 0))  # Saturday


def test_friday_evening_opens_again_on_monday_morning() -> None:
    friday = berlin(2026, 12, 4, 17, 31)
    back = OFFICE.next_opening(friday)
    assert back == berlin(2026, 12, 7, 9, 0)
    assert back.tzinfo is UTC
    assert local_wall_time(back, "Europe/Berlin") == "Monday 09:00 (CET)"


def test_the_next_opening_while_open_is_now_and_just_before_nine_is_nine() -> None:
    now = berlin(2026, 12, 7, 10, 0)
    assert OFFICE.next_opening(now) == now
    assert OFFICE.next_opening(berlin(2026, 12, 7, 8, 59, 59)) == berlin(2026, 12, 7, 9, 0)


def test_a_holiday_is_closed_and_the_next_working_day_opens() -> None:
    assert OFFICE.holiday(date(2026, 12, 25)) == Holiday(date(2026, 12, 25), "Christmas Day")
    assert not OFFICE.is_open(berlin(2026, 12, 25, 10, 0))  # a Friday
    assert OFFICE.next_opening(berlin(2026, 12, 25, 10, 0)) == berlin(2026, 12, 28, 9, 0)
    # Thursday evening before it: the holiday is skipped, not Friday's opening.
    assert OFFICE.next_opening(berlin(2026, 12, 24, 18, 0)) == berlin(2026, 12, 28, 9, 0)


def test_over_the_year_end_and_new_years_day() -> None:
    assert OFFICE.next_opening(berlin(2026, 12, 31, 17, 30)) == berlin(2027, 1, 4, 9, 0)
    # Thursday 31 Dec 16:30 to Monday 4 Jan 10:00: an hour on each side, nothing between.
    assert OFFICE.working_seconds_between(berlin(2026, 12, 31, 16, 30), berlin(2027, 1, 4, 10, 0)) == 2 * HOUR


def test_spring_forward_weekend() -> None:
    friday = berlin(2026, 3, 27, 17, 31)  # CET (+01:00)
    back = OFFICE.next_opening(friday)
    assert back == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST (+02:00)
    assert local_wall_time(back, "Europe/Berlin") == "Monday 09:00 (CEST)"
    assert OFFICE.working_seconds_between(berlin(2026, 3, 27, 9, 0), berlin(2026, 3, 30, 9, 0)) == 8.5 * HOUR


def test_fall_back_weekend() -> None:
    back = OFFICE.next_opening(berlin(2026, 10, 23, 17, 31))  # CEST
    assert back == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)  # 09:00 CET
    assert local_wall_time(back, "Europe/Berlin") == "Monday 09:00 (CET)"


def test_a_range_over_the_dst_change_counts_real_time() -> None:
    night = BusinessHours("Europe/Berlin", week(sunday="00:00-04:00"))
    spring = night.day_periods(date(2026, 3, 29))
    assert [(end - start).total_seconds() for start, end in spring] == [3 * HOUR]
    assert night.working_seconds_between(berlin(2026, 3, 28, 12, 0), berlin(2026, 3, 29, 12, 0)) == 3 * HOUR
    autumn = night.day_periods(date(2026, 10, 25))
    assert [(end - start).total_seconds() for start, end in autumn] == [5 * HOUR]
    # 02:30 happens twice that night: open at both.
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    assert night.is_open(first) and night.is_open(first + timedelta(hours=1))  # 02:30 CET
    assert not night.is_open(datetime(2026, 10, 25, 3, 0, tzinfo=UTC))  # 04:00 CET


def test_a_range_inside_the_skipped_hour_is_empty_that_day() -> None:
    skipped = BusinessHours("Europe/Berlin", week(sunday="02:15-02:45", monday="09:00-10:00"))
    assert skipped.day_periods(date(2026, 3, 29)) == []
    assert skipped.next_opening(berlin(2026, 3, 29, 0, 0)) == berlin(2026, 3, 30, 9, 0)
    assert skipped.day_periods(date(2026, 4, 5)) != []  # a week later it is there again
    # A range into or out of the skipped hour starts or ends at the change (03:00 CEST, 01:00 UTC).
    change = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    into = BusinessHours("Europe/Berlin", week(sunday="01:00-02:30"))
    assert into.day_periods(date(2026, 3, 29)) == [(berlin(2026, 3, 29, 1, 0), change)]
    out_of = BusinessHours("Europe/Berlin", week(sunday="02:30-04:00"))
    assert out_of.day_periods(date(2026, 3, 29)) == [(change, berlin(2026, 3, 29, 4, 0))]


def test_a_night_shift_over_midnight_is_one_stretch() -> None:
    shift = BusinessHours("Europe/Berlin", week(monday="22:00-24:00", tuesday="00:00-06:00"))
    assert shift.is_open(berlin(2026, 12, 7, 23, 59, 59))
    assert shift.is_open(berlin(2026, 12, 8, 0, 0))
    assert not shift.is_open(berlin(2026, 12, 8, 6, 0))
    assert shift.open_until(berlin(2026, 12, 7, 22, 30)) == berlin(2026, 12, 8, 6, 0)
    assert shift.open_until(berlin(2026, 12, 8, 7, 0)) is None
    assert shift.working_seconds_between(berlin(2026, 12, 7, 0, 0), berlin(2026, 12, 9, 0, 0)) == 8 * HOUR


def test_other_time_zones() -> None:
    kolkata = BusinessHours("Asia/Kolkata", week(**WORKDAYS))  # +05:30, no DST
    assert kolkata.next_opening(datetime(2026, 12, 4, 12, 1, tzinfo=UTC)) == datetime(2026, 12, 7, 3, 30, tzinfo=UTC)
    new_york = BusinessHours("America/New_York", week(**WORKDAYS))  # DST changes on other dates than Berlin's
    # 8 March 2026 is New York's spring-forward; Berlin is still on CET.
    assert new_york.next_opening(datetime(2026, 3, 6, 23, 0, tzinfo=UTC)) == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert local_wall_time(datetime(2026, 3, 9, 13, 0, tzinfo=UTC), "America/New_York") == "Monday 09:00 (EDT)"


def test_two_ranges_a_day_and_working_time_inside_one_day() -> None:
    split = BusinessHours("Europe/Berlin", week(monday=("09:00-12:00", "13:00-17:00")))
    monday = berlin(2026, 12, 7, 0, 0)
    assert not split.is_open(berlin(2026, 12, 7, 12, 30))
    assert split.next_opening(berlin(2026, 12, 7, 12, 30)) == berlin(2026, 12, 7, 13, 0)
    assert split.working_seconds_between(monday, monday + timedelta(days=1)) == 7 * HOUR
    assert split.working_seconds_between(berlin(2026, 12, 7, 11, 0), berlin(2026, 12, 7, 14, 0)) == 2 * HOUR
    assert split.working_seconds_between(berlin(2026, 12, 7, 14, 0), berlin(2026, 12, 7, 11, 0)) == 0
    assert split.after_working_seconds(berlin(2026, 12, 7, 11, 0), 2 * HOUR) == berlin(2026, 12, 7, 14, 0)
    # A deadline of 4 working hours from Monday 16:00 lands a week later (only Mondays open).
    assert split.after_working_seconds(berlin(2026, 12, 7, 16, 0), 4 * HOUR) == berlin(2026, 12, 14, 12, 0)


def test_always_open_is_elapsed_time() -> None:
    always = BusinessHours.always_open()
    at = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
    assert always.is_always_open and not OFFICE.is_always_open
    assert always.is_open(at) and always.next_opening(at) == at
    assert always.working_seconds_between(at, at + timedelta(days=3, seconds=5)) == 3 * 24 * HOUR + 5
    assert always.after_working_seconds(at, 90) == at + timedelta(seconds=90)


def test_naive_datetimes_are_utc() -> None:
    assert OFFICE.is_open(datetime(2026, 12, 7, 8, 0)) == OFFICE.is_open(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("22:00-02:00", "crosses midnight"),
        ("17:00-09:00", "runs backwards"),
        ("9-17", "like 09:00-17:30"),
        ("09:00", "like 09:00-17:30"),
        ("25:00-26:00", "not a time of day"),
        ("09:60-10:00", "not a time of day"),
        ("09:00-09:00", "crosses midnight or runs backwards"),
    ],
)
def test_ranges_that_are_refused(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        OpenRange.parse(text)


def test_ranges_that_are_read() -> None:
    assert OpenRange.parse("00:00-24:00") == OpenRange(0, 1440)
    assert OpenRange.parse("9:05 - 17:30") == OpenRange(545, 1050)
    assert str(OpenRange.parse("22:00-24:00")) == "22:00-24:00"


def test_a_schedule_that_is_refused() -> None:
    with pytest.raises(ValueError, match="no day"):
        BusinessHours("Europe/Berlin", week())
    with pytest.raises(ValueError, match="overlap"):
        BusinessHours("Europe/Berlin", week(monday=("09:00-12:00", "11:00-13:00")))
    with pytest.raises(KeyError):  # zoneinfo.ZoneInfoNotFoundError
        BusinessHours("Europe/Atlantis", week(**WORKDAYS))


INSTANTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC))
NIGHT_AND_DAY = BusinessHours(
    "Europe/Berlin",
    week(**WORKDAYS, saturday=("00:00-02:30", "22:00-24:00"), sunday="01:30-03:30"),
    holidays=(Holiday(date(2026, 12, 25)), Holiday(date(2027, 1, 1))),
)


@settings(max_examples=200, deadline=None)
@given(start=INSTANTS, seconds=st.floats(min_value=0, max_value=40 * 24 * HOUR, allow_nan=False))
def test_a_deadline_and_the_working_time_up_to_it_agree(start: datetime, seconds: float) -> None:
    deadline = NIGHT_AND_DAY.after_working_seconds(start, seconds)
    assert NIGHT_AND_DAY.working_seconds_between(start, deadline) == pytest.approx(seconds, abs=1e-3)


@settings(max_examples=200, deadline=None)
@given(at=INSTANTS)
def test_the_next_opening_is_open_and_nothing_before_it_is(at: datetime) -> None:
    back = NIGHT_AND_DAY.next_opening(at)
    assert NIGHT_AND_DAY.is_open(back)
    assert NIGHT_AND_DAY.working_seconds_between(at, back) == 0
    until = NIGHT_AND_DAY.open_until(back)
    assert until is not None and until > back and not NIGHT_AND_DAY.is_open(until)
