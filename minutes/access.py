"""Who may do what with the minutes: derived from the discussion's policy, itself the case's (DOMAIN section 2).

* Whoever may see the case sees its minutes (full version) and their circulation.
* The chair's acts (a CSC team manager): approving a version, choosing which version each
  recipient gets.
* Printing and circulating: CSC business support administrators, social workers and team managers.
* None of it once the case is closed, nor before the meeting has ended.
* The superseded family version of the minutes (made before the family summary): CSC only, to read.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from agencies.models import RoleCode, User
from referrals.models import ReferralStatus
from strategy.access import DiscussionChecker, get_discussion_for_user
from strategy.models import Discussion

CIRCULATE_ROLES = (RoleCode.BUSINESS_SUPPORT, RoleCode.SOCIAL_WORKER, RoleCode.TEAM_MANAGER)


@dataclass(frozen=True)
class MinutesChecker:
    meeting: DiscussionChecker

    @property
    def discussion(self) -> Discussion:
        return self.meeting.discussion

    @property
    def user(self) -> User:
        return self.meeting.user

    def _open_and_ended(self) -> bool:
        return self.discussion.ended and self.discussion.referral.status != ReferralStatus.CLOSED

    def can_view(self) -> bool:
        return self.meeting.can_view()

    def can_read_superseded_family_version(self) -> bool:
        """The family version made before the family summary is kept as it was circulated, for CSC to read."""
        return self.can_view() and self.meeting.case.is_csc

    def can_approve(self) -> bool:
        """Approve a version and choose each recipient's version: the chair's acts, a CSC team manager's."""
        return self._open_and_ended() and self.meeting.can_chair()

    def can_edit_distribution(self) -> bool:
        """Add, remove and give email addresses to recipients: whoever circulates, and the chair."""
        return self.can_circulate() or self.can_approve()

    def can_circulate(self) -> bool:
        """Edit the distribution list and send: CSC business support, social workers and team managers."""
        return self._open_and_ended() and self.meeting.case.is_csc and self.user.has_role(*CIRCULATE_ROLES)


def get_minutes_for_user(user: User, discussion_pk: int, *, write: bool = False) -> tuple[Discussion, MinutesChecker]:
    """The discussion whose minutes the user may see, or 404; with write, 403 for one they may only read."""
    discussion, meeting = get_discussion_for_user(user, discussion_pk)
    checker = MinutesChecker(meeting=meeting)
    if write and not checker.can_edit_distribution():
        raise PermissionDenied("You can read these minutes but not approve or circulate them")
    return discussion, checker
