"""The urgent route (DOMAIN section 7, issue 30): a child at immediate risk goes at once to the strategy discussion
leads of the agencies involved, and out of hours to whoever is on call; everyone told may open the disagreement."""

import datetime as dt

import pytest
from django.urls import reverse

from actions.alerts import _queue_emails, alert_raise
from actions.models import Alert, AlertKind, Notification
from actions.tasks import send_alert_emails
from agencies.models import Duty, OnCall, RoleCode
from core.timescales import LONDON
from tests import builders
from tests.conftest import _client_for
from tests.disputes.builders import RAISED, managed, raise_
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EVENING = dt.datetime(2026, 11, 23, 19, 30, tzinfo=LONDON)  # Monday, after the end of the working day (17:00)


@pytest.fixture
def urgent_people(world):
    """The walk's urgent_people with their line managers and leads, and a rota: a health manager as the on-call senior
    manager and a police officer in the emergency duty team on Monday 23 November; someone else on Tuesday."""
    urgent_people = managed(world)
    health = world["health"].agency
    urgent_people["on_call_manager"] = UserFactory(
        username="on_call_manager", agency=health, roles=[RoleCode.HEALTH_PRACTITIONER], email="ocm@example.invalid"
    )
    urgent_people["edt"] = UserFactory(
        username="edt", agency=world["police_agency"], roles=[RoleCode.POLICE_OFFICER], email="edt@example.invalid"
    )
    urgent_people["tuesday"] = UserFactory(username="tuesday", agency=health, roles=[RoleCode.HEALTH_PRACTITIONER])
    monday, tuesday = dt.date(2026, 11, 23), dt.date(2026, 11, 24)
    partnership = world["partnership"]
    for user, duty, first, last in (
        (urgent_people["on_call_manager"], Duty.SENIOR_MANAGER, monday, monday),
        (urgent_people["edt"], Duty.EMERGENCY_DUTY_TEAM, dt.date(2026, 11, 20), monday),
        (urgent_people["tuesday"], Duty.SENIOR_MANAGER, tuesday, tuesday),
    ):
        OnCall.objects.create(partnership=partnership, user=user, duty=duty, starts_on=first, ends_on=last)
    for name in ("hos", "police_lead"):
        urgent_people[name].email = f"{name}@example.invalid"
        urgent_people[name].save()
    return urgent_people


@pytest.fixture
def urgent_case(urgent_people):
    """A case with a discussion police are invited to (so police may raise a disagreement about it)."""
    urgent_case = builders.case(urgent_people)
    builders.convene(
        urgent_people,
        urgent_case,
        invitations=[
            {"agency": urgent_people["police_agency"], "person": urgent_people["police"], "role": "Police officer"}
        ],
    )
    return urgent_case


def _told(disagreement) -> set[str]:
    alert = Alert.objects.get(kind=AlertKind.URGENT_DISAGREEMENT, key=f"disagreement:{disagreement.pk}")
    return set(alert.notifications.values_list("user__username", flat=True))


def test_in_hours_the_leads_of_the_agencies_involved_are_alerted_at_once(urgent_people, urgent_case):
    disagreement = raise_(
        urgent_people, urgent_case, immediate_risk=True
    )  # Monday 13:00: police with CSC's social worker
    # Police raised it, it is with CSC, and the case is CSC's: their leads; not health's, not the rota in hours.
    assert _told(disagreement) == {"police_lead", "hos"}
    assert set(disagreement.alerted.values_list("username", flat=True)) == {"police_lead", "hos"}
    assert disagreement.alerted_at == RAISED and not disagreement.alerted_out_of_hours
    alert = Alert.objects.get(kind=AlertKind.URGENT_DISAGREEMENT)
    assert alert.partnership == urgent_people["partnership"] and alert.deadline is None
    assert alert.link == reverse("disputes:detail", kwargs={"disagreement_pk": disagreement.pk})
    assert "Robin" not in alert.message and urgent_case.reference not in alert.message


def test_a_disagreement_without_immediate_risk_alerts_nobody_at_once(urgent_people, urgent_case):
    disagreement = raise_(urgent_people, urgent_case)
    assert not Alert.objects.filter(kind=AlertKind.URGENT_DISAGREEMENT).exists()
    assert disagreement.alerted.count() == 0 and disagreement.alerted_at is None


def test_out_of_hours_whoever_is_on_call_that_day_is_alerted_too(urgent_people, urgent_case):
    disagreement = raise_(urgent_people, urgent_case, immediate_risk=True, now=EVENING)
    assert _told(disagreement) == {"police_lead", "hos", "on_call_manager", "edt"}  # not Tuesday's manager
    assert disagreement.alerted_out_of_hours
    weekend = raise_(
        urgent_people, urgent_case, immediate_risk=True, now=dt.datetime(2026, 11, 28, 11, 0, tzinfo=LONDON)
    )
    assert _told(weekend) == {"police_lead", "hos"}  # Saturday: out of hours, but nobody on the rota that day


def test_the_alert_is_raised_once_whatever_the_retries(urgent_people, urgent_case):
    disagreement = raise_(urgent_people, urgent_case, immediate_risk=True)
    again = alert_raise(
        kind=AlertKind.URGENT_DISAGREEMENT,
        key=f"disagreement:{disagreement.pk}",
        partnership=urgent_people["partnership"],
        recipients=[urgent_people["hos"], urgent_people["health_lead"]],
        link="/elsewhere/",
        message="Again",
        now=RAISED + dt.timedelta(minutes=1),
    )
    assert again is None
    assert Alert.objects.filter(kind=AlertKind.URGENT_DISAGREEMENT).count() == 1
    assert Notification.objects.filter(alert__kind=AlertKind.URGENT_DISAGREEMENT).count() == 2


def test_the_email_goes_at_once_with_a_link_and_no_childs_name_or_case_reference(
    urgent_people, urgent_case, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://sd.example.invalid/"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        disagreement = raise_(urgent_people, urgent_case, immediate_risk=True, now=EVENING)
    assert _queue_emails in queued, "the emails are queued when the raise commits, not left for the next sweep"
    assert send_alert_emails() == 4  # what the queued task does (a worker runs it)
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "edt@example.invalid",
        "hos@example.invalid",
        "ocm@example.invalid",
        "police_lead@example.invalid",
    ]
    link = f"https://sd.example.invalid/disagreements/{disagreement.pk}/"
    for message in smtp_server.messages:
        text = smtp_server.text(message)
        assert "Urgent disagreement: a child at immediate risk." in text
        assert f"Sign in to see it: {link}\n" in text
        for detail in ("Robin", "Testchild", urgent_case.reference, urgent_case.concern_summary, "hold a strategy"):
            assert detail not in text and detail not in message["Subject"]
    assert send_alert_emails() == 0  # sent once
    assert len(smtp_server.messages) == 4


def test_the_on_call_manager_opens_the_disagreement_from_the_alert_and_others_get_404(urgent_people, urgent_case):
    disagreement = raise_(urgent_people, urgent_case, immediate_risk=True, now=EVENING)
    url = reverse("disputes:detail", kwargs={"disagreement_pk": disagreement.pk})
    manager = _client_for(urgent_people["on_call_manager"])
    notification = Notification.objects.get(user=urgent_people["on_call_manager"])
    alerts = manager.get(reverse("actions:notifications")).content.decode()
    assert "Urgent disagreement: a child at immediate risk" in alerts and "Robin" not in alerts
    opened = manager.post(reverse("actions:notification_read", kwargs={"notification_pk": notification.pk}))
    assert opened.status_code == 302 and opened["Location"] == url
    page = manager.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Urgent route" in text and "out of hours" in text
    for name in ("police_lead", "hos", "on_call_manager", "edt"):
        assert str(urgent_people[name]) in text
    # Someone on Tuesday's rota, and health's own practitioner, were never told: no such disagreement for them.
    for name in ("tuesday", "health"):
        assert _client_for(urgent_people[name]).get(url).status_code == 404, name


def test_someone_on_call_when_the_route_was_taken_in_hours_does_not_see_it(urgent_people, urgent_case):
    disagreement = raise_(urgent_people, urgent_case, immediate_risk=True)
    url = reverse("disputes:detail", kwargs={"disagreement_pk": disagreement.pk})
    assert _client_for(urgent_people["on_call_manager"]).get(url).status_code == 404
