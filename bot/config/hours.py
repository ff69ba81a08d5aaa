"""SUPPORT_HOURS: when people answer, e.g. `Mon-Fri 09:00-18:00 Europe/London`.

Days are three-letter names, single or as ranges, comma-separated (`Mon-Fri`, `Mon,Wed,Fri`,
`Sat-Sun`); the times are the local wall-clock opening and closing (closing after opening);
the zone is an IANA name, so summer time is followed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FORMAT = re.compile(
    r"^\s*(?P<days>[A-Za-z,\- ]+?)\s+(?P<start>\d{1,2}:\d\d)\s*-\s*(?P<end>\d{1,2}:\d\d)"
    r"\s+(?P<zone>\S+)\s*$"
)
EXAMPLE = "e.g. Mon-Fri 09:00-18:00 Europe/London"


@dataclass(frozen=True)
class SupportHours:
    """The weekly hours when staff answer, in one time zone."""

    days: frozenset[int]  # 0 = Monday
    start: dt.time
    end: dt.time
    zone: ZoneInfo
    text: str

    def is_open(self, moment: dt.datetime) -> bool:
        """Whether staff are at work at this moment."""
        local = moment.astimezone(self.zone)
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def next_opening(self, moment: dt.datetime) -> dt.datetime:
        """The moment itself when open; else the next opening (aware, in the zone)."""
        if self.is_open(moment):
            return moment.astimezone(self.zone)
        local = moment.astimezone(self.zone)
        for ahead in range(8):
            date = local.date() + dt.timedelta(days=ahead)
            opening = dt.datetime.combine(date, self.start, tzinfo=self.zone)
            if date.weekday() in self.days and opening > local:
                return opening
        raise AssertionError("a week always has an opening")  # days is never empty


def parse_hours(text: str) -> SupportHours:
    """The hours written in SUPPORT_HOURS; ValueError saying what is wrong."""
    found = _FORMAT.match(text)
    if found is None:
        raise ValueError(f"must be days, hours and a time zone ({EXAMPLE})")
    try:
        zone = ZoneInfo(found["zone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {found['zone']!r} ({EXAMPLE})") from None
    start, end = _time(found["start"]), _time(found["end"])
    if end <= start:
        raise ValueError(f"closing {found['end']} must come after opening {found['start']}")
    return SupportHours(_days(found["days"]), start, end, zone, " ".join(text.split()))


def _time(text: str) -> dt.time:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours > 23 or minutes > 59:
        raise ValueError(f"{text} is not a time of day ({EXAMPLE})")
    return dt.time(hours, minutes)


def _day(name: str) -> int:
    key = name.strip().lower()
    if key not in DAYS:
        raise ValueError(f"{name.strip()!r} is not a day (Mon, Tue, ... Sun)")
    return DAYS.index(key)


def _days(text: str) -> frozenset[int]:
    days: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        start = _day(first)
        end = _day(last) if last else start
        days.update((start + step) % 7 for step in range((end - start) % 7 + 1))
    return frozenset(days)
