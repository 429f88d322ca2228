"""Who may work an action (DOMAIN sections 2 and 4), derived from the one case policy.

* Anyone who may see the case sees its actions.
* Practitioners of the lead agency update their agency's actions (an invited agency keeps this
  after the discussion, until the case is closed); the discussion's chair and the case's social
  worker update any action of the case; nobody else does.
* Reassigning within the lead agency is for whoever may update; moving an action to another
  agency is the chair's alone.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from actions.models import Action
from agencies.models import User
from referrals.access import CaseRowChecker, ReferralChecker, Relationship, relationship, visible_cases

# Whether a user chaired the discussion that agreed an action: the link is strategy's (strategy.DiscussionAction), so
# strategy registers its answer at start-up (StrategyConfig.ready) and this app asks without naming a discussion
# (tests/test_layers.py), as referrals asks `deadline_taken_over`.
_chair_checks: list[Callable[[Action, User], bool]] = []


def action_chair_register(check: Callable[[Action, User], bool]) -> None:
    if check not in _chair_checks:
        _chair_checks.append(check)


def chaired_agreeing_discussion(action: Action, user: User) -> bool:
    """Whether `user` chaired the discussion that agreed `action` (asked of the app that keeps the link)."""
    return any(check(action, user) for check in _chair_checks)


@dataclass(frozen=True)
class ActionChecker(CaseRowChecker):
    action: Action

    @cached_property
    def _chaired(self) -> bool:
        return chaired_agreeing_discussion(self.action, self.user)  # asked once a page, however often it is used

    def is_chair(self) -> bool:
        return self._chaired

    def is_case_social_worker(self) -> bool:
        return self.action.referral.allocated_social_worker_id == self.user.pk

    def can_update(self) -> bool:
        """The lead agency's practitioners, the chair and the case's social worker, while the case is open."""
        if not self.case.can_change():
            return False
        if self.is_case_social_worker() or self.is_chair():
            return True
        own_agency = self.user.agency_id == self.action.lead_agency_id
        return own_agency and self.case.relation is not Relationship.CSC_READER

    def can_move_due(self, now: dt.datetime) -> bool:
        """A new due date: progress, so `can_update`'s; but moving an overdue action's date would hide that it was
        missed, so once it is overdue only the chair or the case's social worker decides it."""
        overdue = self.action.due_at.astimezone(dt.UTC) < now.astimezone(dt.UTC)
        return self.can_update() and (not overdue or self.is_chair() or self.is_case_social_worker())

    def can_correct_agreed(self) -> bool:
        """Correcting what was agreed at the meeting (the minutes' record of it): the chair's, a correction of the
        record; progress (status, a new due date) is `can_update`'s."""
        return self.can_update() and self.is_chair()

    def can_move_agency(self) -> bool:
        """Moving an action to another agency: the chair's."""
        return self.can_update() and self.is_chair()


def actions_visible_to(user: User):
    """Every action of the cases the user may see."""
    return Action.objects.filter(visible_cases(user))


def get_action_for_user(user: User, pk: int, *, write: bool = False) -> tuple[Action, ActionChecker]:
    """Fetch an action the user may see, or 404; with write, refuse (403) one they may not update."""
    action = get_object_or_404(
        actions_visible_to(user).select_related(
            "referral__partnership", "lead_agency", "person", "child", "deadline", "created_by"
        ),
        pk=pk,
    )
    case = ReferralChecker(
        user=user, referral=action.referral, relation=relationship(user, action.referral, granted=True)
    )
    checker = ActionChecker(case=case, action=action)
    if not checker.can_view():
        raise Http404("No such action")
    if write and not checker.can_update():
        raise PermissionDenied("Only the lead agency, the chair and the case's social worker update this action")
    return action, checker
