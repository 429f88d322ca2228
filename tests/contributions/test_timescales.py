"""The request's clock and its link's window in the timescale engine (core.timescales), pure: no database."""

import datetime as dt

import pytest

from core.timescales import DEFAULT_CALENDAR, LONDON, contribution_link_ends, information_request_due

MEETING = dt.datetime(2026, 11, 24, 10, 0, tzinfo=LONDON)  # a Tuesday


@pytest.mark.parametrize(
    ("asked", "over", "due"),
    [
        # Before the meeting: due when it is scheduled.
        (dt.datetime(2026, 11, 23, 14, 0, tzinfo=LONDON), False, MEETING),
        # After it ended: the end of the next working day.
        (dt.datetime(2026, 11, 24, 13, 0, tzinfo=LONDON), True, dt.datetime(2026, 11, 25, 17, 0, tzinfo=LONDON)),
        # Its time has passed and it has not ended (being held, or late): the end of the next working day too.
        (dt.datetime(2026, 11, 24, 10, 30, tzinfo=LONDON), False, dt.datetime(2026, 11, 25, 17, 0, tzinfo=LONDON)),
        # Asked on Christmas Eve after a meeting: the 25th and the 28th (Boxing Day's substitute) are bank holidays.
        (dt.datetime(2026, 12, 24, 14, 0, tzinfo=LONDON), True, dt.datetime(2026, 12, 29, 17, 0, tzinfo=LONDON)),
    ],
    ids=["before", "after", "during", "before-bank-holidays"],
)
def test_a_request_is_due_before_the_meeting_or_by_the_end_of_the_next_working_day(asked, over, due):
    assert information_request_due(asked, MEETING, meeting_over=over, calendar=DEFAULT_CALENDAR) == due


def test_the_link_works_until_the_end_of_the_fifth_working_day_after_the_request_was_due():
    friday = dt.datetime(2026, 11, 27, 17, 0, tzinfo=LONDON)
    assert contribution_link_ends(friday, DEFAULT_CALENDAR) == dt.datetime(2026, 12, 4, 17, 0, tzinfo=LONDON)


def test_naive_moments_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        information_request_due(
            dt.datetime(2026, 11, 23, 14, 0),  # noqa: DTZ001 (naive on purpose)
            MEETING,
            meeting_over=False,
            calendar=DEFAULT_CALENDAR,
        )
