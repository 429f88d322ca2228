"""Who may raise a professional disagreement, who sees one and who records its stages (DOMAIN section 7, issue 30).

Built on the one case policy (referrals.access):

* Raise: any practitioner who sees the case (referrals.access.can_raise_disagreement_on), after closure too; also a
  practitioner of the agency that referred the case or of any agency ever invited to one of its discussions, even
  once the case is closed and they no longer see it (the commonest disagreements are about closure and the
  threshold). Raising grants no other access to the case.
* See: the people party to it (who raised it, who it is with, each stage's holder and participants), their line
  managers, CSC practitioners of the partnership who see the case, and the strategy discussion leads (heads of
  service of the partnership's agencies), and whoever the urgent route alerted (the on-call rota out of hours: their
  names are recorded on the disagreement). Nobody else, other invited agencies included: 404.
* Record a stage: its holder (resolved, or escalated to the next stage); only who raised it may withdraw it, so the
  person disagreed with cannot end it alone (a walk of `make run`). Stage 3 (a strategy discussion held to
  resolve it) is held by CSC's strategy discussion lead, and the chair of its discussion may record it too; stage 4
  (the partnership, the last) is resolved or withdrawn only.
* Convene stage 3's discussion: who may convene a discussion on the case (CSC social workers and team managers of
  the partnership, the case open) and sees the disagreement.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from agencies.models import PRACTITIONER_ROLES, Agency, AgencyType, RoleCode, User
from disputes.models import Disagreement, Stage, StageNumber, StageResult
from referrals.access import (
    ReferralChecker,
    Relationship,
    can_raise_disagreement_on,
    relationship,
)
from referrals.models import Referral, ReferralStatus
from strategy.models import Invitation, InvitationStatus

# What a stage's holder records; withdrawing is the raiser's alone.
HOLDERS_RESULTS: list[str] = [StageResult.RESOLVED, StageResult.ESCALATED]
# The partnership is the last stage: nothing to escalate to.
RESULTS_OF_STAGE: dict[int, list[str]] = {StageNumber.PARTNERSHIP: [StageResult.RESOLVED]}
CONVENERS = (RoleCode.SOCIAL_WORKER, RoleCode.TEAM_MANAGER)
CSC_SEES = (Relationship.CSC_EDITOR, Relationship.CSC_READER, Relationship.CSC_CLOSED)


def _practitioner(user: User) -> bool:
    """A practitioner of an agency (never business support or an analyst): who may ever raise a disagreement."""
    return bool(user.is_authenticated and user.is_active and user.agency_id and user.has_role(*PRACTITIONER_ROLES))


def may_raise_by_reference(user: User) -> bool:
    """Open the page that finds a case to raise a disagreement about by its reference (after closure)."""
    return _practitioner(user)


def may_raise(user: User, referral: Referral) -> bool:
    """Whether `user` may raise a disagreement about `referral` (the module docstring)."""
    if not _practitioner(user) or referral.status == ReferralStatus.DRAFT:
        return False
    if user.agency.partnership_id != referral.partnership_id:  # type: ignore[union-attr]
        return False
    if can_raise_disagreement_on(ReferralChecker.for_user(user, referral)):
        return True
    if referral.referrer_agency_id == user.agency_id:
        return True
    return _ever_invited(referral).filter(agency_id=user.agency_id or 0).exists()


def _ever_invited(referral: Referral):
    """Invitations to the case's discussions that were sent (withdrawn since, or the case closed, included); a
    proposal declined never was."""
    return Invitation.objects.filter(discussion__referral=referral).exclude(status=InvitationStatus.DECLINED)


def agencies_offered(referral: Referral, *, sees_case: bool, own_agency_id: int | None) -> list[Agency]:
    """ "With whom" on the raise form: every agency involved, for who sees the case; for who does not (the referrer,
    an agency invited before the case closed), nothing of which agencies were invited: children's social care, the
    referrer and their own agency (the service accepts any agency involved)."""
    involved = agencies_involved(referral)
    if sees_case:
        return involved
    return [
        agency
        for agency in involved
        if agency.agency_type == AgencyType.CHILDRENS_SOCIAL_CARE
        or agency.pk in (referral.referrer_agency_id, own_agency_id)
    ]


def agencies_involved(referral: Referral) -> list[Agency]:
    """The agencies a disagreement about the case can be with, by name: children's social care of its partnership,
    the agency that referred it, and every agency ever invited to one of its discussions (the same agencies whose
    practitioners may raise one). An agency with nothing to do with the case was offered, and its stage 1 then
    went nowhere: nobody there could open it (a walk)."""
    invited = _ever_invited(referral)
    return list(
        Agency.objects.filter(partnership_id=referral.partnership_id)
        .filter(
            Q(agency_type=AgencyType.CHILDRENS_SOCIAL_CARE)
            | Q(pk=referral.referrer_agency_id or 0)
            | Q(pk__in=invited.values("agency_id"))
        )
        .order_by("name")
    )


def get_case_to_raise(user: User, pk: int) -> Referral:
    """The case to raise a disagreement about, or 404 (whether or not the case exists, for anyone who may not)."""
    referral = Referral.objects.select_related("partnership").filter(pk=pk).first()
    if referral is None or not may_raise(user, referral):
        raise Http404("No such case")
    return referral


def _parties(disagreement: Disagreement, stages: list[Stage]) -> set[int]:
    people = {disagreement.raised_by_id, disagreement.with_person_id}
    for stage in stages:
        people.add(stage.holder_id)
        people.update(p.pk for p in stage.participants.all())
    people.discard(None)
    return people  # type: ignore[return-value]


def is_strategy_lead(user: User, referral: Referral) -> bool:
    """A strategy discussion lead of the case's partnership: a head of service of any of its agencies."""
    agency = user.agency if user.is_active and user.agency_id else None
    return (
        agency is not None
        and agency.partnership_id == referral.partnership_id
        and user.has_role(RoleCode.HEAD_OF_SERVICE)
    )


@dataclass(frozen=True)
class DisagreementChecker:
    """What one user may do with one disagreement; handed to templates."""

    user: User
    disagreement: Disagreement
    stages: tuple[Stage, ...]
    sees: bool

    @classmethod
    def for_user(cls, user: User, disagreement: Disagreement) -> "DisagreementChecker":
        stages = tuple(
            disagreement.stages.prefetch_related("participants").select_related(
                "holder", "holder__agency", "deadline", "recorded_by", "discussion__deadline"
            )
        )
        return cls(user=user, disagreement=disagreement, stages=stages, sees=_sees(user, disagreement, list(stages)))

    def can_view(self) -> bool:
        return self.sees

    @property
    def current(self) -> Stage | None:
        return next((s for s in self.stages if s.number == self.disagreement.stage), None)

    def results_allowed(self) -> list[str]:
        """The results this user may record for the current stage: its holder (at stage 3, the chair of its
        discussion too) resolved or escalated (at stage 4 resolved only); who raised it, withdrawn (and, when they
        hold the stage too, the rest)."""
        stage = self.current
        if not self.sees or not self.disagreement.is_open or stage is None:
            return []
        chair = (
            stage.number == StageNumber.DISCUSSION
            and stage.discussion is not None
            and stage.discussion.chair_id == self.user.pk
        )
        holds = stage.holder_id == self.user.pk or chair
        allowed = list(RESULTS_OF_STAGE.get(stage.number, HOLDERS_RESULTS)) if holds else []
        if self.disagreement.raised_by_id == self.user.pk:
            allowed.append(StageResult.WITHDRAWN)
        return allowed

    def can_record(self) -> bool:
        return bool(self.results_allowed())

    def convene_state(self) -> str:
        """Whether this user may convene stage 3's discussion: "yes"; "closed" (a CSC practitioner who would, but
        the case is closed: a team manager reopens it first); "" (not at stage 3, or not theirs to convene)."""
        stage = self.current
        if not self.sees or not self.disagreement.is_open or stage is None or stage.number != StageNumber.DISCUSSION:
            return ""
        case = ReferralChecker.for_user(self.user, self.disagreement.referral)
        if case.can_edit():
            return "yes"
        if case.relation is Relationship.CSC_CLOSED and self.user.has_role(*CONVENERS):
            return "closed"
        return ""

    def can_convene(self) -> bool:
        return self.convene_state() == "yes"


def _sees(user: User, disagreement: Disagreement, stages: list[Stage]) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    referral = disagreement.referral
    parties = _parties(disagreement, stages)
    if user.pk in parties:
        return True
    if User.objects.filter(pk__in=parties, line_manager_id=user.pk).exists():
        return True  # a line manager of someone party to it
    if is_strategy_lead(user, referral):
        return True
    if disagreement.immediate_risk and disagreement.alerted.filter(pk=user.pk).exists():
        return True  # told by the urgent route (on call out of hours): the alert links here
    agency = user.agency
    if agency is None or agency.agency_type != AgencyType.CHILDRENS_SOCIAL_CARE or not _practitioner(user):
        return False
    return relationship(user, referral) in CSC_SEES


def get_disagreement_for_user(user: User, pk: int, *, write: bool = False) -> DisagreementChecker:
    """Fetch a disagreement the user may see, or raise Http404; with write, refuse (403) one they may not record."""
    disagreement = get_object_or_404(
        Disagreement.objects.select_related(
            "referral",
            "referral__partnership",
            "raised_by",
            "raised_by_agency",
            "with_agency",
            "with_person",
            "child",
            "action",
            "deadline",
        ),
        pk=pk,
    )
    checker = DisagreementChecker.for_user(user, disagreement)
    if not checker.can_view():
        raise Http404("No such disagreement")
    if write and not checker.can_record():
        raise PermissionDenied("You can read this disagreement but not record its stage")
    return checker


def disagreement_of_clock(user: User, deadline_pk: int) -> Disagreement | None:
    """The disagreement whose stage this clock is, if the user may see it; None if it is no disagreement's clock;
    404 if it is one they may not see."""
    stage = Stage.objects.filter(deadline_id=deadline_pk).only("disagreement_id").first()
    if stage is None:
        return None
    return get_disagreement_for_user(user, stage.disagreement_id).disagreement
