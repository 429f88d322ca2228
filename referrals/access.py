"""The one access policy for case data (DOMAIN section 2, "Who sees what").

Every view, list, count and query of case objects calls this module; templates
receive a checker and never decide access themselves. Rule today:

* CSC staff (social worker, team manager, head of service, business support) of
  an agency of type children's social care see every referral of their
  partnership; social workers and team managers may log and edit them.
* Nobody else sees any referral: other agencies, partnership analysts
  (aggregates only), and users with no agency, superusers included.

Not allowed to see it means 404, so a guessed URL tells nothing. A later issue
extends the view rule to agencies invited to a strategy discussion.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from agencies.models import AgencyType, Partnership, RoleCode, User
from referrals.models import Referral, ReferralQuerySet

CSC_VIEW_ROLES = (
    RoleCode.SOCIAL_WORKER,
    RoleCode.TEAM_MANAGER,
    RoleCode.HEAD_OF_SERVICE,
    RoleCode.BUSINESS_SUPPORT,
)
CSC_EDIT_ROLES = (RoleCode.SOCIAL_WORKER, RoleCode.TEAM_MANAGER)


def _is_csc(user: User) -> bool:
    agency = user.agency if user.is_authenticated and user.is_active and user.agency_id else None
    return agency is not None and agency.agency_type == AgencyType.CHILDRENS_SOCIAL_CARE


def can_view_partnership_cases(user: User) -> bool:
    return _is_csc(user) and user.has_role(*CSC_VIEW_ROLES)


def can_log_referral(user: User) -> bool:
    """Log a referral: CSC social workers and team managers (DOMAIN section 2)."""
    return _is_csc(user) and user.has_role(*CSC_EDIT_ROLES)


def own_partnership(user: User) -> Partnership:
    """The partnership of a user who may log referrals (checked first by can_log_referral)."""
    if user.agency is None:
        raise PermissionDenied("You are not a member of an agency")
    return user.agency.partnership


def referrals_visible_to(user: User) -> ReferralQuerySet:
    """Every referral the user may see; lists, searches and counts start here."""
    if can_view_partnership_cases(user):
        return Referral.objects.filter(partnership_id=user.partnership_id or 0)
    return Referral.objects.none()


@dataclass(frozen=True)
class ReferralChecker:
    """What one user may do with one referral; handed to templates."""

    user: User
    referral: Referral

    def can_view(self) -> bool:
        """CSC staff of the referral's partnership."""
        return can_view_partnership_cases(self.user) and self.referral.partnership_id == self.user.partnership_id

    def can_edit(self) -> bool:
        """CSC social workers and team managers of the referral's partnership."""
        return self.can_view() and self.user.has_role(*CSC_EDIT_ROLES)


def get_referral_for_user(user: User, pk: int, *, write: bool = False) -> tuple[Referral, ReferralChecker]:
    """Fetch a referral the user may see, or raise Http404; with write, refuse (403) one they may only read."""
    referral = referrals_visible_to(user).select_related("partnership", "immediate_action_agency").filter(pk=pk).first()
    if referral is None:
        raise Http404("No such referral")
    checker = ReferralChecker(user=user, referral=referral)
    if not checker.can_view():
        raise Http404("No such referral")
    if write and not checker.can_edit():
        raise PermissionDenied("You can read this referral but not change it")
    return referral, checker
