"""Who may do what with a strategy discussion: derived from the one case policy (referrals.access).

A discussion is visible exactly when its case is. Recording on the meeting page:

* CSC social workers and team managers of the partnership record every section (the chair
  records anyone's attendance and information);
* an invited agency's practitioners mark their own agency's attendance and add their own
  agency's information, while the case awaits the discussion and this discussion is not over
  (after it they keep read-only access until the case is closed);
* only a CSC team manager chairs and authorises a section 47 enquiry (DOMAIN section 2);
* nobody records anything once the case is closed: the case's relationship says so
  (``Relationship.CSC_CLOSED``), and every ``can_*`` here derives from it.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from agencies.models import User
from referrals.access import (
    CaseRowChecker,
    ReferralChecker,
    Relationship,
    can_raise_disagreement_on,
    relationship,
    visible_cases,
)
from strategy.models import Discussion


@dataclass(frozen=True)
class DiscussionChecker(CaseRowChecker):
    """What one user may do with one discussion; handed to templates."""

    discussion: Discussion
    invited_agency_ids: frozenset[int]

    def can_raise_disagreement(self) -> bool:
        """Raise a professional disagreement about the case from this page (DOMAIN section 7)."""
        return can_raise_disagreement_on(self.case)

    def can_record_all(self) -> bool:
        """Every section, any agency's entries: CSC social workers and team managers, while the case is open."""
        return self.case.can_edit()

    def can_record_for_own_agency(self) -> bool:
        """Attendance and information of the user's own agency, invited to this discussion and not over."""
        return (
            self.case.relation is Relationship.INVITED
            and not self.discussion.ended
            and self.user.agency_id in self.invited_agency_ids
        )

    def can_record_agency(self, agency_id: int) -> bool:
        return self.can_record_all() or (self.can_record_for_own_agency() and agency_id == self.user.agency_id)

    def can_authorise_s47(self) -> bool:
        return self.case.can_authorise_s47()

    def can_chair(self) -> bool:
        """Start and end the meeting: the chair's acts, so a CSC team manager's (DOMAIN section 2)."""
        return self.can_authorise_s47()


def discussions_visible_to(user: User):
    """Every discussion the user may see: those of the cases they may see."""
    return Discussion.objects.filter(visible_cases(user))


def get_discussion_for_user(user: User, pk: int, *, write: bool = False) -> tuple[Discussion, DiscussionChecker]:
    """Fetch a discussion the user may see, or 404; with write, refuse (403) one they may not record on at all."""
    discussion = get_object_or_404(
        discussions_visible_to(user).select_related(
            "referral__partnership", "referral__sd_deadline", "chair", "deadline", "convened_by"
        ),
        pk=pk,
    )
    referral = discussion.referral
    case = ReferralChecker(user=user, referral=referral, relation=relationship(user, referral, granted=True))
    if not case.can_view():
        raise Http404("No such discussion")
    invited = frozenset(discussion.invitations.filter(status="invited").values_list("agency_id", flat=True).distinct())
    checker = DiscussionChecker(case=case, discussion=discussion, invited_agency_ids=invited)
    if write and not (checker.can_record_all() or checker.can_record_for_own_agency()):
        raise PermissionDenied("You can read this discussion but not record on it")
    return discussion, checker
