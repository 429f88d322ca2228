"""The one access policy for case data (DOMAIN section 2, "Who sees what").

Every view, list, count and query of case objects calls this module; templates receive a
checker and never decide access themselves. A user's relationship to a case is computed
once, and both the list filter and every ``can_*`` derive from it, so they cannot disagree:

* ``CSC_EDITOR``: CSC social workers and team managers of the case's partnership. They log
  and edit referrals, convene discussions and invite agencies.
* ``CSC_READER``: other CSC staff of the partnership (head of service, business support).
* ``INVITED``: a user of an agency invited to a strategy discussion about the case, while the
  case awaits a discussion: they see the case and record their own agency's entries.
* ``INVITED_READ_ONLY``: the same agency after the discussion, until the case is closed.
* ``CSC_CLOSED``: CSC staff of the partnership once the case is closed (DOMAIN section 1, step 6):
  they read it, nobody changes it; a team manager may reopen it, and CSC still approve and
  circulate its minutes (a duty that survives closure, minutes/access.py).
* ``DRAFT``: a referral started but not yet submitted (status draft), for who started it and the
  partnership's CSC team managers (who see every draft of the partnership and its clock). They see it and
  finish it through its task list; nobody convenes or invites on it, and nobody else sees it at all
  (404), not in lists, counts or deadlines, until it is submitted.
* ``NONE``: everyone else (other agencies, partnership analysts, users with no agency,
  superusers included), and invited agencies once the case is closed. A user sent the minutes
  still opens the version they were sent, and nothing else (minutes/access.py).

"Closed" lives here and nowhere else: every ``can_*`` of the case, its discussions, actions and
minutes derives from the relationship, so no view checks the case's status itself.

The invitation is stored as a grant only (django-guardian, on the referral, to the agency's
group, in a direct foreign-key table); "read-only" and "gone" are derived from the case's
state here, never stored. Not allowed to see it means 404, so a guessed URL tells nothing.
"""

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from agencies.models import PRACTITIONER_ROLES, Agency, AgencyType, Partnership, RoleCode, User
from core.queries import ProbedExists
from referrals.models import (
    Referral,
    ReferralGroupObjectPermission,
    ReferralQuerySet,
    ReferralStatus,
)

CSC_VIEW_ROLES = (
    RoleCode.SOCIAL_WORKER,
    RoleCode.TEAM_MANAGER,
    RoleCode.HEAD_OF_SERVICE,
    RoleCode.BUSINESS_SUPPORT,
)
CSC_EDIT_ROLES = (RoleCode.SOCIAL_WORKER, RoleCode.TEAM_MANAGER)
# Practitioners of an invited agency (DOMAIN section 2): not partnership analysts, who see aggregates only.
INVITED_ROLES = PRACTITIONER_ROLES
VIEW_PERMISSION = "referrals.view_referral"
VIEW_CODENAME = "view_referral"


class Relationship(enum.Enum):
    CSC_EDITOR = "csc editor"
    CSC_READER = "csc reader"
    INVITED = "invited"
    INVITED_READ_ONLY = "invited, read-only"
    CSC_CLOSED = "csc, case closed"
    DRAFT = "draft"
    NONE = "none"


def _active_agency(user: User):
    return user.agency if user.is_authenticated and user.is_active and user.agency_id else None


def _is_csc(user: User) -> bool:
    agency = _active_agency(user)
    return agency is not None and agency.agency_type == AgencyType.CHILDRENS_SOCIAL_CARE


def can_view_partnership_cases(user: User) -> bool:
    return _is_csc(user) and user.has_role(*CSC_VIEW_ROLES)


def can_log_referral(user: User) -> bool:
    """Log a referral: CSC social workers and team managers (DOMAIN section 2)."""
    return _is_csc(user) and user.has_role(*CSC_EDIT_ROLES)


def can_move_deadlines(user: User, referral: Referral) -> bool:
    """Move a case's clock later (with a reason): a CSC team manager of the case's partnership only (DOMAIN 1), and
    never on a closed case (read-only; its one clock left, the minutes', is met by circulating them)."""
    return (
        _is_csc(user) and user.has_role(RoleCode.TEAM_MANAGER) and ReferralChecker.for_user(user, referral).can_change()
    )


def sees_every_draft(user: User) -> bool:
    """A CSC team manager sees every draft referral of their partnership, with its clock."""
    return _is_csc(user) and user.has_role(RoleCode.TEAM_MANAGER)


def may_be_invited(user: User) -> bool:
    return _active_agency(user) is not None and not _is_csc(user) and user.has_role(*INVITED_ROLES)


def own_partnership(user: User) -> Partnership:
    """The partnership of a user who may log referrals (checked first by can_log_referral)."""
    if user.agency is None:
        raise PermissionDenied("You are not a member of an agency")
    return user.agency.partnership


def referrals_visible_to(user: User) -> ReferralQuerySet:
    """Every referral the user may see; lists, searches and counts start here."""
    if can_view_partnership_cases(user):
        cases = Referral.objects.filter(partnership_id=user.partnership_id or 0)
        if sees_every_draft(user):
            return cases
        # A draft is nobody else's case until it is submitted: only who started it (and team managers) see it.
        return cases.filter(~Q(status=ReferralStatus.DRAFT) | Q(created_by_id=user.pk))
    if may_be_invited(user):
        # The partnership's open cases (list_rank < 2: not closed) that the user's agency holds a
        # django-guardian grant on. Invitations are granted to an agency's group, and every active user is in
        # exactly their own agency's group (agencies.services.user_agency_group_sync), so the grant is looked
        # up by that group and checked for each row by its case (one EXISTS on the grant table's case index):
        # a list reads one range of its own index and stops at the page, however many cases the agency has
        # been invited to over the years. Grants to single users are not used by the product.
        group_id = user.agency.group_id if user.agency else None
        grants = ReferralGroupObjectPermission.objects.filter(
            content_object=OuterRef("pk"), group_id=group_id or 0, permission__codename=VIEW_CODENAME
        )
        return Referral.objects.filter(ProbedExists(grants), partnership_id=user.partnership_id or 0, list_rank__lt=2)
    return Referral.objects.none()


def visible_cases(user: User, field: str = "referral") -> ProbedExists:
    """A filter for the rows of cases (actions, deadlines, discussions): the user may see the row's case.

    Checked for each row by the case's key (one probe of the referral's primary key, and of the
    agency's grant for an invited agency), so a list of actions or deadlines read from its own
    index stops at its page; `referral__in=referrals_visible_to(user)` would let the planner read
    the whole partnership's cases into a hash first.
    """
    return ProbedExists(referrals_visible_to(user).filter(pk=OuterRef(field)))


def relationship(user: User, referral: Referral, *, granted: bool | None = None) -> Relationship:
    """The user's relationship to the case (see the module docstring). `granted`: already known to be visible."""
    if can_view_partnership_cases(user) and referral.partnership_id == user.partnership_id:
        if referral.status == ReferralStatus.DRAFT:
            mine = referral.created_by_id == user.pk and user.has_role(*CSC_EDIT_ROLES)
            return Relationship.DRAFT if mine or sees_every_draft(user) else Relationship.NONE
        if referral.status == ReferralStatus.CLOSED:
            return Relationship.CSC_CLOSED
        return Relationship.CSC_EDITOR if user.has_role(*CSC_EDIT_ROLES) else Relationship.CSC_READER
    if not may_be_invited(user) or referral.status in (ReferralStatus.CLOSED, ReferralStatus.DRAFT):
        return Relationship.NONE
    if granted is None:
        granted = referrals_visible_to(user).filter(pk=referral.pk).exists()
    if not granted:
        return Relationship.NONE
    if referral.status == ReferralStatus.AWAITING_DISCUSSION:
        return Relationship.INVITED
    return Relationship.INVITED_READ_ONLY


@dataclass(frozen=True)
class ReferralChecker:
    """What one user may do with one referral; handed to templates."""

    user: User
    referral: Referral
    relation: Relationship

    @classmethod
    def for_user(cls, user: User, referral: Referral) -> "ReferralChecker":
        return cls(user=user, referral=referral, relation=relationship(user, referral))

    @property
    def is_csc(self) -> bool:
        return self.relation in (Relationship.CSC_EDITOR, Relationship.CSC_READER, Relationship.CSC_CLOSED)

    @property
    def closed(self) -> bool:
        """The case is closed (only CSC still see it): read-only for everyone."""
        return self.relation is Relationship.CSC_CLOSED

    def can_change(self) -> bool:
        """The one home of "a closed case is read-only": the user sees the case and it is not closed. Every
        write rule (a clock moved, an action updated, a step recorded) starts here; only the minutes' approval
        and circulation, whose duty survives closure (DOMAIN section 1, step 5), do not."""
        return self.relation not in (Relationship.NONE, Relationship.CSC_CLOSED)

    @property
    def invited_read_only(self) -> bool:
        """An invited agency after the discussion: it reads the case until it is closed."""
        return self.relation is Relationship.INVITED_READ_ONLY

    @property
    def draft(self) -> bool:
        """A referral not yet submitted: only its task list and task pages apply."""
        return self.relation is Relationship.DRAFT

    def can_edit_draft(self) -> bool:
        """Fill in and submit a draft referral: who started it and the partnership's CSC team managers."""
        return self.relation is Relationship.DRAFT

    def can_view(self) -> bool:
        """CSC staff of the partnership; an invited agency's practitioners until the case is closed."""
        return self.relation is not Relationship.NONE

    def can_edit(self) -> bool:
        """CSC social workers and team managers of the referral's partnership, while it is open: edit, convene,
        invite."""
        return self.relation is Relationship.CSC_EDITOR

    def can_contribute(self) -> bool:
        """Record the user's own agency's entries: CSC editors, and invited agencies until the discussion is held."""
        return self.relation in (Relationship.CSC_EDITOR, Relationship.INVITED)

    def can_authorise_s47(self) -> bool:
        """Authorise a section 47 enquiry and chair: CSC team managers only (DOMAIN section 2)."""
        return self.can_edit() and self.user.has_role(RoleCode.TEAM_MANAGER)

    def can_close(self) -> bool:
        """Close the case, with an outcome and a reason: a CSC team manager of the partnership (DOMAIN 1, step 6)."""
        return self.can_edit() and self.user.has_role(RoleCode.TEAM_MANAGER)

    def can_reopen(self) -> bool:
        """Reopen a closed case, with a reason: a CSC team manager of the partnership (DOMAIN 1, step 6)."""
        return self.closed and self.user.has_role(RoleCode.TEAM_MANAGER)


@dataclass(frozen=True)
class CaseRowChecker:
    """What one user may do with a row of a case (a discussion, an action): derived from what they may do with the
    case, so a row is seen by exactly who sees its case."""

    case: ReferralChecker

    @property
    def user(self) -> User:
        return self.case.user

    def can_view(self) -> bool:
        return self.case.can_view()


def can_raise_disagreement_on(checker: ReferralChecker) -> bool:
    """Raise a professional disagreement from the case's pages (DOMAIN section 7): any practitioner who sees the
    case, after closure too. (disputes.access adds those of the referring agency and of any agency ever invited.)"""
    return checker.can_view() and not checker.draft and checker.user.has_role(*PRACTITIONER_ROLES)


def agencies_seeing_case(agencies: Iterable[Agency], referral: Referral) -> list[Agency]:
    """The agencies of `agencies` that can work on a case (lead an action): those whose people may see it, CSC of
    the partnership or an agency invited to one of its discussions (the guardian grant on the referral). One query,
    for a list of agencies to offer."""
    granted = set(
        ReferralGroupObjectPermission.objects.filter(
            content_object=referral, permission__codename="view_referral"
        ).values_list("group_id", flat=True)
    )
    return [
        agency
        for agency in agencies
        if agency.partnership_id == referral.partnership_id
        and (agency.agency_type == AgencyType.CHILDRENS_SOCIAL_CARE or agency.group_id in granted)
    ]


def agency_sees_case(agency: Agency, referral: Referral) -> bool:
    """Whether one agency can work on the case (agencies_seeing_case, its one rule)."""
    return bool(agencies_seeing_case([agency], referral))


def can_audit_case(checker: ReferralChecker) -> bool:
    """Who has looked at a child's record: the partnership's team managers, heads of service and administrators."""
    user = checker.user
    return checker.is_csc and (user.has_role(RoleCode.TEAM_MANAGER, RoleCode.HEAD_OF_SERVICE) or user.is_staff)


def can_audit_users(user: User) -> bool:
    """What a user has looked at, and sign-in records: CSC heads of service and administrators of the partnership."""
    return can_view_partnership_cases(user) and (user.has_role(RoleCode.HEAD_OF_SERVICE) or user.is_staff)


# The timeliness report (DOMAIN section 8, issue 29): the partnership's analysts and its strategy discussion leads.
REPORT_ROLES = (RoleCode.PARTNERSHIP_ANALYST, RoleCode.HEAD_OF_SERVICE)


def report_partnership(user: User) -> Partnership | None:
    """The partnership whose timeliness report the user may read: an analyst's or a head of service's, of any of
    its agencies; None for everyone else (the report answers them 404). It holds no case, so this is all it asks."""
    agency = _active_agency(user)
    if agency is None or not user.has_role(*REPORT_ROLES):
        return None
    return agency.partnership


def get_referral_for_user(user: User, pk: int, *, write: bool = False) -> tuple[Referral, ReferralChecker]:
    """Fetch a referral the user may see, or raise Http404; with write, refuse (403) one they may only read."""
    referral = get_object_or_404(
        referrals_visible_to(user).select_related(
            "partnership",
            "immediate_action_agency",
            "sd_deadline",
            "created_by",
            "closed_by",
            "reopened_by",
            "allocated_social_worker",
            "referrer_agency",
        ),
        pk=pk,
    )
    checker = ReferralChecker(user=user, referral=referral, relation=relationship(user, referral, granted=True))
    if not checker.can_view():
        raise Http404("No such referral")
    if write and not checker.can_edit():
        raise PermissionDenied("You can read this referral but not change it")
    return referral, checker
