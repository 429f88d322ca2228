"""The sweep on a Redis and worker processes of the test's own: a worker killed mid-sweep, and Redis down.

Workers are other processes with the real clock, which a moved test clock (TEST_CLOCK) does not reach:
every deadline here fell due long ago, so it is overdue and escalated for both. The tests are
transactional so the workers see the rows.
"""

import datetime as dt
import time
import uuid
from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.urls import reverse

from actions.models import Action, ActionStatus, Alert, AlertStage, Notification
from actions.tasks import sweep_deadlines
from administration.management.commands.seed_demo import ensure_reference_rows
from agencies.models import RoleCode
from config.celery import app as celery_app
from core.timescales import LONDON
from referrals.models import Deadline, Referral
from strategy import services as strategy_services
from tests.builders import make_referral
from tests.factories import AgencyFactory, UserFactory
from tests.referrals.test_views import form_data
from tests.services import RedisServer, WorkerProcess, wait_for

LONG_AGO = dt.datetime(2000, 1, 3, 9, 0, tzinfo=dt.UTC)
DEADLINES = 300
BATCH = 25  # DEADLINE_SWEEP_BATCH for the workers: twelve transactions, so a sweep can die between them
BOTH_STAGES = {AlertStage.OVERDUE, AlertStage.ESCALATED}


def _overdue_deadlines() -> list[Deadline]:
    """300 deadlines, each due long ago: a sweep raises two alerts for each (overdue, and escalated)."""
    ensure_reference_rows()  # a transactional test before this one may have flushed the role rows
    csc = AgencyFactory(name="Reliability CSC", agency_type="csc")
    manager = UserFactory(username="rel_tm", agency=csc, roles=[RoleCode.TEAM_MANAGER])
    person = UserFactory(username="rel_sw", agency=csc, roles=[RoleCode.SOCIAL_WORKER])
    person.line_manager = manager
    person.save()
    UserFactory(username="rel_hos", agency=csc, roles=[RoleCode.HEAD_OF_SERVICE])
    referral = make_referral(acting_user=person)
    return Deadline.objects.bulk_create(
        Deadline(
            partnership_id=referral.partnership_id,
            referral=referral,
            rule="ACTION",
            starts_at=LONG_AGO - dt.timedelta(days=3),
            due_soon_at=LONG_AGO - dt.timedelta(days=1),
            due_at=LONG_AGO,
            escalate_at=LONG_AGO + dt.timedelta(days=1),
            responsible=person,
            agency=csc,
            next_alert_at=LONG_AGO - dt.timedelta(days=1),  # all at one moment: a sweep takes them in key order
        )
        for _ in range(DEADLINES)
    )


def _a_sweep_is_waiting_on_a_row_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # the activity view is read once per transaction otherwise
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_sweep_loses_nothing_duplicates_nothing_and_its_message_is_redelivered(tmp_path):
    deadlines = _overdue_deadlines()
    ours = Alert.objects.filter(deadline__in=deadlines)
    blocker = deadlines[6 * BATCH + 9]  # in the seventh batch: six batches are saved before the sweep reaches it
    redis = RedisServer(tmp_path).start()
    env = {
        "CELERY_BROKER_URL": redis.url,
        "CELERY_VISIBILITY_TIMEOUT": "2",  # Redis hands an unacknowledged message out again after this
        "DEADLINE_SWEEP_BATCH": str(BATCH),
        "VAR_DIR": str(tmp_path),
    }
    first = WorkerProcess(tmp_path / "first-worker.log", **env)
    second = WorkerProcess(tmp_path / "second-worker.log", **env)
    task_id = str(uuid.uuid4())
    try:
        first.start()
        with transaction.atomic():
            # Hold one row as a person saving that deadline would: the sweep waits on it, mid-way, for certain.
            Deadline.objects.select_for_update().get(pk=blocker.pk)
            with celery_app.connection_for_write(redis.url) as broker:
                sweep_deadlines.apply_async(task_id=task_id, connection=broker)
            published = time.monotonic()
            wait_for(_a_sweep_is_waiting_on_a_row_lock, seconds=30, what="the sweep at the held row", log=first.log)
            assert ours.count() == 6 * BATCH * 2  # six batches saved whole; the seventh not yet
            first.kill()
        # The killed worker never acknowledged the message; Redis gives it out again once the visibility
        # timeout has passed since it was delivered, to the next worker that looks.
        time.sleep(max(0.0, published + 2.5 - time.monotonic()))
        second.start()
        wait_for(
            lambda: f"Task actions.sweep_deadlines[{task_id}] succeeded" in second.log.read_text(),
            seconds=30,
            what="the second worker to run the same message",
            log=second.log,
        )
    finally:
        first.stop()
        second.stop()
        redis.stop()
    assert f"Task actions.sweep_deadlines[{task_id}] received" in first.log.read_text()
    assert "succeeded" not in first.log.read_text()
    assert second.log.read_text().count("Task actions.sweep_deadlines[") == 2  # received and succeeded: no other
    per_stage = ours.values("deadline", "stage").annotate(n=Count("id"))
    assert {row["n"] for row in per_stage} == {1}  # nothing twice
    stages: dict[int, set[int]] = {d.pk: set() for d in deadlines}
    for row in per_stage:
        stages[row["deadline"]].add(row["stage"])
    assert all(raised == BOTH_STAGES for raised in stages.values())  # nothing lost
    # Overdue: the person and their manager; escalated: the head of service. Each told once.
    assert Notification.objects.filter(alert__in=ours).count() == DEADLINES * 3
    assert Deadline.objects.filter(pk__in=[d.pk for d in deadlines], alerted_stage=3).count() == DEADLINES


@contextmanager
def _broker(redis: RedisServer):
    """This process's Celery app publishing to `redis`, as a web process configured with that broker would."""
    names = ("broker_url", "broker_write_url", "broker_read_url")
    previous = {name: celery_app.conf[name] for name in names}
    celery_app.conf.update(dict.fromkeys(names, redis.url))
    celery_app._pool = None  # the app's cached connection and producer pools are for the previous broker
    celery_app.amqp._producer_pool = None
    try:
        assert celery_app.connection_for_write().port == redis.port
        yield
    finally:
        celery_app.conf.update(previous)
        celery_app._pool = None
        celery_app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_saving_answers_within_2_s_and_the_first_sweep_after_raises_what_fell_due(
    tmp_path, world, discussion, sw_client, police_client, time_machine
):
    action = strategy_services.action_agree(
        acting_user=world["tm"],
        discussion=discussion,
        what="Invented: check police records",
        measure="Invented: records shared",
        lead_agency=world["police_agency"],
        person=world["police"],
        due_at=LONG_AGO,
        now=LONG_AGO - dt.timedelta(days=1),
    )
    redis = RedisServer(tmp_path).start()
    worker = WorkerProcess(tmp_path / "worker.log", CELERY_BROKER_URL=redis.url, VAR_DIR=str(tmp_path))
    try:
        worker.start()
        time_machine.move_to(dt.datetime(2026, 11, 24, 12, 0, tzinfo=LONDON), tick=True)
        with _broker(redis):
            redis.stop()
            assert not redis.answers()
            started = time.monotonic()
            logged = sw_client.post(reverse("referrals:create"), form_data())
            assert time.monotonic() - started < 2
            assert logged.status_code == 302
            assert Referral.objects.filter(referrer_name="Invented Teacher").exists()
            started = time.monotonic()
            changed = police_client.post(
                reverse("actions:status", kwargs={"action_pk": action.pk}),
                {"status-status": ActionStatus.IN_PROGRESS, "status-note": ""},
            )
            assert time.monotonic() - started < 2
            assert changed.status_code == 302
            assert Action.objects.get(pk=action.pk).status == ActionStatus.IN_PROGRESS
            # Redis back on the same port: the worker reconnects by itself; the next sweep catches up.
            redis.start()
            sweep_deadlines.delay()
            raised = Alert.objects.filter(deadline=action.deadline_id)
            wait_for(lambda: raised.count() == 2, seconds=30, what="the sweep after Redis came back", log=worker.log)
    finally:
        worker.stop()
        redis.stop()
    assert set(raised.values_list("stage", flat=True)) == BOTH_STAGES
