"""The rules about who may chair, be allocated or take part are written once, as `User` queryset methods; the
predicates the services check ask those querysets, so a list offered by a form and a check on a save agree."""

import pytest

from agencies.models import User, may_be_allocated, may_chair, may_take_part
from tests.factories import UserFactory


@pytest.fixture
def inactive_tm(world):
    user = UserFactory(username="gone_tm", agency=world["csc"], roles=["team_manager"])
    user.is_active = False
    user.save()
    return user


def test_only_the_partnerships_active_csc_team_managers_chair(world, inactive_tm):
    partnership_id = world["partnership"].pk
    assert set(User.objects.chairs(partnership_id)) == {world["tm"]}
    everyone = User.objects.all()
    assert {user for user in everyone if may_chair(user, partnership_id)} == {world["tm"]}
    assert not may_chair(None, partnership_id)


def test_the_partnerships_csc_social_workers_and_team_managers_are_allocated(world, inactive_tm):
    partnership_id = world["partnership"].pk
    assert set(User.objects.allocatable(partnership_id)) == {world["sw"], world["tm"]}
    assert {user for user in User.objects.all() if may_be_allocated(user, partnership_id)} == {world["sw"], world["tm"]}
    assert not may_be_allocated("not a user", partnership_id)


def test_practitioners_of_an_agency_take_part_never_an_analyst_or_business_support(world, inactive_tm):
    csc, police = world["csc"], world["police_agency"]
    assert set(User.objects.practitioners().filter(agency=csc)) == {world["sw"], world["tm"], world["hos"]}
    assert {user for user in User.objects.all() if may_take_part(user, csc)} == {world["sw"], world["tm"], world["hos"]}
    assert may_take_part(world["police"], police)
    assert not may_take_part(world["police"], csc)  # a practitioner, but of another agency
    assert not may_take_part(world["outsider"], police)
