"""Referrals: a concern about one or more children, logged by CSC (DOMAIN sections 1 and 4)."""

from datetime import date

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from agencies.models import Agency, Partnership
from agencies.timescales import Rule


class Urgency(models.TextChoices):
    """The urgency fixes which strategy discussion rule of DOMAIN section 3 applies."""

    SERIOUS_RISK = "serious_risk", "Serious risk of harm (serious physical injury, serious neglect, risk to life)"
    FORENSIC = "forensic", "Penetrative sexual abuse needing forensic evidence"
    IMMEDIATE_ACTION = "immediate_action", "An agency had to take immediate protective action"
    COMPLEX = "complex", "Organised or complex abuse, or an allegation against a person in a position of trust"
    STANDARD = "standard", "Any other significant-harm concern"


URGENCY_RULES: dict[str, Rule] = {
    Urgency.SERIOUS_RISK: Rule.SD_SAME_DAY,
    Urgency.FORENSIC: Rule.SD_SAME_DAY,
    Urgency.IMMEDIATE_ACTION: Rule.SD_IMMEDIATE_ACTION,
    Urgency.COMPLEX: Rule.SD_COMPLEX,
    Urgency.STANDARD: Rule.SD_STANDARD,
}


class ConcernCategory(models.TextChoices):
    PHYSICAL = "physical", "Physical abuse"
    SEXUAL = "sexual", "Sexual abuse"
    EMOTIONAL = "emotional", "Emotional abuse"
    NEGLECT = "neglect", "Neglect"
    CSE = "cse", "Child sexual exploitation"
    CCE = "cce", "Child criminal exploitation"
    FGM = "fgm", "Female genital mutilation"
    HONOUR_BASED = "honour_based", "Honour-based abuse"
    FII = "fii", "Fabricated or induced illness"
    ORGANISED = "organised", "Organised or complex abuse"
    POSITION_OF_TRUST = "position_of_trust", "Allegation against a person in a position of trust"
    EXTRA_FAMILIAL = "extra_familial", "Extra-familial harm"
    UNBORN = "unborn", "Unborn child"
    NON_MOBILE_INJURY = "non_mobile_injury", "Injury to a non-mobile infant"


class Concern(models.Model):
    """A concern category; rows are created by a data migration so referrals can be filtered by them."""

    code = models.CharField(max_length=40, primary_key=True, choices=ConcernCategory.choices)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.get_code_display()


class ReferralStatus(models.TextChoices):
    AWAITING_DISCUSSION = "awaiting_discussion", "Awaiting strategy discussion"
    DISCUSSION_HELD = "discussion_held", "Strategy discussion held"
    CLOSED = "closed", "Closed"


class Referral(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="referrals")
    received_at = models.DateTimeField("date and time received")
    referrer_name = models.CharField(max_length=200)
    referrer_agency = models.CharField(
        max_length=200, blank=True, help_text="Leave blank if the referrer is a member of the public."
    )
    referrer_contact = models.CharField(max_length=200, blank=True)
    concerns = models.ManyToManyField(Concern, related_name="referrals")
    concern_summary = models.TextField("the concern")
    urgency = models.CharField(max_length=30, choices=Urgency.choices)
    immediate_action_taken = models.BooleanField(default=False)
    immediate_action_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    immediate_action_details = models.TextField(blank=True)
    status = models.CharField(max_length=30, choices=ReferralStatus.choices, default=ReferralStatus.AWAITING_DISCUSSION)
    # Computed once by the service from the timescale engine and stored, so lists
    # sort and filter on an indexed column (STYLE: store due_at on the row).
    sd_rule = models.CharField("strategy discussion rule", max_length=30, choices=[(r.value, r.value) for r in Rule])
    sd_due_at = models.DateTimeField("strategy discussion due")
    sd_held_at = models.DateTimeField("strategy discussion held", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every save; a stale edit is refused.")
    history = HistoricalRecords(m2m_fields=[concerns])

    class Meta:
        ordering = ["sd_due_at"]
        indexes = [
            models.Index(fields=["partnership", "status", "sd_due_at"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"REF-{self.pk:06d}" if self.pk else "New referral"

    @property
    def is_open(self) -> bool:
        return self.status == ReferralStatus.AWAITING_DISCUSSION


class PersonKind(models.TextChoices):
    CHILD = "child", "Child"
    HOUSEHOLD = "household", "Household member"


class Person(models.Model):
    """A child the referral is about, or another member of the household (DOMAIN section 4, People)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="people")
    kind = models.CharField(max_length=20, choices=PersonKind.choices)
    first_name = models.CharField(max_length=100, blank=True, help_text="May be blank for an unborn child.")
    last_name = models.CharField(max_length=100)
    aliases = models.CharField(max_length=200, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    unborn = models.BooleanField(default=False)
    expected_date = models.DateField("expected date of birth", null=True, blank=True)
    address = models.TextField(blank=True)
    relationship = models.CharField(max_length=100, blank=True)
    looked_after = models.BooleanField("looked-after child", default=False)
    disability = models.BooleanField(default=False)
    first_language = models.CharField(max_length=100, blank=True)
    interpreter_needed = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "position", "pk"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        if self.unborn and not self.first_name:
            return f"Unborn baby {self.last_name}".strip()
        return f"{self.first_name} {self.last_name}".strip()

    def age_on(self, day: date) -> int | None:
        """Whole years of age on `day`, or None if the date of birth is not known."""
        return years_of_age(self.date_of_birth, day) if self.date_of_birth else None


def years_of_age(born: date, day: date) -> int:
    """Whole years between a birth date and `day` (a birthday on 29 February counts from 1 March)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
