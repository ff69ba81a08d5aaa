"""SUPPORT_HOURS: open and closed at both edges, the next opening across a change of summer
time (zoneinfo), and bad values named."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from bot.config.hours import parse_hours

LONDON = ZoneInfo("Europe/London")
HOURS = parse_hours("Mon-Fri 09:00-18:00 Europe/London")


def london(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def test_both_edges_of_a_working_day():
    """Open from 09:00 sharp to just before 18:00, local time (summer time here)."""
    assert not HOURS.is_open(london(2026, 6, 1, 8, 59, 59))
    assert HOURS.is_open(london(2026, 6, 1, 9, 0))
    assert HOURS.is_open(london(2026, 6, 1, 17, 59, 59))
    assert not HOURS.is_open(london(2026, 6, 1, 18, 0))
    assert not HOURS.is_open(london(2026, 6, 6, 12, 0))  # a Saturday
    # The same instant in UTC: 08:30 UTC is 09:30 in London in June.
    assert HOURS.is_open(dt.datetime(2026, 6, 1, 8, 30, tzinfo=dt.UTC))


def test_the_next_opening_across_summer_time_changes():
    """Friday evening before the clocks go forward (29 March 2026): Monday 09:00 BST, which
    is 08:00 UTC; before they go back (25 October 2026): Monday 09:00 GMT, 09:00 UTC."""
    spring = HOURS.next_opening(dt.datetime(2026, 3, 27, 18, 0, tzinfo=dt.UTC))
    assert spring.astimezone(dt.UTC) == dt.datetime(2026, 3, 30, 8, 0, tzinfo=dt.UTC)
    assert f"{spring:%A %H:%M}" == "Monday 09:00"
    autumn = HOURS.next_opening(london(2026, 10, 23, 18, 0))
    assert autumn.astimezone(dt.UTC) == dt.datetime(2026, 10, 26, 9, 0, tzinfo=dt.UTC)
    early = HOURS.next_opening(london(2026, 10, 26, 7, 0))
    assert early == london(2026, 10, 26, 9, 0)
    now = london(2026, 10, 26, 10, 0)
    assert HOURS.next_opening(now) == now


def test_day_lists_and_ranges_that_wrap():
    assert parse_hours("Mon,Wed,Fri 10:00-12:00 UTC").days == {0, 2, 4}
    assert parse_hours("Fri-Mon 10:00-12:00 UTC").days == {4, 5, 6, 0}
    assert parse_hours("sat 10:00-12:00 UTC").days == {5}


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("weekdays", "must be days, hours and a time zone"),
        ("Mon-Fri 09:00-18:00 Mars/Base", "unknown time zone 'Mars/Base'"),
        ("Mon-Fri 18:00-09:00 UTC", "closing 09:00 must come after opening 18:00"),
        ("Funday 09:00-18:00 UTC", "'Funday' is not a day"),
        ("Mon 25:00-26:00 UTC", "25:00 is not a time of day"),
    ],
)
def test_bad_hours_are_named(value, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        parse_hours(value)
