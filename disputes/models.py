"""Professional disagreements (DOMAIN section 7, issue 30): who disagreed with whom about what, stage by stage.

A disagreement is raised on a case by a practitioner; it moves through the stages of the Gloucestershire escalation
procedure: (1) practitioner to practitioner, (2) the line managers talk directly, (3) a strategy discussion is held,
(4) the partnership. Stages 1, 2 and 3 (the strategy discussion convened from the disagreement, and its result)
each have a clock in the one deadline table (referrals.Deadline), opened, met and stopped through
referrals.deadlines only; stage 4 has none (the guidance gives no time).
Nothing here is ever deleted: a disagreement ends resolved or withdrawn, with each stage's result kept.
"""

from django.conf import settings
from django.db import models

from actions.models import Action
from agencies.models import Agency
from core.history import HistoricalRecords
from referrals.models import Deadline, Person, Referral
from strategy.models import Discussion


class Subject(models.TextChoices):
    """What the disagreement is about (DOMAIN section 7: the threshold, the outcome, the s47 outcome)."""

    THRESHOLD = "threshold", "The threshold for a strategy discussion"
    DISCUSSION_OUTCOME = "discussion_outcome", "The outcome of a strategy discussion"
    CHILD_DECISION = "child_decision", "A decision for a child"
    S47_OUTCOME = "s47_outcome", "The outcome of the section 47 enquiry"
    ACTION = "action", "An action"


class DisagreementStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
    WITHDRAWN = "withdrawn", "Withdrawn"


class StageNumber(models.IntegerChoices):
    PRACTITIONERS = 1, "Practitioner to practitioner"
    LINE_MANAGERS = 2, "Line managers"
    DISCUSSION = 3, "A strategy discussion"
    PARTNERSHIP = 4, "The partnership"


class StageResult(models.TextChoices):
    RESOLVED = "resolved", "Resolved"
    ESCALATED = "escalated", "Escalated to the next stage"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Disagreement(models.Model):
    """One professional disagreement about a case: raised by a practitioner of an agency, with another agency (and
    a person, named or typed), about one of the subjects, with the outcome sought."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_by_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField()
    subject = models.CharField("what it is about", max_length=30, choices=Subject.choices)
    child = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text="For a child's decision."
    )
    action = models.ForeignKey(
        Action, on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text="For an action."
    )
    with_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    with_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    with_name = models.CharField("name of the person, if they have no account", max_length=200, blank=True)
    outcome_sought = models.TextField()
    # The urgent route (disputes.services.disagreement_raise): the strategy discussion leads told at once, and out of
    # hours whoever is on call; everyone told is recorded, and sees the disagreement (disputes.access).
    immediate_risk = models.BooleanField("a child is at immediate risk", default=False)
    alerted = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", help_text="Who the urgent route alerted."
    )
    alerted_at = models.DateTimeField(null=True, blank=True, help_text="When the urgent route alerted them.")
    alerted_out_of_hours = models.BooleanField(default=False, help_text="Raised out of hours: the on-call rota too.")
    status = models.CharField(max_length=10, choices=DisagreementStatus.choices, default=DisagreementStatus.OPEN)
    stage = models.PositiveSmallIntegerField("current stage", choices=StageNumber.choices, default=1)
    deadline = models.ForeignKey(
        Deadline,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The current stage's clock (none at stages 3 and 4, or once ended).",
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(m2m_fields=[alerted])

    class Meta:
        ordering = ["-raised_at", "-pk"]
        indexes = [models.Index(fields=["referral", "status"], name="disagreement_by_case")]

    def __str__(self) -> str:
        return f"Disagreement {self.pk} on {self.referral_id}"

    @property
    def is_open(self) -> bool:
        return self.status == DisagreementStatus.OPEN

    @property
    def with_whom(self) -> str:
        person = str(self.with_person) if self.with_person_id else self.with_name
        return f"{person}, {self.with_agency}" if person else str(self.with_agency)


class Stage(models.Model):
    """One stage of a disagreement: who holds it (and responds), who else takes part, its clock, what was said and
    the result."""

    disagreement = models.ForeignKey(Disagreement, on_delete=models.PROTECT, related_name="stages")
    number = models.PositiveSmallIntegerField(choices=StageNumber.choices)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    started_at = models.DateTimeField()
    deadline = models.OneToOneField(
        Deadline, on_delete=models.PROTECT, null=True, blank=True, related_name="disagreement_stage"
    )
    # Stage 3: the strategy discussion convened to resolve it (DOMAIN section 7), linked both ways: the meeting page
    # finds it through the panel disputes registers there (strategy never imports this app).
    discussion = models.ForeignKey(
        Discussion, on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text="Stage 3 only."
    )
    said = models.TextField("what was said", blank=True)
    result = models.CharField(max_length=10, choices=StageResult.choices, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords(m2m_fields=[participants])

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["disagreement", "number"], name="one_stage_of_each_number")]

    def __str__(self) -> str:
        return f"Stage {self.number} of disagreement {self.disagreement_id}"
