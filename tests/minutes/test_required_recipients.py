"""The minutes' clock is met only when every recipient the distribution requires was sent the approved record
(DOMAIN sections 3 and 6); the chair takes one off with a reason; the duty survives the case's closure, and a
recipient who is a user still opens what they were sent, and nothing else of the case."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from minutes import services
from minutes.models import Circulation, Kind, Sends, Source
from referrals.models import DeadlineState
from strategy import services as strategy_services
from tests.minutes.conftest import AFTER, minutes_checker

pytestmark = pytest.mark.django_db

LATER = AFTER + dt.timedelta(hours=3)


@pytest.fixture
def listed(world, held):
    """The distribution list built from the record: four invitees (users) and the GP, school nurse and school."""
    recipients = services.recipients(held)
    for recipient in recipients:
        if recipient.user_id:
            recipient.user.email = f"{recipient.user.username}@example.org"
            recipient.user.save()
    assert sum(r.required for r in recipients) == len(recipients) == 7
    return held


def chair_chooses(world, discussion, choices: dict[int, str]) -> None:
    services.distribution_save(
        acting_user=world["tm"], checker=minutes_checker(world["tm"], discussion), emails={}, choices=choices
    )


def approve(world, discussion, *, now=AFTER):
    return services.minutes_approve(acting_user=world["tm"], checker=minutes_checker(world["tm"], discussion), now=now)


def circulate(world, discussion, *, now=AFTER):
    return services.minutes_circulate(
        acting_user=world["admin"], checker=minutes_checker(world["admin"], discussion), now=now
    )


def remove(world, discussion, recipient, *, reason: str, user: str = "tm", now=AFTER):
    return services.recipient_remove(
        acting_user=world[user],
        checker=minutes_checker(world[user], discussion),
        pk=recipient.pk,
        reason=reason,
        now=now,
    )


def test_sending_to_some_required_recipients_leaves_the_clock_open(world, listed):
    outside = listed.recipients.exclude(source=Source.INVITEE)
    chair_chooses(world, listed, {r.pk: Sends.NONE for r in outside})  # the chair holds back the three outside CSC
    approve(world, listed)
    sent = circulate(world, listed)
    assert len(sent) == 4
    listed.minutes_deadline.refresh_from_db()
    assert listed.minutes_deadline.state == DeadlineState.OPEN
    progress = services.circulation_progress(listed)
    assert (progress.sent, progress.required, progress.complete) == (4, 7, False)


def test_the_clock_is_met_when_the_last_required_recipient_is_sent_it(world, listed):
    gp = listed.recipients.get(source=Source.GP)
    rest = listed.recipients.exclude(source__in=(Source.INVITEE, Source.GP))
    chair_chooses(world, listed, {r.pk: Sends.NONE for r in [gp, *rest]})
    approve(world, listed)
    circulate(world, listed)
    chair_chooses(world, listed, {gp.pk: Sends.FULL})
    services.distribution_save(
        acting_user=world["admin"], checker=minutes_checker(world["admin"], listed), emails={gp.pk: "gp@example.org"}
    )
    with time_machine.travel(LATER, tick=False):
        circulate(world, listed, now=LATER)
    assert services.circulation_progress(listed).sent == 5
    listed.minutes_deadline.refresh_from_db()
    assert listed.minutes_deadline.state == DeadlineState.OPEN

    # The chair takes the last two off, each with the reason: met when the last one still required was sent.
    for recipient in rest:
        remove(world, listed, recipient, reason="Invented: no address known", now=LATER + dt.timedelta(hours=1))
    deadline = listed.minutes_deadline
    deadline.refresh_from_db()
    assert (deadline.state, deadline.met_at) == (DeadlineState.MET, LATER)
    assert deadline.met_by == "Minutes sent to every required recipient" and not deadline.met_late
    progress = services.circulation_progress(listed)
    assert (progress.sent, progress.required) == (5, 5)


def test_only_the_chair_takes_a_required_recipient_off_and_only_with_a_reason(world, listed):
    gp = listed.recipients.get(source=Source.GP)
    with pytest.raises(PermissionDenied):
        remove(world, listed, gp, reason="Invented", user="admin")
    with pytest.raises(ValidationError) as refused:
        remove(world, listed, gp, reason="  ")
    assert set(refused.value.message_dict) == {"reason"}
    gp.refresh_from_db()
    assert gp.removed_at is None

    remove(world, listed, gp, reason="Invented: the practice has closed")
    gp.refresh_from_db()
    assert (gp.removed_by, gp.removed_reason) == (world["tm"], "Invented: the practice has closed")
    assert (
        gp.history.latest().history_change_reason
        == "Taken off the distribution list: Invented: the practice has closed"
    )
    # Someone added by hand is not required: whoever circulates takes them off, no reason needed.
    added = services.recipient_add(
        acting_user=world["admin"],
        checker=minutes_checker(world["admin"], listed),
        data=services.RecipientInput(
            name="Invented Extra", role="", organisation="", email="x@example.org", family=False
        ),
    )
    remove(world, listed, added, reason="", user="admin")
    assert services.circulation_progress(listed).required == 6


def test_the_minutes_page_shows_how_many_required_recipients_were_sent_it(world, listed, tm_client, admin_client_bs):
    chair_chooses(world, listed, {r.pk: Sends.NONE for r in listed.recipients.exclude(source=Source.INVITEE)})
    approve(world, listed)
    circulate(world, listed)
    page = tm_client.get(reverse("minutes:minutes", args=[listed.pk])).content.decode()
    assert "Sent to 4 of 7 required recipients" in page
    gp = listed.recipients.get(source=Source.GP)
    url = reverse("minutes:recipient_remove", args=[listed.pk, gp.pk])
    assert url in page
    # Business support may not take a required recipient off: not offered, and refused on the server.
    assert url not in admin_client_bs.get(reverse("minutes:minutes", args=[listed.pk])).content.decode()
    assert admin_client_bs.post(url, {"reason": "Invented"}).status_code == 403
    response = tm_client.post(url, {"reason": ""})
    assert response.status_code == 400 and "Enter the reason for taking them off the list" in response.content.decode()
    assert tm_client.post(url, {"reason": "Invented: left the practice"}).status_code == 302
    page = tm_client.get(reverse("minutes:minutes", args=[listed.pk])).content.decode()
    assert "Sent to 4 of 6 required recipients" in page
    assert "because Invented: left the practice" in page


def test_the_minutes_are_approved_and_circulated_after_the_case_closes(world, listed, admin_client_bs):
    referral = listed.referral
    strategy_services.case_close(
        acting_user=world["tm"], referral=referral, outcome="early_help", reason="Invented", now=AFTER
    )
    listed.refresh_from_db()
    assert listed.minutes_deadline.state == DeadlineState.OPEN
    services.distribution_save(
        acting_user=world["admin"],
        checker=minutes_checker(world["admin"], listed),
        emails={r.pk: f"r{r.pk}@example.org" for r in listed.recipients.filter(user=None)},
    )
    approve(world, listed)
    late = listed.minutes_deadline.due_at + dt.timedelta(hours=2)
    with time_machine.travel(late, tick=False):
        response = admin_client_bs.post(reverse("minutes:circulate", args=[listed.pk]))
    assert response.status_code == 302
    deadline = listed.minutes_deadline
    deadline.refresh_from_db()
    assert (deadline.state, deadline.met_at, deadline.met_late) == (DeadlineState.MET, late, True)
    assert Circulation.objects.filter(version__discussion=listed).count() == 7


def test_a_recipient_who_is_a_user_opens_their_minutes_after_closure_and_nothing_else(world, listed, police_client):
    services.distribution_save(
        acting_user=world["admin"],
        checker=minutes_checker(world["admin"], listed),
        emails={r.pk: f"r{r.pk}@example.org" for r in listed.recipients.filter(user=None)},
    )
    version = approve(world, listed)
    circulate(world, listed)
    referral = listed.referral
    strategy_services.case_close(
        acting_user=world["tm"], referral=referral, outcome="early_help", reason="Invented", now=AFTER
    )
    pdf = police_client.get(reverse("minutes:pdf", args=[listed.pk, 1, Kind.FULL]))
    assert pdf.status_code == 200
    assert b"".join(pdf) == bytes(version.documents.get(kind=Kind.FULL).pdf)
    page = police_client.get(reverse("minutes:minutes", args=[listed.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Minutes sent to you" in text and reverse("minutes:pdf", args=[listed.pk, 1, Kind.FULL]) in text
    assert referral.concern_summary not in text
    # Nothing else of the case: not the other version, not the case, the meeting, the draft or its history.
    for url in (
        reverse("minutes:pdf", args=[listed.pk, 1, Kind.FAMILY]),
        reverse("minutes:draft_pdf", args=[listed.pk, Kind.FULL]),
        reverse("referrals:detail", args=[referral.pk]),
        reverse("strategy:meeting", args=[listed.pk]),
        reverse("strategy:history", args=[referral.pk]),
    ):
        assert police_client.get(url).status_code == 404, url
    assert police_client.post(reverse("minutes:circulate", args=[listed.pk])).status_code == 404


def test_someone_never_sent_the_minutes_gets_404_after_closure(world, listed, outsider_client, client):
    version = approve(world, listed)
    assert version.number == 1
    strategy_services.case_close(
        acting_user=world["tm"], referral=listed.referral, outcome="early_help", reason="Invented", now=AFTER
    )
    client.force_login(world["health"])
    for who in (outsider_client, client):
        assert who.get(reverse("minutes:pdf", args=[listed.pk, 1, Kind.FULL])).status_code == 404
        assert who.get(reverse("minutes:minutes", args=[listed.pk])).status_code == 404


def test_taking_everyone_off_before_approval_meets_nothing_until_a_version_is_approved(world, listed):
    for recipient in listed.recipients.all():
        remove(world, listed, recipient, reason="Invented: no address known")
    listed.minutes_deadline.refresh_from_db()
    assert listed.minutes_deadline.state == DeadlineState.OPEN  # nothing approved, nothing circulated
    approve(world, listed, now=LATER)
    listed.minutes_deadline.refresh_from_db()
    assert (listed.minutes_deadline.state, listed.minutes_deadline.met_at) == (DeadlineState.MET, LATER)
