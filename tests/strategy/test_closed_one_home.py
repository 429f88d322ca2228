""" "A closed case is read-only" has one home: ReferralChecker.can_change(), from the case's relationship. Every write
rule asks it: moving a clock, updating an action, recording the step that meets a clock."""

import pytest

from actions.access import get_action_for_user
from actions.models import Action
from referrals.access import ReferralChecker, can_move_deadlines
from referrals.steps import can_record_step
from tests.strategy.test_closure import close, held_case

pytestmark = pytest.mark.django_db


def test_every_write_rule_asks_the_one_home_and_a_closed_case_answers_no(world):
    referral = held_case(world)
    action = Action.objects.get(referral=referral)
    open_clocks = list(referral.deadlines.filter(state="open"))
    tm = world["tm"]
    assert ReferralChecker.for_user(tm, referral).can_change()
    assert can_move_deadlines(tm, referral)
    assert get_action_for_user(world["police"], action.pk)[1].can_update()
    close(world, referral)
    referral.refresh_from_db()
    for persona in ("sw", "tm", "hos", "admin"):
        checker = ReferralChecker.for_user(world[persona], referral)
        assert checker.can_view() and not checker.can_change()
        assert not can_move_deadlines(world[persona], referral)
        assert not get_action_for_user(world[persona], action.pk)[1].can_update()
        assert not any(can_record_step(checker, deadline) for deadline in open_clocks)


def test_a_user_who_cannot_see_the_case_cannot_change_it(world):
    referral = held_case(world)
    assert not ReferralChecker.for_user(world["outsider"], referral).can_change()
    assert not can_move_deadlines(world["other_sw"], referral)
