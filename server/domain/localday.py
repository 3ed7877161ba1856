"""The shop's days: a calendar date in the shop's time zone, as a span of instants.

"The day's hand-overs" are those whose instant falls between the shop's midnights, not UTC's: a
parcel handed over at 21:00 in Caracas (01:00 UTC the next day) is on that evening's manifest.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

__all__ = ["day_span", "local_today", "zone_name"]


def day_span(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of `day` in `zone`, as UTC instants (a day of a DST change is 23 or 25 hours)."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def local_today(zone: tzinfo, now: datetime) -> date:
    return now.astimezone(zone).date()


def zone_name(zone: tzinfo) -> str:
    """The zone's IANA name (`America/Caracas`) when it has one."""
    return str(getattr(zone, "key", None) or zone)
