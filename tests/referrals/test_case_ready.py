"""The case made ready for discussions, actions and alerts: deadline state and owner, references, people kept, rules."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from agencies.models import AgencyType
from core.timescales import LONDON, Rule
from referrals import services
from referrals.deadlines import deadline_open
from referrals.models import SD_RULES, Deadline, Referral, Urgency
from strategy.services import case_close
from tests.builders import child, make_referral
from tests.factories import AgencyFactory, PartnershipFactory, UserFactory

pytestmark = pytest.mark.django_db

MONDAY_10AM = dt.datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)
AN_HOUR_LATER = MONDAY_10AM + dt.timedelta(hours=1)


def open_deadlines():
    return Deadline.objects.filter(state="open")


def test_a_deadline_knows_its_case_owner_agency_and_alert_moments(world):
    world["sw"].line_manager = world["tm"]
    world["sw"].save()
    referral = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    deadline = referral.strategy_discussion_deadline()
    assert (deadline.partnership, deadline.referral, deadline.child) == (world["partnership"], referral, None)
    assert deadline.responsible == world["sw"] and deadline.agency == world["csc"]
    assert deadline.responsible.line_manager == world["tm"]  # "their team manager" has an answer
    # Mon 10:00 to Thu 17:00 is 79 hours; a quarter left is 19 h 45 min before it is due (DOMAIN section 5).
    assert deadline.due_at == dt.datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)
    assert deadline.due_soon_at == dt.datetime(2026, 11, 25, 21, 15, tzinfo=LONDON)
    # Overdue by one working day more: the end of Friday.
    assert deadline.escalate_at == dt.datetime(2026, 11, 27, 17, 0, tzinfo=LONDON)


def test_closing_a_referral_stops_every_open_deadline_with_the_reason(world):
    referral = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    medical = deadline_open(
        acting_user=world["sw"],
        referral=referral,
        rule=Rule.MEDICAL_REPORT,
        starts_at=MONDAY_10AM,
        responsible=world["health"],
        agency=world["health"].agency,
        child=referral.people.get(),
        reason="Medical done",
    )
    assert open_deadlines().filter(referral=referral).count() == 2

    closed_at = MONDAY_10AM + dt.timedelta(days=1)
    case_close(
        acting_user=world["tm"], referral=referral, outcome="threshold_not_met", reason="Invented reason", now=closed_at
    )

    assert not open_deadlines().filter(referral=referral).exists()
    for deadline in (referral.strategy_discussion_deadline(), Deadline.objects.get(pk=medical.pk)):
        assert (deadline.state, deadline.stopped_at, deadline.stop_reason) == ("stopped", closed_at, "Case closed")
        assert deadline.history.first().history_user == world["tm"]
    referral.refresh_from_db()
    assert (referral.closed_at, referral.closed_by) == (closed_at, world["tm"])


def test_a_met_deadline_is_not_among_the_open_ones(world):
    held = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    waiting = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    services.referral_record_discussion_held(acting_user=world["tm"], referral=held, held_at=AN_HOUR_LATER)
    assert list(open_deadlines().values_list("referral", flat=True)) == [waiting.pk]
    # A met deadline stays met when the case closes: it is history, not stopped.
    case_close(
        acting_user=world["tm"], referral=held, outcome="early_help", reason="Invented reason", now=AN_HOUR_LATER
    )
    assert held.strategy_discussion_deadline().state == "met"


def test_a_deadline_cannot_be_half_met_or_stopped_without_a_reason(world):
    from django.db import IntegrityError, transaction

    deadline = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM).strategy_discussion_deadline()
    for change in ({"state": "met"}, {"state": "stopped", "stopped_at": AN_HOUR_LATER}, {"met_at": AN_HOUR_LATER}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Deadline.objects.filter(pk=deadline.pk).update(**change)


def test_references_are_per_partnership_and_never_change(world):
    first = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    second = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    other = make_referral(acting_user=world["other_sw"], received_at=MONDAY_10AM)
    assert (first.reference, second.reference) == ("DSC-2026-00001", "DSC-2026-00002")
    # Another partnership counts its own cases from 1: one partnership learns nothing of another's volume.
    assert other.reference == "DSC-2026-00001"

    services.referral_update(
        acting_user=world["sw"],
        referral=first,
        expected_version=1,
        data={**{f: getattr(first, f) for f in services.REFERRAL_FIELDS}, "urgency": Urgency.COMPLEX},
        concerns=["neglect"],
        children=[{"id": first.people.get().pk, **child(on=first.received_at)}],
        now=AN_HOUR_LATER,
    )
    first.refresh_from_db()
    assert first.reference == "DSC-2026-00001" and first.version == 2


def test_the_reference_prefix_is_a_partnership_setting(world):
    partnership = world["partnership"]
    partnership.reference_prefix = "NWK"
    partnership.save()
    assert make_referral(acting_user=world["sw"], received_at=MONDAY_10AM).reference == "NWK-2026-00001"


def test_a_referral_can_be_found_by_its_reference(sw_client, world):
    wanted = make_referral(acting_user=world["sw"], children=[child("Findme", "Byref")])
    make_referral(acting_user=world["sw"], children=[child("Other", "Case")])
    for query in (wanted.reference, wanted.reference.lower(), wanted.reference.replace("-0000", "-")):
        html = sw_client.get(reverse("referrals:list"), {"q": query}).content.decode()
        assert "Findme Byref" in html and "Other Case" not in html, query


def _edit(referral: Referral, user, *, children, household=(), now=AN_HOUR_LATER):
    return services.referral_update(
        acting_user=user,
        referral=referral,
        expected_version=Referral.objects.get(pk=referral.pk).version,
        data={f: getattr(referral, f) for f in services.REFERRAL_FIELDS},
        concerns=["neglect"],
        children=children,
        household=household,
        now=now,
    )


def test_removing_a_person_marks_them_removed_with_who_and_when(world):
    referral = make_referral(
        acting_user=world["sw"],
        received_at=MONDAY_10AM,
        children=[child("Stays"), child("Goes")],
    )
    stays, goes = referral.people.order_by("position")
    _edit(
        referral,
        world["tm"],
        children=[{"id": stays.pk, **child("Stays", on=referral.received_at)}, {"id": goes.pk, "remove": True}],
    )
    goes.refresh_from_db()
    assert (goes.removed_at, goes.removed_by) == (AN_HOUR_LATER, world["tm"])
    assert referral.people.count() == 2  # never deleted
    assert goes.history.first().history_change_reason == "Removed from the referral"
    assert goes.history.first().history_user == world["tm"]


def test_a_person_with_a_deadline_cannot_be_removed(world):
    referral = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM, children=[child("Kept"), child("Seen")])
    kept, seen = referral.people.order_by("position")
    deadline_open(
        acting_user=world["sw"],
        referral=referral,
        rule=Rule.MEDICAL_REPORT,
        starts_at=MONDAY_10AM,
        responsible=world["sw"],
        agency=world["csc"],
        child=seen,
        reason="Medical done",
    )
    with pytest.raises(ValidationError) as refused:
        _edit(
            referral,
            world["sw"],
            children=[{"id": kept.pk, **child("Kept", on=referral.received_at)}, {"id": seen.pk, "remove": True}],
        )
    assert refused.value.message_dict == {
        "children.1.__all__": ["Seen Testchild cannot be removed: a deadline of this case is about them"]
    }
    seen.refresh_from_db()
    assert seen.removed_at is None


def test_a_person_with_a_deadline_cannot_be_removed_on_the_edit_page(sw_client, world):
    from tests.referrals.test_views import form_data

    referral = make_referral(acting_user=world["sw"], children=[child("Kept"), child("Seen")])
    kept, seen = referral.people.order_by("position")
    deadline_open(
        acting_user=world["sw"],
        referral=referral,
        rule=Rule.MEDICAL_REPORT,
        starts_at=referral.received_at,
        responsible=world["sw"],
        agency=world["csc"],
        child=seen,
        reason="Medical done",
    )
    local = referral.received_at.astimezone(LONDON)
    data = form_data(
        version="1",
        received_date_0=str(local.day),
        received_date_1=str(local.month),
        received_date_2=str(local.year),
        received_time=local.strftime("%H:%M"),
        **{
            "children-TOTAL_FORMS": "2",
            "children-INITIAL_FORMS": "2",
            "children-0-id": str(kept.pk),
            "children-0-first_name": "Kept",
            "children-0-last_name": "Testchild",
            "children-1-id": str(seen.pk),
            "children-1-first_name": "Seen",
            "children-1-last_name": "Testchild",
            "children-1-DELETE": "on",
            "household-TOTAL_FORMS": "0",
        },
    )
    response = sw_client.post(reverse("referrals:edit", args=[referral.pk]), data)
    assert response.status_code == 200
    assert "Seen Testchild cannot be removed: a deadline of this case is about them" in response.content.decode()
    assert Referral.objects.get(pk=referral.pk).version == 1


RULES_REFUSED_BY_THE_SERVICE = [
    (
        {"immediate_action_taken": True, "urgency": Urgency.STANDARD, "immediate_action_details": "Police protection"},
        "immediate_action_agency",
        "Select the agency that took immediate protective action",
    ),
    ({"urgency": Urgency.IMMEDIATE_ACTION}, "immediate_action_taken", "Tick that an agency has taken immediate"),
    ({"received_at": AN_HOUR_LATER + dt.timedelta(minutes=5)}, "received_at", "must be in the past"),
    ({"received_at": MONDAY_10AM - dt.timedelta(days=400)}, "received_at", "within the last 12 months"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), RULES_REFUSED_BY_THE_SERVICE)
def test_referral_rules_are_refused_by_the_service_with_no_form(world, overrides, field, message):
    with pytest.raises(ValidationError) as refused:
        make_referral(acting_user=world["sw"], now=AN_HOUR_LATER, **{"received_at": MONDAY_10AM, **overrides})
    assert any(message in text for text in refused.value.message_dict[field])
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    ("person", "field", "message"),
    [
        ({"unborn": True, "date_of_birth": None}, "expected_date", "Enter the expected date of birth"),
        (
            {"unborn": True, "date_of_birth": None, "expected_date": dt.date(2027, 11, 1)},
            "expected_date",
            "within the next 10 months",
        ),
        ({"date_of_birth": dt.date(2008, 11, 23)}, "date_of_birth", "A child must be under 18"),
        ({"nhs_number": "9990000019"}, "nhs_number", "Enter a valid NHS number"),
    ],
)
def test_person_rules_are_refused_by_the_service_with_no_form(world, person, field, message):
    with pytest.raises(ValidationError) as refused:
        make_referral(acting_user=world["sw"], received_at=MONDAY_10AM, children=[child(**person)])
    assert any(message in text for text in refused.value.message_dict[f"children.0.{field}"])
    assert not Referral.objects.exists()


def test_nhs_numbers_are_checked_with_modulus_11_and_stored_as_digits(world):
    referral = make_referral(
        acting_user=world["sw"], received_at=MONDAY_10AM, children=[child(nhs_number="999 000 0018")]
    )
    assert referral.people.get().nhs_number == "9990000018"


def test_a_young_infant_with_a_physical_harm_concern_needs_the_non_mobile_answer(world):
    baby = child("Baby", date_of_birth=dt.date(2026, 9, 1))  # under three months on 23 November 2026
    with pytest.raises(ValidationError) as refused:
        make_referral(acting_user=world["sw"], received_at=MONDAY_10AM, concerns=["physical"], children=[baby])
    assert "non_mobile_infant_injury" in refused.value.message_dict

    referral = make_referral(
        acting_user=world["sw"],
        received_at=MONDAY_10AM,
        concerns=["physical"],
        children=[baby],
        non_mobile_infant_injury=True,
    )
    # Answered yes: the guard applies, so the case cannot close without a discussion.
    with pytest.raises(ValidationError, match="non-mobile infant"):
        case_close(
            acting_user=world["tm"],
            referral=referral,
            outcome="threshold_not_met",
            reason="Invented",
            now=AN_HOUR_LATER,
        )
    # An older, mobile child with the same concern is not asked.
    make_referral(acting_user=world["sw"], received_at=MONDAY_10AM, concerns=["physical"])


def test_agencies_of_another_partnership_are_refused_by_the_service(world):
    elsewhere = AgencyFactory(
        partnership=PartnershipFactory(name="Far Away"), name="Far Police", agency_type=AgencyType.POLICE
    )
    with pytest.raises(ValidationError) as refused:
        make_referral(acting_user=world["sw"], received_at=MONDAY_10AM, referrer_agency=elsewhere)
    assert "referrer_agency" in refused.value.message_dict


def test_the_allocated_social_worker_owns_the_deadline_and_must_be_csc(world):
    other_sw = UserFactory(username="sw2", agency=world["csc"], roles=["social_worker"])
    referral = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    assert referral.allocated_social_worker == world["sw"]  # who logged it, by default
    services.referral_update(
        acting_user=world["tm"],
        referral=referral,
        expected_version=1,
        data={**{f: getattr(referral, f) for f in services.REFERRAL_FIELDS}, "allocated_social_worker": other_sw},
        concerns=["neglect"],
        children=[{"id": referral.people.get().pk, **child(on=referral.received_at)}],
        now=AN_HOUR_LATER,
    )
    assert referral.strategy_discussion_deadline().responsible == other_sw
    with pytest.raises(ValidationError) as refused:
        make_referral(
            acting_user=world["sw"], received_at=MONDAY_10AM, allocated_social_worker=world["police"], now=AN_HOUR_LATER
        )
    assert "allocated_social_worker" in refused.value.message_dict


def test_the_history_of_a_service_change_names_its_user_outside_any_request(world):
    referral = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    assert referral.history.first().history_user == world["sw"]
    assert referral.people.get().history.first().history_user == world["sw"]
    assert referral.strategy_discussion_deadline().history.first().history_user == world["sw"]
    services.referral_record_discussion_held(acting_user=world["tm"], referral=referral, held_at=AN_HOUR_LATER)
    latest = referral.history.first()
    assert (latest.history_user, latest.history_change_reason) == (world["tm"], "Strategy discussion held")


def test_other_people_are_recorded_alleged_abuser_and_significant_adult(world, sw_client):
    referral = make_referral(
        acting_user=world["sw"],
        others=[
            {"kind": "alleged_abuser", "first_name": "Alleged", "last_name": "Abuser", "under_18": True},
            {"kind": "significant_adult", "first_name": "Coach", "last_name": "Adult", "works_with_children": True},
        ],
    )
    kinds = dict(referral.people.values_list("first_name", "kind"))
    assert kinds["Alleged"] == "alleged_abuser" and kinds["Coach"] == "significant_adult"
    page = sw_client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "Alleged abuser: Alleged Abuser" in page and "needs a strategy discussion of their own" in page
    assert "Works or volunteers with children" in page


def test_seed_demo_counts_its_times_from_the_moment_given(world, settings):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", now="2028-02-29T23:58")  # a leap day, just before midnight, London time
    leap_night = dt.datetime(2028, 2, 29, 23, 58, tzinfo=LONDON)
    demo = Referral.objects.filter(partnership__name="Demo Safeguarding Children Partnership")
    latest = demo.order_by("-received_at").first()
    assert latest.received_at == leap_night - dt.timedelta(hours=2)
    assert latest.reference.startswith("DSC-2028-")
    overdue = demo.filter(deadlines__state="open", deadlines__due_at__lt=leap_night)
    assert overdue.exists()  # the demo's overdue case is overdue at the moment it was seeded from
    assert demo.filter(status="closed").get().deadlines.get(rule__in=SD_RULES).state == "met"
