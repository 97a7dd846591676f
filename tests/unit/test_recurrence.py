"""Repeat rules, evaluated in the recipient's zone: pure code, checked against `zoneinfo` on the
daylight-saving days of Europe/London and America/New_York in 2026 and 2027.

The rule (README "Schedules"): a local time that does not exist runs at the offset in force before the
change (moved forward by the gap); a local time that exists twice runs once, at the first of the two.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from recipients.schedules.recurrence import Rule, instant, next_occurrence

LONDON, NEW_YORK = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")
ANCHOR = datetime(2026, 1, 5, 12, tzinfo=UTC)  # a Monday, in both zones


def occurrences(rule: Rule, zone: ZoneInfo, start: datetime, count: int, **timing: datetime) -> list[datetime]:
    found, after = [], start
    for _ in range(count):
        moment = next_occurrence([rule], zone, after, anchor=timing.get("anchor", ANCHOR), **timing)
        assert moment is not None
        found.append(moment)
        after = moment
    return found


def local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


@pytest.mark.parametrize(
    ("zone", "change_day"),
    [
        (LONDON, datetime(2026, 3, 29, tzinfo=UTC)),  # spring forward: 01:00 GMT -> 02:00 BST
        (LONDON, datetime(2026, 10, 25, tzinfo=UTC)),  # fall back: 02:00 BST -> 01:00 GMT
        (LONDON, datetime(2027, 3, 28, tzinfo=UTC)),
        (LONDON, datetime(2027, 10, 31, tzinfo=UTC)),
        (NEW_YORK, datetime(2026, 3, 8, tzinfo=UTC)),
        (NEW_YORK, datetime(2026, 11, 1, tzinfo=UTC)),
        (NEW_YORK, datetime(2027, 3, 14, tzinfo=UTC)),
        (NEW_YORK, datetime(2027, 11, 7, tzinfo=UTC)),
    ],
)
def test_daily_9am_stays_9am_local_across_the_change(zone: ZoneInfo, change_day: datetime) -> None:
    # Given a daily 09:00 rule, from three days before the change
    rule = Rule("daily", hours=9, minutes=0)

    # When its next six occurrences are worked out
    found = occurrences(rule, zone, change_day - timedelta(days=3), 6)

    # Then each is 09:00 local on consecutive days, the instant zoneinfo gives for it
    for index, moment in enumerate(found):
        day = (change_day - timedelta(days=3) + timedelta(days=index)).date()
        assert moment == datetime(day.year, day.month, day.day, 9, tzinfo=zone).astimezone(UTC)
        assert moment.astimezone(zone).hour == 9
    offsets = {moment.astimezone(zone).utcoffset() for moment in found}
    assert len(offsets) == 2  # the change really is inside the window


def test_london_time_in_the_spring_gap_runs_moved_forward_by_the_gap() -> None:
    # Given a daily 01:30 rule: 01:30 does not exist in London on 2026-03-29
    rule = Rule("daily", hours=1, minutes=30)

    # When the occurrence on the change day is worked out
    moment = next_occurrence([rule], LONDON, datetime(2026, 3, 28, 12, tzinfo=UTC), anchor=ANCHOR)

    # Then it runs at 02:30 BST (01:30 UTC), what zoneinfo gives for fold=0, and the next day at 01:30 BST again
    assert moment == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert moment == datetime(2026, 3, 29, 1, 30, tzinfo=LONDON, fold=0).astimezone(UTC)
    assert local(moment, LONDON) == "2026-03-29 02:30 BST"
    following = next_occurrence([rule], LONDON, moment, anchor=ANCHOR)
    assert following is not None and local(following, LONDON) == "2026-03-30 01:30 BST"


def test_new_york_time_in_the_spring_gap_runs_moved_forward_by_the_gap() -> None:
    rule = Rule("daily", hours=2, minutes=15)  # 02:15 does not exist in New York on 2026-03-08

    moment = next_occurrence([rule], NEW_YORK, datetime(2026, 3, 7, 12, tzinfo=UTC), anchor=ANCHOR)

    assert moment is not None and local(moment, NEW_YORK) == "2026-03-08 03:15 EDT"
    assert moment == datetime(2026, 3, 8, 2, 15, tzinfo=NEW_YORK, fold=0).astimezone(UTC)


@pytest.mark.parametrize(
    ("zone", "day", "hour", "first"),
    [
        (LONDON, datetime(2026, 10, 25), 1, "2026-10-25 01:30 BST"),
        (LONDON, datetime(2027, 10, 31), 1, "2027-10-31 01:30 BST"),
        (NEW_YORK, datetime(2026, 11, 1), 1, "2026-11-01 01:30 EDT"),
        (NEW_YORK, datetime(2027, 11, 7), 1, "2027-11-07 01:30 EDT"),
    ],
)
def test_time_that_exists_twice_runs_once_at_the_first(zone: ZoneInfo, day: datetime, hour: int, first: str) -> None:
    # Given a daily rule at a time that happens twice on the fall-back day
    rule = Rule("daily", hours=hour, minutes=30)
    start = day.replace(tzinfo=zone) - timedelta(hours=6)

    # When the occurrences around it are worked out
    found = occurrences(rule, zone, start, 2)

    # Then it runs once that day, at the first (summer-time) instant, and next at the same time the day after
    assert local(found[0], zone) == first
    assert found[0] == datetime(day.year, day.month, day.day, hour, 30, tzinfo=zone, fold=0).astimezone(UTC)
    assert found[1] - found[0] == timedelta(hours=25)


def test_hourly_across_the_fall_back_runs_each_local_hour_once() -> None:
    rule = Rule("hourly", minutes=0)
    start = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)  # 00:30 BST on the change day

    found = occurrences(rule, LONDON, start, 3)

    assert [local(moment, LONDON) for moment in found] == [
        "2026-10-25 01:00 BST",
        "2026-10-25 02:00 GMT",  # 01:00 GMT (the second 01:00) is skipped: it exists twice
        "2026-10-25 03:00 GMT",
    ]


def test_hourly_across_the_spring_gap_never_runs_twice_at_one_instant() -> None:
    rule = Rule("hourly", minutes=30)
    start = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)

    found = occurrences(rule, LONDON, start, 3)

    assert len(set(found)) == 3 and found == sorted(found)
    assert [local(moment, LONDON) for moment in found] == [
        "2026-03-29 00:30 GMT",
        "2026-03-29 02:30 BST",  # 01:30 (in the gap) and 02:30 are the same instant: one run
        "2026-03-29 03:30 BST",
    ]


def test_weekly_every_other_week_on_three_days() -> None:
    # Knock's example: every other Monday, Tuesday and Friday at 18:00
    rule = Rule("weekly", interval=2, days=(0, 1, 4), hours=18, minutes=0)

    found = occurrences(rule, NEW_YORK, ANCHOR, 6)

    assert [local(moment, NEW_YORK)[:10] for moment in found] == [
        "2026-01-05",
        "2026-01-06",
        "2026-01-09",
        "2026-01-19",
        "2026-01-20",
        "2026-01-23",
    ]
    assert {moment.astimezone(NEW_YORK).hour for moment in found} == {18}


def test_monthly_on_the_31st_runs_on_the_last_day_of_shorter_months() -> None:
    rule = Rule("monthly", day_of_month=31, hours=8)

    found = occurrences(rule, LONDON, ANCHOR, 3)

    assert [local(moment, LONDON)[:10] for moment in found] == ["2026-01-31", "2026-02-28", "2026-03-31"]
    assert local(found[2], LONDON) == "2026-03-31 08:00 BST"


def test_one_off_runs_at_scheduled_at_and_never_again() -> None:
    at = datetime(2026, 6, 1, 12, tzinfo=UTC)

    assert next_occurrence([], LONDON, at - timedelta(days=1), anchor=ANCHOR, scheduled_at=at) == at
    assert next_occurrence([], LONDON, at, anchor=ANCHOR, scheduled_at=at) is None


def test_nothing_runs_after_ending_at() -> None:
    rule = Rule("daily", hours=9)
    start = datetime(2026, 6, 1, tzinfo=UTC)
    ending = datetime(2026, 6, 2, 12, tzinfo=UTC)

    found = next_occurrence([rule], LONDON, datetime(2026, 6, 2, 9, tzinfo=UTC), anchor=start, ending_at=ending)

    assert found is None
    assert next_occurrence([rule], LONDON, start, anchor=start, ending_at=ending) == datetime(2026, 6, 1, 8, tzinfo=UTC)


def test_recurring_starts_at_scheduled_at() -> None:
    rule = Rule("daily", hours=9)
    scheduled = datetime(2026, 7, 10, 8, tzinfo=UTC)  # 09:00 BST that day: the first occurrence itself

    found = next_occurrence([rule], LONDON, datetime(2026, 6, 1, tzinfo=UTC), anchor=scheduled, scheduled_at=scheduled)

    assert found == scheduled


def test_instant_matches_zoneinfo_for_every_hour_of_the_change_days() -> None:
    for zone, day in ((LONDON, datetime(2026, 3, 29)), (NEW_YORK, datetime(2026, 11, 1))):
        for hour in range(24):
            wall = day.replace(hour=hour)
            assert instant(wall, zone) == wall.replace(tzinfo=zone).astimezone(UTC)
