"""The link from an action to the discussion that agreed it is strategy's (issue 27): `strategy.DiscussionAction`,
written with the action and kept in history; actions asks strategy, through what strategy registers at start-up,
whether a user chaired that discussion; the migrations carry the old column over and back."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from actions.access import _chair_checks, chaired_agreeing_discussion, get_action_for_user
from agencies.models import RoleCode
from core.db_roles import grant_app_role
from strategy import services
from strategy.models import DiscussionAction
from strategy.selectors import action_chaired_by
from tests import builders
from tests.builders import AGREED, DUE
from tests.db_roles import as_owner
from tests.factories import UserFactory

BEFORE = [("actions", "0008_issue25_minutes"), ("strategy", "0008_issue25_queues_history")]
LINK_REASON = "Carried over from the action (issue 27)"  # strategy/migrations/0009_issue27_action_link.py


@pytest.fixture
def started_meeting(world):
    """Convened and started on Monday 23 November 2026 at 11:00 (tests.builders), chaired by the team manager."""
    convened = builders.convene(world, now=AGREED - dt.timedelta(hours=1))
    builders.start(world, convened, now=AGREED)
    return convened


@pytest.fixture
def action(world, started_meeting):
    return builders.add_action(world, started_meeting, lead=world["police_agency"], person=world["police"])


def test_an_action_agreed_in_a_meeting_is_linked_to_it_with_who_and_why_in_history(world, started_meeting, action):
    link = DiscussionAction.objects.get(action=action)
    assert link.discussion == started_meeting
    assert list(started_meeting.agreed_actions.all()) == [action]
    created = link.history.get()
    assert (created.history_type, created.history_user, created.history_change_reason) == (
        "+",
        world["tm"],
        "Action agreed",
    )


def test_the_chair_is_the_chair_of_the_discussion_that_agreed_the_action_and_no_other(world, started_meeting, action):
    other_manager = UserFactory(username="tm2", agency=world["csc"], roles=[RoleCode.TEAM_MANAGER])
    elsewhere = builders.convene(world, now=AGREED - dt.timedelta(hours=1), chair=other_manager)
    theirs = services.action_agree(
        acting_user=other_manager,
        discussion=elsewhere,
        what="Invented: visit the family",
        measure="Invented: recorded on the case",
        lead_agency=world["police_agency"],
        person=world["police"],
        due_at=DUE,
        now=AGREED,
    )
    assert action_chaired_by in _chair_checks  # registered by StrategyConfig.ready, never imported by actions
    assert chaired_agreeing_discussion(action, world["tm"]) and not chaired_agreeing_discussion(action, other_manager)
    assert chaired_agreeing_discussion(theirs, other_manager) and not chaired_agreeing_discussion(theirs, world["tm"])
    assert DiscussionAction.objects.get(action=theirs).discussion == elsewhere


def test_the_checker_asks_who_chaired_once_however_often_the_page_uses_it(world, action, django_assert_num_queries):
    checker = get_action_for_user(world["tm"], action.pk)[1]
    with django_assert_num_queries(1):  # the link joined to its discussion, by the action's key
        assert checker.is_chair()
        assert checker.is_chair()


def _migrate(targets) -> None:
    with as_owner() as owner:  # migrations run as the owner; the test's rows are made as the app's role
        MigrationExecutor(owner).migrate(targets)  # its loader has read the graph (reading it twice cost 5 s)
        grant_app_role(owner, settings.DATABASE_APP_ROLE)  # the link's table made again: its rights with it


def _latest() -> list[tuple[str, str]]:
    """Every app's latest migration: going back in strategy also undid the apps above it (minutes' draft PDF
    table), which the rest of the worker's tests need back."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_the_migrations_carry_each_actions_discussion_back_to_the_column_and_over_to_the_link(
    world, started_meeting, action
):
    try:
        _migrate(BEFORE)
        # Reversed: the column is back, filled from the link, on the action and in its history, and required.
        with connection.cursor() as cursor:
            cursor.execute("SELECT discussion_id FROM actions_action WHERE id = %s", [action.pk])
            assert cursor.fetchone() == (started_meeting.pk,)
            cursor.execute("SELECT DISTINCT discussion_id FROM actions_historicalaction WHERE id = %s", [action.pk])
            assert cursor.fetchall() == [(started_meeting.pk,)]
            cursor.execute(
                "SELECT is_nullable FROM information_schema.columns "
                "WHERE table_name = 'actions_action' AND column_name = 'discussion_id'"
            )
            assert cursor.fetchone() == ("NO",)
    finally:
        _migrate(_latest())
    # Forward again: the link made from the column, with a "created" row as of the action's own creation.
    link = DiscussionAction.objects.get(action=action)
    assert link.discussion_id == started_meeting.pk
    created = link.history.get()
    assert (created.history_type, created.history_change_reason) == ("+", LINK_REASON)
    assert (created.history_user_id, created.history_date) == (action.created_by_id, action.created_at)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name IN ('actions_action', 'actions_historicalaction') AND column_name = 'discussion_id'"
        )
        assert cursor.fetchone() == (0,)
