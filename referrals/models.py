"""Referrals: a concern about one or more children, logged by CSC (DOMAIN sections 1 and 4)."""

import unicodedata
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, FilteredRelation, Q
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


# The strategy discussion rules of DOMAIN section 3 that start when a referral is received.
SD_RULES = (Rule.SD_SAME_DAY, Rule.SD_IMMEDIATE_ACTION, Rule.SD_STANDARD, Rule.SD_COMPLEX)


class ReferralQuerySet(models.QuerySet):
    def awaiting_discussion(self) -> "ReferralQuerySet":
        return self.filter(status=ReferralStatus.AWAITING_DISCUSSION)

    def with_sd_deadline(self) -> "ReferralQuerySet":
        """Each referral with its strategy discussion deadline as sd_rule, sd_due_at and sd_met_at (one join)."""
        return self.annotate(
            sd=FilteredRelation("deadlines", condition=Q(deadlines__rule__in=SD_RULES, deadlines__person=None))
        ).annotate(sd_rule=F("sd__rule"), sd_due_at=F("sd__due_at"), sd_met_at=F("sd__met_at"))


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
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every save; a stale edit is refused.")
    # From the form that logged it: the same form sent twice (a double click, a retry) logs one referral.
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    history = HistoricalRecords(m2m_fields=[concerns])

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["partnership", "status"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"REF-{self.pk:06d}" if self.pk else "New referral"

    @property
    def awaiting_discussion(self) -> bool:
        return self.status == ReferralStatus.AWAITING_DISCUSSION

    def strategy_discussion_deadline(self) -> "Deadline":
        """The deadline for holding the first strategy discussion (one per referral)."""
        return self.deadlines.get(rule__in=SD_RULES, person=None)


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
    # Names and aliases folded for search ("Zoë O’Brien" is found by "zoe o'brien"); kept by save().
    search_text = models.TextField(blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["search_text"])
    age: int | None  # set by selectors.referral_detail for the page, not stored

    class Meta:
        ordering = ["kind", "position", "pk"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs) -> None:
        self.search_text = fold_for_search(" ".join((self.first_name, self.last_name, self.aliases)))
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        if self.unborn and not self.first_name:
            return f"Unborn baby {self.last_name}".strip()
        return f"{self.first_name} {self.last_name}".strip()

    def age_on(self, day: date) -> int | None:
        """Whole years of age on `day`, or None if the date of birth is not known."""
        return years_of_age(self.date_of_birth, day) if self.date_of_birth else None


_NOT_DECOMPOSED = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe"})
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def fold_for_search(text: str) -> str:
    """Lower case without accents or curly quotes, the same in SQLite and PostgreSQL."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_NOT_DECOMPOSED).translate(_QUOTES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def years_of_age(born: date, day: date) -> int:
    """Whole years between a birth date and `day` (a birthday on 29 February counts from 1 March)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class Deadline(models.Model):
    """One statutory clock of DOMAIN section 3, computed by the timescale engine and stored.

    Every deadline of a case lives in this one table, so a watcher finds what is due or
    overdue with one indexed query (`met_at IS NULL AND due_at < ...`). Per-child
    deadlines (ICPC, medical report) set `person`; the referral's own leave it empty.
    """

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="deadlines")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True, related_name="deadlines")
    rule = models.CharField(max_length=30, choices=[(r.value, r.value) for r in Rule])
    starts_at = models.DateTimeField(help_text="The moment the clock started (e.g. when the referral was received).")
    due_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True, help_text="When it was met; empty while it is open.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["met_at", "due_at"], name="deadline_open_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(rule__in=[rule.value for rule in SD_RULES], person=None),
                name="one_strategy_discussion_deadline_per_referral",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def met_late(self) -> bool:
        return self.met_at is not None and self.met_at > self.due_at


class CaseView(models.Model):
    """Who looked at which case, when, from which page: append-only (rows are never changed or deleted).

    Written in the same request as the page, never through the queue, so a read is not
    left unrecorded because a worker or Redis is down.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="views")
    page = models.CharField(max_length=100)
    viewed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-viewed_at"]

    def __str__(self) -> str:
        return f"{self.user} viewed {self.referral} ({self.page})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("Case view records cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Case view records cannot be deleted")
