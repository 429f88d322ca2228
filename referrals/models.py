"""Referrals: a concern about one or more children, logged by CSC (DOMAIN sections 1 and 4)."""

import unicodedata
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from agencies.models import Agency, Partnership
from core.history import HistoricalRecords
from core.models import AppendOnly
from core.presenters import describe_age
from core.timescales import Rule


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
    CHILD_ON_CHILD = "child_on_child", "Child-on-child abuse"
    UNBORN = "unborn", "Pre-birth concerns (an unborn child)"
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
        """Each referral with its current strategy discussion deadline as sd_rule, sd_state, ... (one join; its due
        moment is on the referral as sd_due_at)."""
        return self.annotate(
            sd_rule=F("sd_deadline__rule"),
            sd_met_at=F("sd_deadline__met_at"),
            sd_state=F("sd_deadline__state"),
            sd_stopped_at=F("sd_deadline__stopped_at"),
        )


class ReferralStatus(models.TextChoices):
    AWAITING_DISCUSSION = "awaiting_discussion", "Awaiting strategy discussion"
    DISCUSSION_HELD = "discussion_held", "Strategy discussion held"
    CLOSED = "closed", "Closed"
    # Started, not yet submitted: its clock runs from when it was received; seen by who started it and the
    # partnership's team managers only (referrals.access), never by another agency.
    DRAFT = "draft", "Draft"


class ClosureOutcome(models.TextChoices):
    """Why a case was closed (DOMAIN section 1, step 6): a fixed list, each with the manager's reason."""

    S47_COMPLETED = "s47_completed", "Section 47 enquiry completed"
    CHILD_IN_NEED = "child_in_need", "Child in need plan"
    EARLY_HELP = "early_help", "Early help"
    NFA_AFTER_ASSESSMENT = "nfa_after_assessment", "No further action after assessment"
    THRESHOLD_NOT_MET = "threshold_not_met", "Threshold not met at referral"
    TRANSFERRED = "transferred", "Transferred to another authority"


class Referral(models.Model):
    """A case: the concern, its children and the people around them (DOMAIN sections 1 and 4)."""

    # No index of its own: the list's indexes lead with it (a lone one lured the planner into reading a whole
    # partnership to filter by status).
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="referrals", db_index=False)
    reference = models.CharField(
        max_length=30, editable=False, help_text="PREFIX-YEAR-NUMBER, assigned once when logged, never renumbered."
    )
    received_at = models.DateTimeField("date and time received")
    referrer_name = models.CharField(max_length=200)
    referrer_agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="One of the partnership's agencies, so it can be invited to the strategy discussion.",
    )
    referrer_organisation = models.CharField(
        max_length=200, blank=True, help_text="A member of the public, or an organisation that is not a listed agency."
    )
    referrer_contact = models.CharField(max_length=200, blank=True)
    concerns = models.ManyToManyField(Concern, related_name="referrals")
    concern_summary = models.TextField("the concern")
    urgency = models.CharField(max_length=30, choices=Urgency.choices)
    urgency_reason = models.TextField(
        "why a longer timescale than same day",
        blank=True,
        help_text="Needed when the concern calls for a same-day discussion (referrals.rules.same_day_concerns).",
    )
    immediate_action_taken = models.BooleanField(default=False)
    immediate_action_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    immediate_action_details = models.TextField(blank=True)
    non_mobile_infant_injury = models.BooleanField(
        "an injury to a non-mobile infant",
        null=True,
        blank=True,
        help_text="Asked when a child under six months, or not yet mobile, is on a referral about physical harm.",
    )
    allocated_social_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="allocated_referrals"
    )
    status = models.CharField(max_length=30, choices=ReferralStatus.choices, default=ReferralStatus.AWAITING_DISCUSSION)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The last closure's outcome and reason (kept when the case is reopened; every closure is in history).
    closure_outcome = models.CharField("outcome", max_length=30, choices=ClosureOutcome.choices, blank=True)
    closure_reason = models.TextField("reason for closing", blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reopen_reason = models.TextField("reason for reopening", blank=True)
    # The strategy discussion clock the case is listed by: the referral's own until a discussion is held,
    # then a later discussion's (reconvened, new information) while one is awaited.
    sd_deadline = models.ForeignKey(
        "Deadline", on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every save; a stale edit is refused.")
    # From the form that logged it: the same form sent twice (a double click, a retry) logs one referral.
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # What the referral list sorts and searches by, kept on the row so a page is one index range at any scale:
    # the listed deadline's due moment (kept with sd_deadline), the status as a rank (awaiting, held, closed;
    # and reversed, for the latest-first sorts) and the folded names of the case's people (kept by Person.save).
    sd_due_at = models.DateTimeField(editable=False)
    list_rank = models.GeneratedField(
        expression=Case(
            When(status="awaiting_discussion", then=Value(0)), When(status="discussion_held", then=Value(1)), default=2
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )
    list_rank_reversed = models.GeneratedField(
        expression=Case(
            When(status="awaiting_discussion", then=Value(2)), When(status="discussion_held", then=Value(1)), default=0
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )
    search_text = models.TextField(blank=True, editable=False)
    # A draft (status draft): the tasks of the referral form saved so far, and when it was submitted (logged).
    draft_tasks = models.JSONField(default=list, blank=True, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    history = HistoricalRecords(
        m2m_fields=[concerns],
        excluded_fields=["sd_deadline", "sd_due_at", "list_rank", "list_rank_reversed", "search_text"],
    )

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            # The referral list's four sorts (DOMAIN: awaiting first), each one index range read a page at a time
            # (core.pages); latest-first sorts read the reversed-rank indexes backwards.
            models.Index(fields=["partnership", "list_rank", "sd_due_at", "id"], name="referral_list_deadline"),
            models.Index(
                fields=["partnership", "list_rank_reversed", "sd_due_at", "id"], name="referral_list_deadline_r"
            ),
            models.Index(fields=["partnership", "list_rank", "received_at", "id"], name="referral_list_received"),
            models.Index(
                fields=["partnership", "list_rank_reversed", "received_at", "id"], name="referral_list_received_r"
            ),
            # Drafts, soonest clock first: a partnership's (its team managers) and one person's own.
            models.Index(
                fields=["partnership", "sd_due_at", "id"], condition=Q(status="draft"), name="referral_drafts"
            ),
            models.Index(
                fields=["created_by", "sd_due_at", "id"], condition=Q(status="draft"), name="referral_drafts_mine"
            ),
        ]
        constraints = [
            # Reference first: the list's indexes lead with the partnership, and a second one would tempt the
            # planner to read a whole partnership's references into a bitmap.
            models.UniqueConstraint(fields=["reference", "partnership"], name="unique_reference_per_partnership")
        ]

    def __str__(self) -> str:
        return self.reference or "New referral"

    def save(self, *args, **kwargs) -> None:
        if self.sd_due_at is None:  # until its deadline is opened, listed by when it was received
            self.sd_due_at = self.received_at
        super().save(*args, **kwargs)

    @property
    def is_draft(self) -> bool:
        return self.status == ReferralStatus.DRAFT

    @property
    def awaiting_discussion(self) -> bool:
        return self.status == ReferralStatus.AWAITING_DISCUSSION

    @property
    def referrer_from(self) -> str:
        """The referrer's agency, or what was typed for a member of the public."""
        return self.referrer_agency.name if self.referrer_agency else self.referrer_organisation

    def strategy_discussion_deadline(self) -> "Deadline":
        """The case's current strategy discussion deadline (the referral's own until a discussion is held)."""
        if self.sd_deadline_id is None:
            raise Deadline.DoesNotExist("This referral has no strategy discussion deadline")
        return Deadline.objects.get(pk=self.sd_deadline_id)  # read afresh, as it is now


class ReferralUserObjectPermission(UserObjectPermissionBase):
    """Guardian grants on one referral to one user, in a table with a real foreign key (fast at scale)."""

    content_object = models.ForeignKey(Referral, on_delete=models.CASCADE)


class ReferralGroupObjectPermission(GroupObjectPermissionBase):
    """Guardian grants on one referral to an agency's group: an invitation to a strategy discussion (DOMAIN 2)."""

    content_object = models.ForeignKey(Referral, on_delete=models.CASCADE)


class ReferenceCounter(models.Model):
    """The last case number given in a partnership in a year: references are per partnership, never global.

    A global number would tell one partnership how many cases the others have; this one is
    locked and bumped in the transaction that logs the referral.
    """

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partnership", "year"], name="one_counter_per_year")]

    def __str__(self) -> str:
        return f"{self.partnership} {self.year}: {self.last_number}"


class PersonKind(models.TextChoices):
    CHILD = "child", "Child"
    HOUSEHOLD = "household", "Household member"
    ALLEGED_ABUSER = "alleged_abuser", "Alleged abuser"
    SIGNIFICANT_ADULT = "significant_adult", "Other significant adult"


OTHER_PERSON_KINDS = (PersonKind.ALLEGED_ABUSER, PersonKind.SIGNIFICANT_ADULT)


class EducationStatus(models.TextChoices):
    ON_ROLL = "on_roll", "Attends a school, nursery or college"
    NOT_ON_ROLL = "not_on_roll", "Not on a school roll"
    HOME_EDUCATED = "home_educated", "Home educated"
    NOT_SCHOOL_AGE = "not_school_age", "Not yet of nursery or school age"


class Plan(models.TextChoices):
    CHILD_PROTECTION = "child_protection", "Child protection plan"
    CHILD_IN_NEED = "child_in_need", "Child in need plan"


class Person(models.Model):
    """Someone on a case: a child, a household member, the alleged abuser or another significant adult.

    Never deleted (STYLE: nothing statutory is hard-deleted): removing someone marks them
    removed, with who and when; someone with a deadline (or later a decision or action)
    cannot be removed at all.
    """

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="people")
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
    communication_needs = models.CharField(max_length=500, blank=True)
    ethnicity = models.CharField(max_length=100, blank=True)
    religion = models.CharField(max_length=100, blank=True)
    # A child's (DOMAIN section 4, People).
    nhs_number = models.CharField("NHS number", max_length=10, blank=True)
    not_yet_mobile = models.BooleanField(default=False)
    education_status = models.CharField(max_length=20, choices=EducationStatus.choices, blank=True)
    education_setting = models.CharField(max_length=200, blank=True)
    gp = models.CharField("GP practice", max_length=200, blank=True)
    health_visitor_or_school_nurse = models.CharField(max_length=200, blank=True)
    plan = models.CharField(max_length=20, choices=Plan.choices, blank=True)
    placement = models.CharField(max_length=200, blank=True)
    responsible_authority = models.CharField(max_length=200, blank=True)
    # A child new to the area: the authority where they lived before, to ask for its information (issue 31).
    previous_authority = models.CharField("previous local authority", max_length=200, blank=True)
    in_hospital = models.BooleanField(default=False)
    hospital = models.CharField("hospital and ward", max_length=200, blank=True)
    # The alleged abuser's and other adults' (DOMAIN section 4: a child alleged abuser gets a discussion of their own).
    under_18 = models.BooleanField("a child (under 18)", default=False)
    works_with_children = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Names and aliases folded for search ("Zoë O’Brien" is found by "zoe o'brien"); kept by save().
    search_text = models.TextField(blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["search_text"])
    age: str | None  # in words ("7 weeks", "9"), set by the selectors for the page, not stored

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
        referral_search_text_refresh(self.referral_id)

    @property
    def full_name(self) -> str:
        if self.unborn and not self.first_name:
            return f"Unborn baby {self.last_name}".strip()
        return f"{self.first_name} {self.last_name}".strip()

    def age_on(self, day: date) -> int | None:
        """Whole years of age on `day`, or None if the date of birth is not known."""
        return years_of_age(self.date_of_birth, day) if self.date_of_birth else None

    def age_words_on(self, day: date) -> str | None:
        """The age on `day` in words (core.presenters.describe_age), or None if the date of birth is not known."""
        return describe_age(self.date_of_birth, day) if self.date_of_birth else None


_NOT_DECOMPOSED = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe"})
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def fold_for_search(text: str) -> str:
    """Lower case without accents or curly quotes, the same in SQLite and PostgreSQL."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_NOT_DECOMPOSED).translate(_QUOTES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def referral_search_text_refresh(referral_id: int) -> None:
    """Keep the referral's search text (what the list's trigram index holds) as its current people's folded names."""
    names = Person.objects.filter(referral_id=referral_id, removed_at=None).order_by("pk").values_list("search_text")
    Referral.objects.filter(pk=referral_id).update(search_text=" | ".join(text for (text,) in names))


def years_of_age(born: date, day: date) -> int:
    """Whole years between a birth date and `day` (a birthday on 29 February counts from 1 March)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class DeadlineState(models.TextChoices):
    OPEN = "open", "Open"
    MET = "met", "Met"
    STOPPED = "stopped", "Stopped"


class Deadline(models.Model):
    """One statutory clock of DOMAIN section 3, computed by the timescale engine once and stored.

    Every clock of every case lives in this one table, in the case app, so foreign keys only
    point down: the case and the child here; discussions and actions (apps above this one)
    point at their deadline. The rule says what a deadline belongs to (a strategy discussion
    rule, the minutes, a child's conference, an action). Each row carries what a watcher and
    a dashboard need without joining the rest: its partnership, who is responsible and for
    which agency, its state, and the due-soon and escalation moments (DOMAIN section 5),
    computed when it is stored (as healthchecks stores ``alert_after``), never at sweep time.
    """

    # Read by the open-deadline indexes that lead with it (a lone index lured counts into every deadline ever).
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="+", db_index=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="deadlines")
    child = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="deadlines")
    rule = models.CharField(max_length=30, choices=[(r.value, r.value) for r in Rule])
    starts_at = models.DateTimeField(help_text="The moment the clock started (e.g. when the referral was received).")
    due_at = models.DateTimeField()
    due_soon_at = models.DateTimeField(help_text="From here the responsible person is told it is due soon.")
    escalate_at = models.DateTimeField(help_text="Overdue by one working day more: the agency's leads are told.")
    # Read by the open-deadline indexes below only (dashboards, counts): an index over every deadline a person or
    # agency ever had would let the planner read them all for a page of open ones.
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deadlines",
        db_index=False,
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="deadlines", db_index=False
    )
    # Against the original deadline, always (DOMAIN section 1): a clock a person moved later keeps what it first was.
    original_due_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was first due; a move by a person never changes it."
    )
    # A date a person set (moved by a team manager, an agreed action, a reconvene or review date): the background
    # reschedule after a calendar change leaves it where it is and moves only computed clocks.
    set_by_person = models.BooleanField(default=False)
    moved_from = models.DateTimeField(null=True, blank=True, help_text="The due moment before the last move.")
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    moved_at = models.DateTimeField(null=True, blank=True)
    moved_reason = models.TextField(blank=True, help_text="Why a team manager moved it later.")
    times_moved = models.PositiveSmallIntegerField(default=0, help_text="How often a person moved it later.")
    state = models.CharField(max_length=10, choices=DeadlineState.choices, default=DeadlineState.OPEN)
    met_at = models.DateTimeField(null=True, blank=True, help_text="When it was met.")
    met_by = models.CharField(max_length=200, blank=True, help_text="What met it, e.g. strategy discussion held.")
    met_note = models.TextField(blank=True, help_text="What the step that met it found (a review's outcome).")
    met_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    # Paused while its meeting is in progress: the meeting's own clock is watched instead (DOMAIN section 1).
    paused = models.BooleanField(default=False)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=200, blank=True, help_text="Why it no longer applies.")
    # The watcher (DOMAIN section 5): the last alert stage raised for the current due moment, and when the next
    # one falls (due soon, overdue, escalation), so a sweep is one indexed query on open rows.
    alerted_stage = models.PositiveSmallIntegerField(default=0, editable=False)
    next_alert_at = models.DateTimeField(null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["alerted_stage", "next_alert_at"])

    class Meta:
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["next_alert_at"], condition=Q(state="open"), name="deadline_open_next_alert"),
            # The watcher: open deadlines by the next moment that matters (DOMAIN section 5).
            models.Index(fields=["due_soon_at"], condition=Q(state="open"), name="deadline_open_due_soon"),
            models.Index(fields=["due_at"], condition=Q(state="open"), name="deadline_open_due"),
            models.Index(fields=["escalate_at"], condition=Q(state="open"), name="deadline_open_escalate"),
            # Dashboards: mine, my agency's, my partnership's, soonest first.
            models.Index(fields=["responsible", "due_at", "id"], condition=Q(state="open"), name="deadline_open_mine"),
            models.Index(fields=["agency", "due_at", "id"], condition=Q(state="open"), name="deadline_open_agency"),
            models.Index(
                fields=["partnership", "due_at", "id"], condition=Q(state="open"), name="deadline_open_partner"
            ),
            # One kind of clock of a partnership, soonest first: the minutes to circulate on business support's
            # home page (work.selectors), the dashboard's filter by kind.
            models.Index(
                fields=["partnership", "rule", "due_at", "id"], condition=Q(state="open"), name="deadline_open_rule"
            ),
            # Rescheduling a partnership walks its open clocks in key order, a batch at a time.
            models.Index(fields=["partnership", "id"], condition=Q(state="open"), name="deadline_open_partner_key"),
            # A partnership's strategy discussion clocks due in a month, whatever their state: the repeated-delays
            # alert counts those met late or overdue (actions.alerts.delays_check), one range per partnership.
            models.Index(
                fields=["partnership", "due_at"],
                condition=Q(
                    rule__in=["SD_SAME_DAY", "SD_IMMEDIATE_ACTION", "SD_STANDARD", "SD_COMPLEX", "SD_MISSING_CHILD"]
                ),
                name="deadline_discussion_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(state="open", met_at=None, stopped_at=None)
                    | (Q(state="met", stopped_at=None) & ~Q(met_at=None))
                    | (Q(state="stopped", met_at=None) & ~Q(stopped_at=None) & ~Q(stop_reason=""))
                ),
                name="deadline_state_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} due {self.due_at:%Y-%m-%d %H:%M} ({self.state})"

    @property
    def met_late(self) -> bool:
        return self.met_at is not None and self.met_at > self.due_at

    @property
    def moved(self) -> bool:
        return self.times_moved > 0


class CaseView(AppendOnly):
    """Who looked at which case, when, from which page: append-only (rows are never changed or deleted).

    Written in the same request as the page, never through the queue, so a read is not
    left unrecorded because a worker or Redis is down.
    """

    change_refused = "Case view records cannot be changed"
    delete_refused = "Case view records cannot be deleted"

    # Both indexed by the log's (user, ...) and (referral, ...) indexes below.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="views", db_index=False)
    page = models.CharField(max_length=100)
    viewed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-viewed_at"]
        indexes = [
            # "Who has looked at this child's record" and "what has this user looked at", newest first (read backwards).
            models.Index(fields=["referral", "viewed_at", "id"], name="caseview_by_case"),
            models.Index(fields=["user", "viewed_at", "id"], name="caseview_by_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} viewed {self.referral} ({self.page})"


class ListLook(AppendOnly):
    """A list or search that showed children's names: who, which page, the query, and which cases it returned.

    One row per list shown (not per case). Append-only like the case view log, enforced by the database.
    """

    change_refused = "List records cannot be changed"
    delete_refused = "List records cannot be deleted"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )  # indexed by (user, looked_at, id)
    page = models.CharField(max_length=100)
    query = models.CharField(max_length=500, blank=True)
    referral_ids = models.JSONField(default=list)
    looked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-looked_at"]
        indexes = [models.Index(fields=["user", "looked_at", "id"], name="listlook_by_user")]

    def __str__(self) -> str:
        return f"{self.user} listed {len(self.referral_ids)} cases ({self.page})"


class ListedCase(AppendOnly):
    """One case a list showed: the list log by case, so "which lists showed this case" is one index range.

    Written with its list in one statement (`referrals.services.list_look_record`): one narrow row per case shown,
    appended to a plain table whose only index is its key, (case, moment, list). The case's lists are read newest
    first as one range of that key however many lists the case was ever part of (issue 28; the list's own array
    with a GIN index cost a GIN insert per list and a sort of every list that ever showed the case per read).

    No foreign-key constraints: the rows are the list's own, checked against it by the database (migration
    0026: the list exists, showed this case and has this moment), and a constraint would lock every listed case
    (FOR KEY SHARE) on each list view. Append-only like the list; summarised, never silently deleted, after the
    retention period (`manage.py audit_summarise`, docs/operations.md).
    """

    change_refused = "List records cannot be changed"
    delete_refused = "List records cannot be deleted"

    pk = models.CompositePrimaryKey("referral_id", "looked_at", "look_id")
    # A case with rows here is not deleted (as with its case views); a list is never deleted but by the retention
    # job, in SQL, with its rows.
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    look = models.ForeignKey(
        ListLook, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    looked_at = models.DateTimeField()  # the list's own moment (ListLook.looked_at), checked by the database

    def __str__(self) -> str:
        return f"list {self.look_id} showed case {self.referral_id}"


class ListLookMonth(AppendOnly):
    """The list log past its retention period, summarised: how many lists showed a user a case in a month (a row
    with no case: lists that showed that user no case). Made by `manage.py audit_summarise` as the database owner;
    the app only reads it."""

    change_refused = "List summaries cannot be changed"
    delete_refused = "List summaries cannot be deleted"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Indexed by the unique (referral, month, user) below: a case's summary is one range of it.
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="+", null=True, db_index=False)
    month = models.DateField(help_text="The first day of the month (Europe/London)")
    lists = models.PositiveIntegerField()
    summarised_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "month", "user"], condition=Q(referral__isnull=False), name="listlookmonth_once"
            ),
            models.UniqueConstraint(
                fields=["user", "month"], condition=Q(referral__isnull=True), name="listlookmonth_no_case_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.lists} lists showing {self.referral_id} in {self.month:%Y-%m}"
