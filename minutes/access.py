"""Who may do what with the minutes: derived from the discussion's policy, itself the case's (DOMAIN section 2).

* Whoever may see the case sees its minutes (full version) and their circulation.
* The chair's acts (a CSC team manager): approving a version, choosing which version each
  recipient gets, taking a recipient the distribution requires off the list (with the reason).
* Printing and circulating: CSC business support administrators, social workers and team managers.
* None of it before the meeting has ended. The duty to circulate survives the case's closure
  (DOMAIN section 1, step 5): on a closed case (``Relationship.CSC_CLOSED``) CSC still approve
  and circulate, while everything else of the case is read-only.
* A user who was sent a version opens that version (their PDF) whatever else they may see of
  the case, after its closure too, and nothing else of it (`sent_to`).
* The superseded family version of the minutes (made before the family summary): CSC only, to read.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from agencies.models import RoleCode, User
from minutes.models import Circulation
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

    def _csc_after_the_meeting(self) -> bool:
        """CSC of the partnership (the case open or closed), once the meeting has ended."""
        return self.discussion.ended and self.meeting.case.is_csc

    def can_view(self) -> bool:
        return self.meeting.can_view()

    def can_read_superseded_family_version(self) -> bool:
        """The family version made before the family summary is kept as it was circulated, for CSC to read."""
        return self.can_view() and self.meeting.case.is_csc

    def can_approve(self) -> bool:
        """Approve a version and choose each recipient's version: the chair's acts, a CSC team manager's."""
        return self._csc_after_the_meeting() and self.user.has_role(RoleCode.TEAM_MANAGER)

    def can_edit_distribution(self) -> bool:
        """Add, remove and give email addresses to recipients: whoever circulates, and the chair."""
        return self.can_circulate() or self.can_approve()

    def can_circulate(self) -> bool:
        """Edit the distribution list and send: CSC business support, social workers and team managers."""
        return self._csc_after_the_meeting() and self.user.has_role(*CIRCULATE_ROLES)


def get_minutes_for_user(user: User, discussion_pk: int, *, write: bool = False) -> tuple[Discussion, MinutesChecker]:
    """The discussion whose minutes the user may see, or 404; with write, 403 for one they may only read."""
    discussion, meeting = get_discussion_for_user(user, discussion_pk)
    checker = MinutesChecker(meeting=meeting)
    if write and not checker.can_edit_distribution():
        raise PermissionDenied("You can read these minutes but not approve or circulate them")
    return discussion, checker


def sent_to(user: User, discussion_pk: int) -> list[Circulation]:
    """The versions of a discussion's minutes sent to this user (a recipient who is a user), newest first.

    What a recipient was sent stays theirs to open after the case is closed, or when they see
    nothing else of it (DOMAIN section 2): this, not the case policy, answers for those PDFs.
    """
    if not (user.is_authenticated and user.is_active):
        return []
    return list(
        Circulation.objects.filter(recipient__discussion_id=discussion_pk, recipient__user=user)
        .select_related("version__discussion__referral", "sent_by")
        .order_by("-sent_at", "-pk")
    )


def meeting_minutes_panel(checker: DiscussionChecker, *, now: dt.datetime) -> dict | None:
    """The meeting page's link to its minutes once the meeting has ended, in the words of what the reader may do
    there (strategy never imports this app: strategy.selectors.MEETING_PANELS). Police and health read "approve,
    download and circulate" where they may only download (a walk)."""
    if not checker.discussion.ended:
        return None
    minutes = MinutesChecker(meeting=checker)
    if minutes.can_approve():
        words = "Minutes: approve, download and circulate"
    elif minutes.can_circulate():
        words = "Minutes: download and circulate"
    else:
        words = "Minutes: read and download"
    return {"discussion_pk": checker.discussion.pk, "words": words}
