"""The `business_hours` section: left out, always open; given, read into core.business_hours
(time zone, week, holidays, messages); each mistake named by line and key, an unknown time zone
stopping start-up with a clear line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from handoff_slack.config_file import load_bot_config
from handoff_slack.core.business_hours import (
    DEFAULT_GREETING_NOTE,
    DEFAULT_OUTSIDE_HOURS_MESSAGE,
    BusinessHours,
    Holiday,
    OpenRange,
)
from tests.test_config_file import error_for, write

SECTION = """
business_hours:
  time_zone: Europe/Berlin
  week:
    monday: 09:00-17:30
    friday: [13:00-17:00, 09:00-12:00]
    saturday: 22:00-24:00
    sunday: "00:00-02:00"
  holidays:
    - 2026-12-25
    - {date: 2026-12-26, name: Boxing Day}
"""


def test_left_out_the_help_desk_is_always_open(tmp_path: Path) -> None:
    hours = load_bot_config(write(tmp_path, "greeting: Hello\n")).business_hours
    assert hours == BusinessHours.always_open() and hours.is_always_open


def test_the_default_config_file_leaves_it_out() -> None:
    default = Path(__file__).parent.parent / "handoff_slack" / "default_config.yaml"
    assert load_bot_config(str(default)).business_hours.is_always_open


def test_the_section_is_read(tmp_path: Path) -> None:
    hours = load_bot_config(write(tmp_path, SECTION)).business_hours
    nine_to_half_five = (OpenRange(540, 1050),)
    assert hours.time_zone == "Europe/Berlin"
    assert hours.week == (
        nine_to_half_five,
        (),
        (),
        (),
        (OpenRange(540, 720), OpenRange(780, 1020)),  # sorted
        (OpenRange(1320, 1440),),
        (OpenRange(0, 120),),
    )
    assert hours.holidays == (Holiday(date(2026, 12, 25)), Holiday(date(2026, 12, 26), "Boxing Day"))
    assert (hours.outside_hours_message, hours.greeting_note) == (DEFAULT_OUTSIDE_HOURS_MESSAGE, DEFAULT_GREETING_NOTE)


def test_the_messages_are_read_and_an_empty_greeting_note_is_none(tmp_path: Path) -> None:
    text = SECTION + "  outside_hours_message: Back {back}\n  greeting_note: ''\n"
    hours = load_bot_config(write(tmp_path, text)).business_hours
    assert (hours.outside_hours_message, hours.greeting_note) == ("Back {back}", None)


WEEK = "  week:\n    monday: 09:00-17:00\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "business_hours:\n  time_zone: Europe/Atlantis\n" + WEEK,
            ", line 2: business_hours.time_zone: unknown time zone 'Europe/Atlantis'; use an IANA name like "
            "Europe/Berlin, America/New_York or UTC",
        ),
        (
            "business_hours:\n  time_zone: CET+1\n" + WEEK,
            ", line 2: business_hours.time_zone: unknown time zone 'CET+1'",
        ),
        ("business_hours:\n" + WEEK, ", line 2: business_hours: missing required key 'time_zone'"),
        ("business_hours:\n", ", line 1: business_hours: has no value"),
        (
            "business_hours:\n  time_zone: UTC\n  week:\n    monday: 22:00-02:00\n",
            ", line 4: business_hours.week.monday: '22:00-02:00' crosses midnight or runs backwards: write it as "
            "two ranges, 22:00-24:00 on this day and 00:00-02:00 on the next",
        ),
        (
            "business_hours:\n  time_zone: UTC\n  week:\n    monday: 9 to 5\n",
            ", line 4: business_hours.week.monday: must be a range like 09:00-17:30, got '9 to 5'",
        ),
        (
            "business_hours:\n  time_zone: UTC\n  week:\n    monday: 09:00-25:00\n",
            ", line 4: business_hours.week.monday: '25:00' is not a time of day (00:00 to 24:00)",
        ),
        (
            "business_hours:\n  time_zone: UTC\n  week:\n    monday: [09:00-12:00, 11:00-13:00]\n",
            ", line 4: business_hours.week.monday: 09:00-12:00 and 11:00-13:00 overlap: make them one range",
        ),
        (
            "business_hours:\n  time_zone: UTC\n  week:\n    monday: [09:00-12:00, '13:00']\n",
            ", line 4: business_hours.week.monday[1]: must be a range like 09:00-17:30, got '13:00'",
        ),
        (
            "business_hours:\n  time_zone: UTC\n" + WEEK + "  holidays:\n    - {date: 2026-13-01, name: X}\n",
            ", line 6: business_hours.holidays[0].date: '2026-13-01' is no day of the calendar",
        ),
        (
            "business_hours:\n  time_zone: UTC\n  week:\n    mondays: 09:00-12:00\n",
            ", line 4: business_hours.week: unknown key 'mondays' (did you mean 'monday'?)",
        ),
        (
            "business_hours:\n  time_zone: UTC\n  week: {}\n",
            ", line 3: business_hours.week: opens on no day: give at least one day a range like 09:00-17:30",
        ),
        (
            "business_hours:\n  time_zone: UTC\n" + WEEK + "  holidays: [2026-02-30]\n",
            ", line 5: business_hours.holidays[0]: '2026-02-30' is no day of the calendar",
        ),
        (
            "business_hours:\n  time_zone: UTC\n" + WEEK + "  holidays: [25.12.2026]\n",
            ", line 5: business_hours.holidays[0]: must be a date like 2026-12-25 (YYYY-MM-DD), got '25.12.2026'",
        ),
        (
            "business_hours:\n  time_zone: UTC\n" + WEEK + "  holidays: [2026-12-25, 2026-12-25]\n",
            ", line 5: business_hours.holidays[1]: 2026-12-25 is listed twice",
        ),
        (
            "business_hours:\n  time_zone: UTC\n" + WEEK + "  outside_hours_message: ''\n",
            ", line 5: business_hours.outside_hours_message: must not be empty",
        ),
    ],
)
def test_a_business_hours_mistake_is_named_by_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    message = error_for(tmp_path, text)
    assert message.startswith(expected), message


def test_the_default_config_files_commented_example_is_valid(tmp_path: Path) -> None:
    default = (Path(__file__).parent.parent / "handoff_slack" / "default_config.yaml").read_text()
    example = default.split("# business_hours:", 1)[1].split("\n\n", 1)[0]  # to the next section
    text = "business_hours:" + "\n".join(line.removeprefix("# ") for line in example.splitlines())
    hours = load_bot_config(write(tmp_path, text)).business_hours
    assert hours.time_zone == "Europe/Berlin" and not hours.is_always_open
    assert hours.holidays[1] == Holiday(date(2026, 12, 26), "Boxing Day")
