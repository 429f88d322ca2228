"""How ages read: under two in days, weeks or months (an infant is never "age 0"), then whole years."""

import datetime as dt

import pytest

from core.presenters import describe_age

TODAY = dt.date(2026, 12, 6)


@pytest.mark.parametrize(
    ("born", "words"),
    [
        (TODAY, "0 days"),
        (TODAY - dt.timedelta(days=1), "1 day"),
        (TODAY - dt.timedelta(days=6), "6 days"),
        (TODAY - dt.timedelta(days=7), "1 week"),
        (TODAY - dt.timedelta(days=7 * 7 + 3), "7 weeks"),
        (TODAY - dt.timedelta(days=7 * 13 - 1), "12 weeks"),
        (dt.date(2026, 9, 6), "3 months"),
        (dt.date(2025, 10, 6), "14 months"),
        (dt.date(2025, 10, 7), "13 months"),
        (dt.date(2024, 12, 7), "23 months"),
        (dt.date(2024, 12, 6), "2"),
        (dt.date(2017, 2, 1), "9"),
        (dt.date(2026, 8, 31), "3 months"),  # born on the 31st: a month is up on the last day of a shorter one
    ],
)
def test_an_age_reads_as_a_practitioner_says_it(born, words):
    assert describe_age(born, TODAY) == words


def test_a_month_born_on_the_31st_is_up_on_the_last_day_of_a_shorter_month():
    assert describe_age(dt.date(2025, 10, 31), dt.date(2026, 2, 27)) == "3 months"
    assert describe_age(dt.date(2025, 10, 31), dt.date(2026, 2, 28)) == "4 months"


@pytest.mark.django_db
def test_the_case_page_gives_an_infants_age_in_weeks(world, sw_client):
    from django.urls import reverse
    from django.utils import timezone

    from tests.builders import child, make_referral

    born = timezone.localdate() - dt.timedelta(weeks=7, days=2)
    referral = make_referral(acting_user=world["sw"], children=[child("Robin", "Testchild", date_of_birth=born)])
    page = sw_client.get(reverse("referrals:detail", kwargs={"pk": referral.pk})).content.decode()
    assert "(age 7 weeks)" in page and "(age 0)" not in page
