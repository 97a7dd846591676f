"""When a schedule runs next: pure code over its repeat rules, a time zone and an instant.

Rules are evaluated in the recipient's local time (README "Schedules"), then turned into instants with
`zoneinfo` and `fold=0`, which is the daylight-saving rule:
- a local time that does not exist (the spring-forward gap) runs at the offset in force before the
  change, i.e. moved forward by the gap (01:30 in Europe/London on its spring day runs at 02:30 BST);
- a local time that exists twice (fall-back) runs once, at the first of the two (the summer-time one).

An interval counts from the schedule's anchor (its `scheduled_at`, else when it was made), in local
days, weeks (Monday to Sunday) or months; hourly rules count hours from local midnight.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SEARCH_DAYS = 800
"""How far ahead a daily, weekly or hourly rule is searched: past two years, enough for any interval taken."""
_SEARCH_MONTHS = 1300


class Rule(NamedTuple):
    """One repeat rule, checked (schedules/models.py): `days` holds weekday numbers, Monday 0."""

    frequency: str
    interval: int = 1
    days: tuple[int, ...] | None = None
    day_of_month: int | None = None
    hours: int | None = None
    minutes: int | None = None


def instant(local: datetime, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as a UTC instant, with the daylight-saving rule above (fold=0)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def next_occurrence(
    rules: Sequence[Rule],
    zone: ZoneInfo,
    after: datetime,
    *,
    anchor: datetime,
    scheduled_at: datetime | None = None,
    ending_at: datetime | None = None,
) -> datetime | None:
    """The first occurrence strictly after `after` (and not before `scheduled_at`), or None when there is
    none up to `ending_at`. Without rules the schedule is a one-off at `scheduled_at`."""
    if not rules:
        due = scheduled_at if scheduled_at is not None and scheduled_at > after else None
    else:
        start = after if scheduled_at is None or scheduled_at <= after else scheduled_at - timedelta(microseconds=1)
        found = [first_after(rule, zone, start, anchor) for rule in rules]
        due = min((moment for moment in found if moment is not None), default=None)
    if due is None or (ending_at is not None and due > ending_at):
        return None
    return due


def first_after(rule: Rule, zone: ZoneInfo, after: datetime, anchor: datetime) -> datetime | None:
    """The rule's first occurrence strictly after `after`."""
    anchor_day = anchor.astimezone(zone).date()
    for local in _candidates(rule, after.astimezone(zone).date() - timedelta(days=1), anchor_day):
        moment = instant(local, zone)
        if moment > after:
            return moment
    return None


def _candidates(rule: Rule, first_day: date, anchor_day: date) -> Iterator[datetime]:
    """The rule's local times from `first_day` on, in order (before the daylight-saving rule is applied)."""
    at = time(rule.hours or 0, rule.minutes or 0)
    if rule.frequency == "monthly":
        yield from _monthly(rule, first_day, anchor_day, at)
        return
    for offset in range(_SEARCH_DAYS):
        day = first_day + timedelta(days=offset)
        if rule.days is not None and day.weekday() not in rule.days:
            continue
        if rule.frequency == "hourly":
            for hour in range(24):
                if hour % rule.interval == 0:
                    yield datetime.combine(day, time(hour, rule.minutes or 0))
        elif _on_day(rule, anchor_day, day):
            yield datetime.combine(day, at)


def _monthly(rule: Rule, first_day: date, anchor_day: date, at: time) -> Iterator[datetime]:
    """On `day_of_month` (else the anchor's), or the month's last day when it is shorter."""
    wanted = rule.day_of_month or anchor_day.day
    year, month = first_day.year, first_day.month
    for _ in range(_SEARCH_MONTHS):
        months = (year - anchor_day.year) * 12 + month - anchor_day.month
        if months % rule.interval == 0:
            day = date(year, month, min(wanted, _days_in(year, month)))
            if day >= first_day:
                yield datetime.combine(day, at)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _days_in(year: int, month: int) -> int:
    """28 to 31 (`calendar.monthrange` would load the calendar module, and its locale, at every cold start)."""
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return (following - timedelta(days=1)).day


def _on_day(rule: Rule, anchor_day: date, day: date) -> bool:
    """Daily: a day of the interval. Weekly: in a week of the interval, on one of its days (the anchor's
    weekday when none are given)."""
    if rule.frequency == "daily":
        return (day - anchor_day).days % rule.interval == 0
    on_day = rule.days is not None or day.weekday() == anchor_day.weekday()
    return on_day and _weeks_between(anchor_day, day) % rule.interval == 0


def _weeks_between(anchor_day: date, day: date) -> int:
    return ((day - timedelta(days=day.weekday())) - (anchor_day - timedelta(days=anchor_day.weekday()))).days // 7
