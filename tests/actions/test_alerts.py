"""The deadline watcher: each stage raised once, to the right people, from the stored moments (DOMAIN section 5)."""

import datetime as dt
import io
import socket
import time

import pytest
from django.core.management import call_command
from django.urls import reverse

from actions import alerts
from actions.models import Alert, Notification
from actions.tasks import sweep_deadlines
from core.timescales import LONDON
from referrals.deadlines import deadline_meet, deadline_move
from tests.builders import make_referral
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MONDAY_10AM = dt.datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)  # SD_STANDARD: due Thursday 26 Nov 17:00
DUE = dt.datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)


@pytest.fixture
def case(world):
    world["sw"].line_manager = world["tm"]
    world["sw"].save()
    return make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)


def _raised(deadline) -> list[tuple[int, set[str]]]:
    return [
        (alert.stage, {n.user.username for n in alert.notifications.select_related("user")})
        for alert in Alert.objects.filter(deadline=deadline).order_by("stage")
    ]


def test_each_stage_is_raised_once_to_the_right_people(case, world):
    deadline = case.strategy_discussion_deadline()
    assert deadline.due_at == DUE and deadline.next_alert_at == deadline.due_soon_at
    assert alerts.sweep(now=deadline.due_soon_at - dt.timedelta(minutes=1)) == {}
    assert alerts.sweep(now=deadline.due_soon_at) == {1: 1}
    assert alerts.sweep(now=deadline.due_soon_at + dt.timedelta(hours=1)) == {}  # the same stage never twice
    assert alerts.sweep(now=DUE + dt.timedelta(seconds=1)) == {2: 1}
    # Escalation: the end of the next working day, Friday 17:00 (stored when the deadline was).
    assert deadline.escalate_at == dt.datetime(2026, 11, 27, 17, 0, tzinfo=LONDON)
    assert alerts.sweep(now=deadline.escalate_at) == {3: 1}
    assert alerts.sweep(now=deadline.escalate_at + dt.timedelta(days=3)) == {}
    assert _raised(deadline) == [(1, {"sw"}), (2, {"sw", "tm"}), (3, {"hos"})]


def test_a_deadline_first_seen_overdue_raises_overdue_not_due_soon(case):
    deadline = case.strategy_discussion_deadline()
    assert alerts.sweep(now=DUE + dt.timedelta(hours=1)) == {2: 1}
    assert [stage for stage, _ in _raised(deadline)] == [2]


def test_a_met_deadline_raises_nothing_more(case, world):
    deadline = case.strategy_discussion_deadline()
    alerts.sweep(now=deadline.due_soon_at)
    deadline_meet(
        acting_user=world["tm"], deadline=deadline, at=DUE - dt.timedelta(hours=1), by="Strategy discussion held"
    )
    assert alerts.sweep(now=DUE + dt.timedelta(days=5)) == {}


def test_a_moved_deadline_is_judged_again_from_its_new_moments(case, world):
    deadline = case.strategy_discussion_deadline()
    alerts.sweep(now=DUE + dt.timedelta(hours=1))  # overdue raised
    deadline.refresh_from_db()
    deadline_move(
        acting_user=world["tm"],
        deadline=deadline,
        starts_at=dt.datetime(2026, 11, 30, 9, 0, tzinfo=LONDON),
        reason="Corrected",
    )
    deadline.refresh_from_db()
    assert deadline.alerted_stage == 0 and deadline.next_alert_at == deadline.due_soon_at
    assert alerts.sweep(now=deadline.due_at + dt.timedelta(minutes=1)) == {2: 1}  # overdue again, for the new due
    assert Alert.objects.filter(deadline=deadline, stage=2).count() == 2


def test_two_sweeps_claiming_the_same_deadline_raise_it_once(case):
    deadline = case.strategy_discussion_deadline()
    stale = type(deadline).objects.get(pk=deadline.pk)  # a second sweep that loaded the row before the first claimed
    assert alerts.sweep(now=DUE + dt.timedelta(hours=1)) == {2: 1}
    assert alerts._claim([stale], DUE + dt.timedelta(hours=1)) == []
    assert Alert.objects.filter(deadline=deadline).count() == 1


def test_another_agencys_overdue_action_tells_its_person_and_its_leads(world, case):
    from agencies.models import RoleCode
    from referrals.deadlines import deadline_open

    police_lead = UserFactory(username="police_lead", agency=world["police_agency"], roles=[RoleCode.HEAD_OF_SERVICE])
    deadline = deadline_open(
        acting_user=world["tm"],
        referral=case,
        rule="ACTION",
        starts_at=MONDAY_10AM,
        agreed_due=DUE,
        responsible=world["police"],
        agency=world["police_agency"],
        reason="Invented action",
    )
    alerts.sweep(now=DUE + dt.timedelta(minutes=1))
    notified = {n.user for n in Notification.objects.filter(alert__deadline=deadline, alert__stage=2)}
    assert notified == {world["police"], police_lead}


def test_the_command_prints_each_stage_and_the_total_and_a_second_run_raises_none(case, time_machine):
    time_machine.move_to(DUE + dt.timedelta(hours=1), tick=False)
    out = io.StringIO()
    call_command("sweep_deadlines", stdout=out)
    assert out.getvalue().splitlines() == [
        "due soon: 0",
        "overdue: 1",
        "overdue by a working day more: 0",
        "alerts raised: 1",
    ]
    again = io.StringIO()
    call_command("sweep_deadlines", stdout=again)
    assert again.getvalue().splitlines()[-1] == "alerts raised: 0"


def test_a_sweeps_alert_emails_arrive_through_a_real_smtp_server_with_a_link_and_no_case_detail(
    case, world, smtp_server, time_machine, settings
):
    world["sw"].email = "sw@example.invalid"
    world["sw"].save()
    settings.SITE_URL = "https://sd.example.invalid/"
    time_machine.move_to(DUE + dt.timedelta(minutes=1), tick=False)
    assert sweep_deadlines() == 1  # the task beat runs: alerts raised, then the emails waiting
    assert [m["To"] for m in smtp_server.messages] == ["sw@example.invalid"]
    text = smtp_server.text(smtp_server.messages[0])
    # What is due, for which case (its reference names nobody), and where to act: not "a deadline" alone.
    deadline = case.strategy_discussion_deadline()
    assert f"Overdue: Hold the strategy discussion, case {case.reference}, due " in text
    assert f"Sign in to act on it: https://sd.example.invalid/deadlines/{deadline.pk}/act/\n" in text
    assert "All your alerts: https://sd.example.invalid/notifications/\n" in text
    for detail in ("Robin", "Testchild", case.concern_summary, "Test School"):
        assert detail not in text
    notification = Notification.objects.get(user=world["sw"])
    assert notification.emailed_at == DUE + dt.timedelta(minutes=1) and notification.email_next_try_at is None
    sweep_deadlines()
    assert len(smtp_server.messages) == 1  # sent once


def test_with_the_mail_server_down_the_sweep_succeeds_and_the_next_sweep_sends_the_emails(
    case, world, smtp_server, time_machine, caplog
):
    world["sw"].email = "sw@example.invalid"
    world["sw"].save()
    smtp_server.stop()
    time_machine.move_to(DUE + dt.timedelta(minutes=1), tick=False)
    assert sweep_deadlines() == 1  # the alert is saved and shown in the app even so
    notification = Notification.objects.get(user=world["sw"])
    assert notification.emailed_at is None and notification.email_next_try_at is not None
    assert "mail server unavailable" in caplog.text
    assert "Robin" not in caplog.text and "Testchild" not in caplog.text and case.reference not in caplog.text
    smtp_server.start()
    time_machine.move_to(DUE + dt.timedelta(minutes=6), tick=False)
    assert sweep_deadlines() == 0  # nothing new to raise; the waiting email goes
    assert [m["To"] for m in smtp_server.messages] == ["sw@example.invalid"]
    notification.refresh_from_db()
    assert notification.emailed_at == DUE + dt.timedelta(minutes=6)
    sweep_deadlines()
    assert len(smtp_server.messages) == 1


def test_a_mail_server_that_never_answers_costs_one_timeout_and_the_email_waits(case, world, settings, time_machine):
    world["sw"].email = "sw@example.invalid"
    world["sw"].save()
    alerts.sweep(now=DUE + dt.timedelta(minutes=1))
    with socket.socket() as silent:  # accepts connections (the kernel does) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", silent.getsockname()[1], 1
        started = time.monotonic()
        assert alerts.email_pending(now=DUE + dt.timedelta(minutes=2)) == 0
        assert time.monotonic() - started < 3
    assert Notification.objects.get(user=world["sw"]).email_next_try_at is not None


def test_an_email_claimed_by_one_sweep_is_not_sent_by_another_until_the_claim_is_stale(case, world, smtp_server):
    world["sw"].email = "sw@example.invalid"
    world["sw"].save()
    raised_at = DUE + dt.timedelta(minutes=1)
    alerts.sweep(now=raised_at)
    notification = Notification.objects.get(user=world["sw"])
    assert alerts._claim_email(notification, raised_at)  # a sweep took it, then died before sending
    assert not alerts._claim_email(notification, raised_at)
    assert alerts.email_pending(now=raised_at + dt.timedelta(minutes=1)) == 0
    assert alerts.email_pending(now=raised_at + alerts.EMAIL_CLAIM) == 1  # stale: taken again, sent once
    assert len(smtp_server.messages) == 1


def test_a_person_without_an_email_address_is_told_in_the_app_only(case, world, smtp_server):
    alerts.sweep(now=DUE + dt.timedelta(minutes=1))
    notification = Notification.objects.get(user=world["sw"])
    assert world["sw"].email == "" and notification.email_next_try_at is None
    assert alerts.email_pending(now=DUE + dt.timedelta(minutes=2)) == 0
    assert smtp_server.messages == []


def test_the_notifications_page_is_the_users_own(case, world, persona_client):
    alerts.sweep(now=DUE + dt.timedelta(minutes=1))
    notification = Notification.objects.get(user=world["sw"])
    page = persona_client("sw").get(reverse("actions:notifications")).content.decode()
    assert case.reference in page and "1 new" in page
    assert "Hold the strategy discussion, due Thu 26 Nov 2026 17:00" in page  # what is due, not "due ..." alone
    read_url = reverse("actions:notification_read", args=[notification.pk])
    assert persona_client("hos").post(read_url).status_code == 404
    response = persona_client("sw").post(read_url)
    act = reverse("work:act", kwargs={"deadline_pk": notification.alert.deadline_id})
    assert response.status_code == 302 and response["Location"] == act
    # The strategy discussion is not convened yet: the place to act is the case's deadlines (convene from there).
    assert persona_client("sw").get(act)["Location"] == reverse("referrals:detail", args=[case.pk]) + "#deadlines"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_an_alert_whose_clock_has_since_been_met_says_so_on_the_notifications_page(case, world, persona_client):
    """A walk of `make run`: an alert still read "New, Overdue" after its action was cancelled; the list now says
    where its clock stands, in words and colour."""
    alerts.sweep(now=DUE + dt.timedelta(minutes=1))
    url = reverse("actions:notifications")
    assert "Met since" not in persona_client("sw").get(url).content.decode()
    deadline = case.strategy_discussion_deadline()
    deadline_meet(acting_user=world["tm"], deadline=deadline, at=DUE + dt.timedelta(hours=1), by="Discussion held")
    page = persona_client("sw").get(url).content.decode()
    assert '<strong class="govuk-tag govuk-tag--green">Met since</strong>' in page


def test_the_demo_sweep_raises_alerts_and_no_email_names_a_child(settings, smtp_server, time_machine, demo_at):
    from referrals.models import Person, Referral

    seeded_at = dt.datetime(2026, 12, 2, 10, 30, tzinfo=LONDON)
    demo_at(seeded_at)
    for person in Person.objects.filter(address=""):  # the demo records no addresses: invent one each to look for
        Person.objects.filter(pk=person.pk).update(address=f"{person.pk} Invented Row\nDemoville")
    time_machine.move_to(seeded_at, tick=False)
    out = io.StringIO()
    call_command("sweep_deadlines", stdout=out)  # as an operator would: the beat task's code
    assert "due soon: 0" not in out.getvalue() and "overdue: 0" not in out.getvalue()  # due-soon and overdue items
    waiting = Notification.objects.exclude(user__email="").count()
    assert waiting and len(smtp_server.messages) == waiting  # every email of the demo sweep went, through SMTP
    people = Person.objects.all()
    names = {p.first_name for p in people if p.first_name} | {p.last_name for p in people}
    addresses = {line.strip() for p in people for line in p.address.splitlines() if line.strip()}
    references = set(Referral.objects.values_list("reference", flat=True))
    assert names and addresses and references
    urgent = 0
    for message in smtp_server.messages:
        text = smtp_server.text(message)
        assert not [detail for detail in names | addresses if detail in text], text
        # The demo's urgent disagreement (issue 30), and the stages of disagreements recorded by someone other than
        # who raised them: a link only, not even a reference.
        if "immediate risk" in text or "disagreement you raised" in text:
            urgent += 1
            assert not [reference for reference in references if reference in text], text
            continue
        # The case is named by its reference, and nothing else of it (issue 25: "for which case reference").
        assert [reference for reference in references if reference in text], text
    assert len(smtp_server.messages) > urgent


@pytest.mark.parametrize(
    ("received", "escalates"),
    [
        # Thursday 24 December 2026 16:30, immediate action: due Tue 29 Dec 17:00 (25 and 28 Dec are bank
        # holidays); escalated at the end of the next working day, Wed 30 Dec 17:00.
        (dt.datetime(2026, 12, 24, 16, 30, tzinfo=LONDON), dt.datetime(2026, 12, 30, 17, 0, tzinfo=LONDON)),
        # Friday 26 March 2027 10:00 GMT, immediate action: the clocks go forward on Sunday 28 March, which is
        # Easter Day, and Monday 29 is Easter Monday: due Tue 30 March 17:00 BST, escalated Wed 31 March 17:00 BST.
        (dt.datetime(2027, 3, 26, 10, 0, tzinfo=LONDON), dt.datetime(2027, 3, 31, 17, 0, tzinfo=LONDON)),
    ],
)
def test_stages_follow_the_stored_moments_across_bank_holidays_and_a_clock_change(world, received, escalates):
    from referrals.models import Urgency

    referral = make_referral(
        acting_user=world["sw"],
        received_at=received,
        urgency=Urgency.IMMEDIATE_ACTION,
        immediate_action_taken=True,
        immediate_action_agency=world["police_agency"],
        immediate_action_details="Invented protective action",
    )
    deadline = referral.strategy_discussion_deadline()
    assert deadline.escalate_at == escalates
    assert alerts.sweep(now=deadline.due_soon_at - dt.timedelta(seconds=1)) == {}
    assert alerts.sweep(now=deadline.due_at) == {1: 1}  # at the due moment itself it is still in time
    assert alerts.sweep(now=deadline.due_at + dt.timedelta(minutes=1)) == {2: 1}
    assert alerts.sweep(now=escalates - dt.timedelta(seconds=1)) == {}
    assert alerts.sweep(now=escalates) == {3: 1}


def test_an_alert_whose_clock_has_since_moved_says_so_with_the_new_date(case, world, persona_client):
    """A walk: after an action's due date moved, its "Due soon" alert still showed the old date and nothing else."""
    from referrals.deadlines import deadline_move_later

    alerts.sweep(now=DUE + dt.timedelta(minutes=1))
    later = DUE + dt.timedelta(days=5)
    deadline_move_later(
        acting_user=world["tm"],
        deadline=case.strategy_discussion_deadline(),
        due=later,
        reason="Invented: the family are away",
        now=DUE + dt.timedelta(hours=1),
    )
    page = persona_client("sw").get(reverse("actions:notifications")).content.decode()
    assert f'<strong class="govuk-tag govuk-tag--grey">Moved since</strong>: now due {later:%a %-d %b %Y %H:%M}' in page


def test_a_disagreement_alert_is_said_to_be_about_a_disagreement(world, persona_client):
    """A review: the alert to who raised a disagreement read "Not about one case" in the case column."""
    alerts.alert_raise(
        kind="disagreement_recorded",
        key="disagreement:1:stage:1",
        partnership=world["partnership"],
        recipients=[world["police"]],
        link="/disagreements/1/",
        message="Stage 1 of a professional disagreement you raised was recorded as resolved.",
        now=DUE,
    )
    page = persona_client("police").get(reverse("actions:notifications")).content.decode()
    assert "A disagreement" in page and "Not about one case" not in page
