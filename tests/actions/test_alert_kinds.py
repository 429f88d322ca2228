"""Alerts about no deadline (issue 30): repeated delays in holding strategy discussions, and the on-call rota running
out. Each is raised once per key (a partnership's month; a rota's last date), to the right people, with no case
detail."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.urls import reverse

from actions import alerts
from actions.models import Alert, AlertKind
from agencies.models import Duty, OnCall, RoleCode
from core.timescales import LONDON
from referrals.deadlines import deadline_meet
from referrals.models import Deadline
from tests.builders import make_referral
from tests.conftest import _client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOV_2 = dt.datetime(2026, 11, 2, 10, 0, tzinfo=LONDON)  # Monday: a standard discussion is due Thursday 5th 17:00
NOV_20 = dt.datetime(2026, 11, 20, 12, 0, tzinfo=LONDON)


@pytest.fixture
def leads(world):
    """The strategy discussion leads of the partnership (CSC's head of service and a police one) and its
    administrator (business support as staff)."""
    police_lead = UserFactory(username="police_lead", agency=world["police_agency"], roles=[RoleCode.HEAD_OF_SERVICE])
    world["admin"].is_staff = True
    world["admin"].save()
    return {**world, "police_lead": police_lead}


def _late_cases(world, count: int, received: dt.datetime = NOV_2) -> list:
    return [make_referral(acting_user=world["sw"], received_at=received) for _ in range(count)]


def _told(key: str) -> set[str]:
    return set(Alert.objects.get(key=key).notifications.values_list("user__username", flat=True))


def test_repeated_delays_alert_the_leads_once_a_month_when_more_than_the_setting(leads):
    partnership = leads["partnership"]
    assert partnership.delays_alert_after == 3
    on_time, met_late, *overdue = _late_cases(leads, 4)
    deadline_meet(
        acting_user=leads["sw"],
        deadline=on_time.strategy_discussion_deadline(),
        at=NOV_2 + dt.timedelta(days=1),
        by="Strategy discussion held",
    )
    deadline_meet(
        acting_user=leads["sw"],
        deadline=met_late.strategy_discussion_deadline(),
        at=NOV_2 + dt.timedelta(days=5),
        by="Strategy discussion held",
    )
    make_referral(acting_user=leads["sw"], received_at=NOV_20 - dt.timedelta(hours=2))  # due next week: not late yet
    make_referral(acting_user=leads["other_sw"], received_at=NOV_2)  # another partnership's
    assert alerts.delays_count(partnership, NOV_20) == 3  # met late + two overdue
    assert alerts.delays_check(now=NOV_20) == 0  # 3 is not more than 3

    _late_cases(leads, 1)
    assert alerts.delays_count(partnership, NOV_20) == 4
    assert alerts.delays_check(now=NOV_20) == 1
    key = f"delays:{partnership.pk}:2026-11"
    assert _told(key) == {"hos", "police_lead"}  # the leads of every agency; not the administrators (4 < 6)
    alert = Alert.objects.get(key=key)
    assert alert.kind == AlertKind.REPEATED_DELAYS and alert.link == reverse("reports:index") == "/reports/"
    assert alert.message.startswith("4 strategy discussions this month missed their timescale (more than 3)")
    assert on_time.reference not in alert.message
    _late_cases(leads, 1)
    assert alerts.delays_check(now=NOV_20 + dt.timedelta(hours=1)) == 0  # once a month, however many more


def test_next_month_again_and_at_twice_the_setting_the_partnerships_administrators_too(leads):
    partnership = leads["partnership"]
    partnership.delays_alert_after = 1
    partnership.save()
    _late_cases(leads, 2)
    assert alerts.delays_check(now=NOV_20) == 2  # 2 is more than 1, and twice 1: the leads, then the partnership
    assert _told(f"delays:{partnership.pk}:2026-11") == {"hos", "police_lead"}
    assert _told(f"delays:{partnership.pk}:2026-11:partnership") == {"admin"}
    december = dt.datetime(2026, 12, 15, 12, 0, tzinfo=LONDON)
    assert alerts.delays_count(partnership, december) == 0  # November's delays are November's
    assert alerts.delays_check(now=december) == 0
    _late_cases(leads, 2, received=dt.datetime(2026, 12, 1, 10, 0, tzinfo=LONDON))  # due Friday 4 December
    assert alerts.delays_check(now=december) == 2
    assert _told(f"delays:{partnership.pk}:2026-12") == {"hos", "police_lead"}


def test_the_count_reads_one_range_of_an_index_per_partnership(leads):
    """Not a scan of every deadline ever: the partial index of discussion clocks by partnership and due moment."""
    query = Deadline.objects.filter(partnership=leads["partnership"])  # the shape delays_count builds
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.filter(rule__in=alerts.DISCUSSION_CLOCKS, due_at__gte=NOV_2, due_at__lt=NOV_20).explain()
    assert "deadline_discussion_due" in plan


TODAY = dt.datetime(2026, 11, 23, 8, 0, tzinfo=LONDON)  # Monday


def _spell(world, duty, last: dt.date, *, first: dt.date = dt.date(2026, 11, 1), user=None) -> OnCall:
    return OnCall.objects.create(
        partnership=world["partnership"], user=user or world["tm"], duty=duty, starts_on=first, ends_on=last
    )


def test_no_rota_no_warning(leads):
    assert alerts.rota_check(now=TODAY) == 0


def test_the_administrators_are_warned_once_a_week_before_a_duty_runs_out(leads):
    partnership = leads["partnership"]
    _spell(leads, Duty.EMERGENCY_DUTY_TEAM, dt.date(2026, 11, 30))  # 7 days ahead: not yet
    _spell(leads, Duty.SENIOR_MANAGER, dt.date(2026, 12, 31))
    assert alerts.rota_check(now=TODAY) == 0
    tuesday = TODAY + dt.timedelta(days=1)  # the last date is 6 days ahead
    assert alerts.rota_check(now=tuesday) == 1
    key = f"rota:{partnership.pk}:edt:2026-11-30"
    assert _told(key) == {"admin"}  # the partnership's administrators (staff), nobody of another partnership
    alert = Alert.objects.get(key=key)
    assert alert.kind == AlertKind.ROTA_ENDING and alert.link == reverse("admin:agencies_oncall_changelist")
    assert "emergency duty team runs out after 30 November 2026" in alert.message
    assert alerts.rota_check(now=tuesday + dt.timedelta(days=1)) == 0  # once per last date
    # The rota is extended, then runs short again: warned again, for the new last date.
    _spell(leads, Duty.EMERGENCY_DUTY_TEAM, dt.date(2026, 12, 14), first=dt.date(2026, 12, 1))
    assert alerts.rota_check(now=tuesday + dt.timedelta(days=2)) == 0
    assert alerts.rota_check(now=dt.datetime(2026, 12, 8, 8, 0, tzinfo=LONDON)) == 1
    assert Alert.objects.filter(key=f"rota:{partnership.pk}:edt:2026-12-14").exists()


def test_a_duty_nobody_is_on_while_the_other_has_a_rota_is_warned_about(leads):
    _spell(leads, Duty.EMERGENCY_DUTY_TEAM, dt.date(2026, 12, 31))
    assert alerts.rota_check(now=TODAY) == 1
    alert = Alert.objects.get(kind=AlertKind.ROTA_ENDING)
    assert alert.key == f"rota:{leads['partnership'].pk}:senior_manager:none"
    assert alert.message == "Nobody is on the rota for on-call senior manager"
    assert alerts.rota_check(now=TODAY + dt.timedelta(days=1)) == 0


def test_the_alerts_page_shows_a_rota_warning_and_opens_the_rota(leads):
    _spell(leads, Duty.EMERGENCY_DUTY_TEAM, dt.date(2026, 11, 25))
    _spell(leads, Duty.SENIOR_MANAGER, dt.date(2026, 12, 31))
    assert alerts.rota_check(now=TODAY) == 1
    client = _client_for(leads["admin"])
    page = client.get(reverse("actions:notifications")).content.decode()
    assert "The on-call rota is running out" in page and "runs out after 25 November 2026" in page
    assert "Not about one case" in page
    notification = Alert.objects.get(kind=AlertKind.ROTA_ENDING).notifications.get()
    opened = client.post(reverse("actions:notification_read", kwargs={"notification_pk": notification.pk}))
    assert opened.status_code == 302 and opened["Location"] == reverse("admin:agencies_oncall_changelist")
    notification.refresh_from_db()
    assert notification.read_at is not None
