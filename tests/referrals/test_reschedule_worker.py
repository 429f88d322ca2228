"""A calendar change is carried out by a real Celery worker on Redis: the request only queues it."""

import datetime as dt
import time

import pytest
from celery.contrib.testing.worker import start_worker

from administration.management.commands.seed_demo import ensure_reference_rows
from agencies.models import ClosureDay, RoleCode
from config.celery import app as celery_app
from core.timescales import LONDON
from referrals.services import calendar_changed
from tests.builders import make_referral
from tests.factories import AgencyFactory, PartnershipFactory, UserFactory

MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_moves_the_open_deadlines_after_a_closure_day_is_added():
    ensure_reference_rows()  # a transactional test before this one may have flushed the role rows
    partnership = PartnershipFactory(name="Reschedule Worker Partnership")
    csc = AgencyFactory(partnership=partnership, name="Reschedule CSC", agency_type="csc")
    admin = UserFactory(username="reschedule_admin", agency=csc, roles=[RoleCode.BUSINESS_SUPPORT])
    worker_user = UserFactory(username="reschedule_sw", agency=csc, roles=[RoleCode.SOCIAL_WORKER])
    referral = make_referral(acting_user=worker_user, received_at=MONDAY)
    assert referral.strategy_discussion_deadline().due_at == dt.datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)
    ClosureDay.objects.create(partnership=partnership, date=dt.date(2026, 11, 24), reason="Invented closure")
    with start_worker(celery_app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
        calendar_changed(acting_user=admin, partnership=partnership)  # outside a transaction: queued at once
        until = time.monotonic() + 30
        while time.monotonic() < until:
            partnership.refresh_from_db()
            if not partnership.deadlines_moving:
                break
            time.sleep(0.2)
    assert not partnership.deadlines_moving and partnership.deadlines_moved_at is not None
    deadline = referral.strategy_discussion_deadline()
    assert deadline.due_at == dt.datetime(2026, 11, 27, 17, 0, tzinfo=LONDON)
    latest = deadline.history.first()
    assert (latest.history_type, latest.history_user, latest.history_change_reason) == (
        "~",
        admin,
        "Partnership calendar changed",
    )
