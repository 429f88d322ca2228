"""The referral services: deadlines from the engine with the partnership's calendar, one transaction each."""

import datetime as dt

import pytest
from django.urls import reverse

from agencies.models import ClosureDay, Jurisdiction
from core.timescales import LONDON
from referrals import services
from referrals.deadlines import deadlines_reschedule
from referrals.models import Referral, ReferralStatus, Urgency
from tests.builders import child, make_referral

pytestmark = pytest.mark.django_db

MONDAY_10AM = dt.datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)


def test_local_closure_day_moves_the_deadline(world):
    ClosureDay.objects.create(partnership=world["partnership"], date=dt.date(2026, 11, 25), reason="Office move")
    referral = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    # Tue 24 is day 1, Wed 25 is closed, Thu 26 day 2, Fri 27 day 3.
    assert referral.strategy_discussion_deadline().due_at == dt.datetime(2026, 11, 27, 17, 0, tzinfo=LONDON)


def test_partnership_settings_feed_the_engine(world):
    partnership = world["partnership"]
    partnership.standard_sd_days = 2
    partnership.end_of_working_day = dt.time(16, 0)
    partnership.save()
    referral = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    assert referral.strategy_discussion_deadline().due_at == dt.datetime(2026, 11, 25, 16, 0, tzinfo=LONDON)


def test_scottish_partnership_uses_scottish_bank_holidays(world):
    partnership = world["partnership"]
    partnership.jurisdiction = Jurisdiction.SCOTLAND
    partnership.save()
    # Thu 31 Dec 2026: 1 Jan (Fri) and 2 Jan are Scottish holidays; 2 Jan is a Saturday, so Mon 4 Jan is
    # the substitute day, and day 1 is Tue 5 Jan.
    referral = make_referral(
        acting_user=world["sw"],
        received_at=dt.datetime(2026, 12, 31, 15, 0, tzinfo=LONDON),
        urgency=Urgency.IMMEDIATE_ACTION,
        immediate_action_taken=True,
        immediate_action_agency=world["police_agency"],
        immediate_action_details="Police protection.",
    )
    assert referral.strategy_discussion_deadline().due_at == dt.datetime(2027, 1, 5, 17, 0, tzinfo=LONDON)


def test_complex_referral_is_due_in_five_working_days(world):
    referral = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM, urgency=Urgency.COMPLEX)
    assert referral.strategy_discussion_deadline().rule == "SD_COMPLEX"
    assert referral.strategy_discussion_deadline().due_at == dt.datetime(2026, 11, 30, 17, 0, tzinfo=LONDON)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"children-TOTAL_FORMS": "abc", "household-TOTAL_FORMS": "-1"},
        {"children-TOTAL_FORMS": "100000", "children-INITIAL_FORMS": "0"},
        {"received_date_0": "\x00", "received_time": "99:99:99", "concerns": ["\u202e"], "urgency": ["a", "b"]},
        {"immediate_action_agency": "999999", "immediate_action_taken": "on", "urgency": "immediate_action"},
        {"children-TOTAL_FORMS": "1", "children-INITIAL_FORMS": "0", "children-0-date_of_birth_2": "99999999999"},
        {"received_date_0": "1", "received_date_1": "1", "received_date_2": "0001", "received_time": "00:00"},
    ],
)
def test_garbage_input_gets_a_page_not_a_500(sw_client, payload):
    response = sw_client.post(reverse("referrals:create"), payload)
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not Referral.objects.exists()


def test_garbage_input_to_edit_gets_a_page_not_a_500(sw_client, world):
    referral = make_referral(acting_user=world["sw"])
    response = sw_client.post(reverse("referrals:edit", args=[referral.pk]), {"version": "x", "urgency": "\x00"})
    assert response.status_code == 200
    referral.refresh_from_db()
    assert referral.version == 1


def test_a_new_closure_day_moves_open_deadlines_through_the_explicit_service(world):
    waiting = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    assert waiting.strategy_discussion_deadline().due_at == dt.datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)

    closure = ClosureDay.objects.create(partnership=world["partnership"], date=dt.date(2026, 11, 24))
    # No signal: saving a closure day alone moves nothing; whoever saves it calls the service.
    assert waiting.strategy_discussion_deadline().due_at == dt.datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)
    assert deadlines_reschedule(acting_user=world["admin"], partnership=world["partnership"], reason="Closure") == 1
    deadline = waiting.strategy_discussion_deadline()
    assert deadline.due_at == dt.datetime(2026, 11, 27, 17, 0, tzinfo=LONDON)
    assert deadline.escalate_at == dt.datetime(2026, 11, 30, 17, 0, tzinfo=LONDON)
    assert deadline.history.first().history_change_reason == "Closure"
    assert deadline.history.first().history_user == world["admin"]

    closure.delete()
    deadlines_reschedule(acting_user=world["admin"], partnership=world["partnership"], reason="Closure removed")
    assert waiting.strategy_discussion_deadline().due_at == dt.datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)


def test_changing_partnership_settings_moves_open_deadlines_only(world):
    waiting = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    held = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    services.referral_record_discussion_held(
        acting_user=world["tm"], referral=held, held_at=MONDAY_10AM + dt.timedelta(days=1)
    )

    partnership = world["partnership"]
    partnership.end_of_working_day = dt.time(16, 30)
    partnership.save()
    deadlines_reschedule(acting_user=world["admin"], partnership=partnership, reason="End of day changed")

    assert waiting.strategy_discussion_deadline().due_at == dt.datetime(2026, 11, 26, 16, 30, tzinfo=LONDON)
    assert held.strategy_discussion_deadline().due_at == dt.datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)


def test_holding_the_discussion_meets_its_deadline_and_records_lateness(world):
    on_time = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    late = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)

    services.referral_record_discussion_held(
        acting_user=world["tm"], referral=on_time, held_at=MONDAY_10AM + dt.timedelta(days=1)
    )
    services.referral_record_discussion_held(
        acting_user=world["tm"], referral=late, held_at=dt.datetime(2026, 11, 27, 9, 0, tzinfo=LONDON)
    )

    on_time.refresh_from_db()
    late.refresh_from_db()
    assert on_time.status == late.status == "discussion_held"
    met = on_time.strategy_discussion_deadline()
    assert met.state == "met" and met.met_by == "Strategy discussion held" and not met.met_late
    assert late.strategy_discussion_deadline().met_late
    assert late.version == 2
    assert met.history.first().history_user == world["tm"]


def test_a_status_move_applies_only_from_the_status_named_and_bumps_the_version(world):
    referral = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    move = {"from_status": ReferralStatus.DISCUSSION_HELD, "to_status": ReferralStatus.CLOSED, "reason": "x"}

    services.referral_status_move(acting_user=world["tm"], referral=referral, **move)  # awaiting: not from there
    referral.refresh_from_db()
    assert (referral.status, referral.version) == (ReferralStatus.AWAITING_DISCUSSION, 1)

    services.referral_status_move(
        acting_user=world["tm"],
        referral=referral,
        from_status=ReferralStatus.AWAITING_DISCUSSION,
        to_status=ReferralStatus.DISCUSSION_HELD,
        reason="Strategy discussion held",
    )
    referral.refresh_from_db()
    assert (referral.status, referral.version) == (ReferralStatus.DISCUSSION_HELD, 2)
    latest = referral.history.first()
    assert (latest.history_user, latest.history_change_reason) == (world["tm"], "Strategy discussion held")


def test_a_met_deadline_does_not_move_when_the_referral_is_edited_or_the_calendar_changes(world):
    referral = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    services.referral_record_discussion_held(
        acting_user=world["tm"], referral=referral, held_at=MONDAY_10AM + dt.timedelta(hours=3)
    )
    ClosureDay.objects.create(partnership=world["partnership"], date=dt.date(2026, 11, 24))
    assert deadlines_reschedule(acting_user=world["admin"], partnership=world["partnership"], reason="x") == 0
    referral.refresh_from_db()
    services.referral_update(
        acting_user=world["sw"],
        referral=referral,
        expected_version=referral.version,
        data={**{f: getattr(referral, f) for f in services.REFERRAL_FIELDS}, "urgency": Urgency.COMPLEX},
        concerns=["neglect"],
        children=[{"id": referral.people.get().pk, **child(on=referral.received_at)}],
        now=MONDAY_10AM + dt.timedelta(days=1),
    )
    assert referral.strategy_discussion_deadline().due_at == dt.datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)


def test_deadlines_are_stored_in_one_table_for_one_indexed_watch_query(world, django_assert_num_queries):
    from referrals.models import Deadline

    make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    make_referral(acting_user=world["sw"], received_at=MONDAY_10AM, urgency=Urgency.COMPLEX)
    with django_assert_num_queries(1):
        overdue = list(Deadline.objects.filter(state="open", due_at__lt=dt.datetime(2026, 11, 27, tzinfo=LONDON)))
    assert [d.rule for d in overdue] == ["SD_STANDARD"]


def test_rescheduling_runs_in_batches_whose_queries_do_not_grow_with_their_size(world):
    """One select, one bulk update and one bulk history insert per batch, whatever the batch holds."""
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from agencies.models import ClosureDay
    from core.timescales import LONDON
    from referrals.models import Deadline

    monday = dt.datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)
    for _ in range(12):
        make_referral(acting_user=world["sw"], received_at=monday)
    partnership = world["partnership"]
    ClosureDay.objects.create(partnership=partnership, date=dt.date(2026, 11, 24), reason="Invented closure")

    def queries(batch_size: int) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as context:
            moved = deadlines_reschedule(
                acting_user=world["admin"], partnership=partnership, reason="Closure", batch_size=batch_size
            )
        return moved, len(context.captured_queries)

    closure = dt.date(2026, 11, 24)
    due_after_closure = dt.datetime(2026, 11, 27, 17, 0, tzinfo=LONDON)
    counts = []
    for batch_size in (12, 6, 4):  # one batch, two, three (each run then an empty look for more)
        moved, count = queries(batch_size)
        assert moved == 12
        counts.append(count)
        moved_to_closure = Deadline.objects.filter(partnership=partnership, due_at=due_after_closure).count()
        assert moved_to_closure == (12 if ClosureDay.objects.filter(partnership=partnership).exists() else 0)
        if ClosureDay.objects.filter(partnership=partnership).exists():
            ClosureDay.objects.filter(partnership=partnership).delete()
        else:
            ClosureDay.objects.create(partnership=partnership, date=closure, reason="Invented closure")
    assert counts[1] - counts[0] == counts[2] - counts[1] > 0  # each batch costs the same, 4 rows or 12
    first = Deadline.objects.filter(partnership=partnership).first()
    assert [h.history_change_reason for h in first.history.all()[:3]] == ["Closure", "Closure", "Closure"]
