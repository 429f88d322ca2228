"""History of many-to-many links (core.history.HistoricalRecords): each history row keeps the links as they were."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Role, RoleCode
from core import history
from tests import builders

pytestmark = pytest.mark.django_db


def roles_in(record) -> set[str]:
    return {link.role.code for link in record.roles.all()}


def test_a_users_history_keeps_the_roles_they_had_at_each_change(world):
    user = world["sw"]
    user.roles.set(Role.objects.filter(code=RoleCode.TEAM_MANAGER))
    history.record(user, world["admin"], "Made team manager")
    user.save()
    newest, *earlier = user.history.all()
    assert roles_in(newest) == {RoleCode.TEAM_MANAGER}
    assert newest.history_change_reason == "Made team manager"
    # Made (no roles yet), given its role, then the change: the role it had is kept in the rows before.
    assert [roles_in(record) for record in reversed(earlier)][:2] == [set(), {RoleCode.SOCIAL_WORKER}]


def test_a_discussions_history_keeps_its_children_and_the_agencies_it_went_ahead_without(world):
    referral = builders.case(world)
    discussion = builders.convene(world, referral)
    children = set(referral.people.filter(kind="child").values_list("pk", flat=True))
    made, *_, latest = reversed(discussion.history.all())
    assert not made.children.exists()  # the row is inserted before its children are linked
    assert {link.person_id for link in latest.children.all()} == children
    assert set(latest.children.values_list("discussion_id", flat=True)) == {discussion.pk}
    assert not latest.proceeded_without.exists()


def test_writing_a_users_history_reads_the_links_once_and_not_the_user_again(world):
    user = world["police"]
    with CaptureQueriesContext(connection) as queries:
        user.save()
    reads = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT")]
    assert len([sql for sql in reads if '"agencies_user_roles"' in sql]) == 1
    assert not [sql for sql in reads if 'FROM "agencies_user"' in sql]
