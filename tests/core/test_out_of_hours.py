"""Out of hours (DOMAIN section 7): not a working day, or before the start or from the end of the working day, London
time. Every moment below was checked by hand against the 2026 calendar."""

from datetime import UTC, date, datetime, time

import pytest

from core.timescales import LONDON, Calendar, is_out_of_hours


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("moment", "out"),
    [
        pytest.param(london(2026, 11, 23, 8, 59), True, id="monday-08:59"),
        pytest.param(london(2026, 11, 23, 9, 0), False, id="monday-09:00"),
        pytest.param(london(2026, 11, 23, 16, 59), False, id="monday-16:59"),
        pytest.param(london(2026, 11, 23, 17, 0), True, id="monday-17:00"),
        pytest.param(london(2026, 11, 23, 23, 30), True, id="monday-night"),
        pytest.param(london(2026, 11, 28, 12, 0), True, id="saturday-noon"),
        pytest.param(london(2026, 11, 29, 12, 0), True, id="sunday-noon"),
        pytest.param(london(2026, 12, 25, 11, 0), True, id="christmas-day-a-friday"),
        pytest.param(london(2026, 8, 31, 11, 0), True, id="summer-bank-holiday-monday"),
        pytest.param(london(2026, 9, 1, 11, 0), False, id="the-tuesday-after"),
    ],
)
def test_out_of_hours_by_the_default_calendar(moment: datetime, out: bool) -> None:
    assert is_out_of_hours(moment, Calendar()) is out


def test_summer_time_counts_in_london_hours_not_utc() -> None:
    # Monday 15 June 2026 is in British Summer Time: 08:00 UTC is 09:00 in London (in hours), 07:59 UTC is 08:59.
    assert is_out_of_hours(datetime(2026, 6, 15, 7, 59, tzinfo=UTC), Calendar()) is True
    assert is_out_of_hours(datetime(2026, 6, 15, 8, 0, tzinfo=UTC), Calendar()) is False
    assert is_out_of_hours(datetime(2026, 6, 15, 15, 59, tzinfo=UTC), Calendar()) is False  # 16:59 BST
    assert is_out_of_hours(datetime(2026, 6, 15, 16, 0, tzinfo=UTC), Calendar()) is True  # 17:00 BST
    # In winter London is UTC: 09:00 UTC is 09:00.
    assert is_out_of_hours(datetime(2026, 11, 23, 9, 0, tzinfo=UTC), Calendar()) is False


def test_the_partnerships_own_hours_and_closure_days() -> None:
    calendar = Calendar(start_of_day=time(8, 0), end_of_day=time(18, 30), closure_days=frozenset({date(2026, 11, 24)}))
    assert is_out_of_hours(london(2026, 11, 23, 8, 0), calendar) is False
    assert is_out_of_hours(london(2026, 11, 23, 18, 29), calendar) is False
    assert is_out_of_hours(london(2026, 11, 23, 18, 30), calendar) is True
    assert is_out_of_hours(london(2026, 11, 24, 11, 0), calendar) is True  # a closure day


def test_the_working_day_must_start_before_it_ends_and_a_moment_must_be_aware() -> None:
    assert Calendar().start_of_day == time(9, 0)
    with pytest.raises(ValueError, match="before end_of_day"):
        Calendar(start_of_day=time(17, 0))
    with pytest.raises(ValueError, match="naive"):
        Calendar(start_of_day=time(9, 0, tzinfo=UTC))
    with pytest.raises(ValueError):
        is_out_of_hours(datetime(2026, 11, 23, 10, 0), Calendar())  # noqa: DTZ001 (naive: whose 10:00?)
