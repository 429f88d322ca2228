"""Which step meets each clock after the meeting, and who records it (DOMAIN sections 1 and 3).

A clock that nothing can meet goes overdue and escalates for ever, and alerts that are always wrong
teach people to ignore the ones that are right. Every clock opened after a discussion has its step:
the conference held (ICPC), the assessment completed, the medical report received, the risk review
held. RECONVENE is met by the reconvened discussion being held. The write is `strategy.steps`.
"""

from dataclasses import dataclass

from agencies.models import AgencyType, RoleCode
from core.timescales import Rule
from referrals.access import ReferralChecker, Relationship
from referrals.models import Deadline, DeadlineState


@dataclass(frozen=True)
class Step:
    """What meets one kind of clock: the button, what is recorded, and the question asked for its date."""

    action: str
    met_by: str
    date_label: str
    outcome_label: str = ""  # asked for, and required, when not empty


STEPS: dict[Rule, Step] = {
    Rule.ICPC: Step(
        action="Record the conference",
        met_by="Initial child protection conference held",
        date_label="Date of the conference",
        outcome_label="Outcome of the conference",
    ),
    Rule.ASSESSMENT: Step(
        action="Record the assessment completed",
        met_by="Assessment completed",
        date_label="Date the assessment was completed",
    ),
    Rule.MEDICAL_REPORT: Step(
        action="Record the report received",
        met_by="Medical report received",
        date_label="Date the report was received",
    ),
    Rule.RISK_REVIEW: Step(
        action="Record the risk review",
        met_by="Risk reviewed",
        date_label="Date of the review",
        outcome_label="What the review found",
    ),
}


def step_for(deadline: Deadline) -> Step | None:
    return STEPS.get(Rule(deadline.rule))


def can_record_step(checker: ReferralChecker, deadline: Deadline) -> bool:
    """Who records the step that meets a clock: CSC social workers and team managers for every step, and a health
    practitioner of an agency invited to the case for the medical report. Only open clocks, only on open cases
    (the policy's relationship says read-only once closed)."""
    if (
        not checker.can_change()
        or step_for(deadline) is None
        or deadline.state != DeadlineState.OPEN
        or deadline.referral_id != checker.referral.pk
    ):
        return False
    if checker.can_edit():
        return True
    user = checker.user
    return (
        Rule(deadline.rule) is Rule.MEDICAL_REPORT
        and checker.relation in (Relationship.INVITED, Relationship.INVITED_READ_ONLY)
        and user.agency is not None
        and user.agency.agency_type == AgencyType.HEALTH
        and user.has_role(RoleCode.HEALTH_PRACTITIONER)
    )
