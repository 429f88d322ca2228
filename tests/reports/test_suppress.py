"""No child identifiable (issue 29): counts from 1 to 4 shown as "fewer than 5", every other count rounded to the
nearest 5, values from small counts withheld, and no total or difference that gives a suppressed count back."""

import pytest

from reports import suppress

pytestmark = pytest.mark.clock_free


@pytest.mark.parametrize(
    ("count", "shown"),
    [(0, "0"), (1, "fewer than 5"), (4, "fewer than 5"), (5, "5"), (7, "5"), (8, "10"), (12, "10"), (13, "15")],
)
def test_a_count_of_1_to_4_is_fewer_than_5_and_the_rest_round_to_the_nearest_5(count, shown):
    assert suppress.count(count).text == shown


def test_a_count_of_1_and_of_4_draw_no_bar_and_a_count_of_5_does():
    assert suppress.count(1).number is None
    assert suppress.count(4).number is None
    assert suppress.count(5).number == 5


def test_a_rate_from_unrounded_counts_withheld_when_its_numerator_denominator_or_rest_is_small():
    assert suppress.rate(7, 13).text == "54%"  # 7 and 13 as they are, not 5 of 15
    assert suppress.rate(1, 20).text == "withheld"
    assert suppress.rate(4, 20).text == "withheld"
    assert suppress.rate(16, 20).text == "withheld"  # 4 were not: the rest is small
    assert suppress.rate(3, 3).text == "withheld"  # the denominator is small
    assert suppress.rate(0, 12).text == "0%"
    assert suppress.rate(5, 10).text == "50%"
    assert suppress.rate(0, 0).text == "none"


def test_a_time_from_fewer_than_5_values_is_withheld():
    assert suppress.amount(12, 4, "hours").text == "withheld"
    assert suppress.amount(12, 5, "hours").text == "12 hours"
    assert suppress.amount(None, 0, "hours").text == "none"


def test_one_of_a_unit_is_said_in_the_singular():
    assert suppress.amount(1, 5, "working days").text == "1 working day"
    assert suppress.amount(1.2, 5, "hours").text == "1 hour"
    assert suppress.amount(0, 5, "hours").text == "0 hours" and suppress.amount(2, 5, "hours").text == "2 hours"


def test_a_total_never_gives_back_a_suppressed_part():
    """Two months, 3 and 10: the page shows "fewer than 5", 10 and a total of 15. Taking the shown month from the
    shown total gives 5, not 3; and every count that could lie behind what is shown is more than one number."""
    parts, total = [3, 10], 13
    shown_total = suppress.count(total).text
    shown_parts = [suppress.count(p).text for p in parts]
    assert shown_parts == ["fewer than 5", "10"] and shown_total == "15"
    difference = int(shown_total) - int(shown_parts[1])
    assert difference != parts[0]
    # What a reader can work out: any first month from 1 to 4 with a second that rounds to 10 and a total to 15.
    possible = {
        first for first in range(1, 5) for second in range(8, 13) if suppress.count(first + second).text == "15"
    }
    assert len(possible) > 1 and parts[0] in possible


def test_two_filters_differing_by_a_small_count_show_no_difference():
    """All urgencies 22 referrals, one urgency 20: both show 20, so the other urgencies' 2 stay hidden."""
    assert suppress.count(22).text == suppress.count(20).text == "20"
