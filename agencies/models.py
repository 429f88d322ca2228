"""Partnerships, agencies, people and their roles (DOMAIN section 2)."""

from datetime import time
from typing import ClassVar, TypeGuard

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.models import UserManager as AuthUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from core.history import HistoricalRecords
from core.models import AppendOnly


class Jurisdiction(models.TextChoices):
    ENGLAND = "ENG", "England"
    WALES = "WLS", "Wales"
    SCOTLAND = "SCT", "Scotland"
    NORTHERN_IRELAND = "NIR", "Northern Ireland"


def validate_end_of_working_day(value: time) -> None:
    if not time(12, 0) <= value <= time(22, 0):
        raise ValidationError("The end of the working day must be between 12:00 and 22:00")


def validate_start_of_working_day(value: time) -> None:
    if not time(6, 0) <= value <= time(12, 0):
        raise ValidationError("The start of the working day must be between 06:00 and 12:00")


# DOMAIN section 1's list, and the harms issue 24 adds: child-on-child, extra-familial and pre-birth concerns.
MEETING_HARMS_DEFAULT = "organised,fii,position_of_trust,child_on_child,extra_familial,unborn"


class Partnership(models.Model):
    """A local safeguarding children partnership; its settings feed the timescale engine."""

    name = models.CharField(max_length=200, unique=True)
    jurisdiction = models.CharField(
        max_length=3,
        choices=Jurisdiction.choices,
        default=Jurisdiction.ENGLAND,
        help_text="Whose bank holidays count as non-working days.",
    )
    standard_sd_days = models.PositiveSmallIntegerField(
        "standard strategy discussion working days",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Working days to hold a standard strategy discussion (usually 3; some partnerships use 2).",
    )
    end_of_working_day = models.TimeField(
        default=time(17, 0),
        validators=[validate_end_of_working_day],
        help_text="Working-day deadlines fall due at this time, London time (usually 17:00).",
    )
    start_of_working_day = models.TimeField(
        default=time(9, 0),
        validators=[validate_start_of_working_day],
        help_text="Before this time, London time, and from the end of the working day on, is out of hours: an urgent "
        "disagreement then goes to whoever is on call too (DOMAIN section 7; usually 09:00).",
    )
    due_soon_percent = models.PositiveSmallIntegerField(
        "due soon at (% of the time left)",
        default=25,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text="A deadline is due soon when this share of its time is left (DOMAIN section 5; usually 25).",
    )
    minutes_hours = models.PositiveSmallIntegerField(
        "hours to circulate the minutes",
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text="The minutes are due this many hours after the discussion ends (DOMAIN section 3; usually 48).",
    )
    meeting_not_ended_hours = models.PositiveSmallIntegerField(
        "hours before a meeting left running is chased",
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text="A meeting started and not ended (or abandoned) after this many hours is chased like any other "
        "deadline (DOMAIN section 3; usually 4).",
    )
    # A professional disagreement's stage clocks (DOMAIN section 7; the guidance gives no time, so these defaults).
    disagreement_stage_1_days = models.PositiveSmallIntegerField(
        "working days for a disagreement's first stage",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Practitioner to practitioner: the one disagreed with responds within this many working days "
        "(DOMAIN section 7; usually 1).",
    )
    disagreement_stage_2_days = models.PositiveSmallIntegerField(
        "working days for a disagreement's second stage",
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="The line managers talk directly and resolve it within this many working days "
        "(DOMAIN section 7; usually 2).",
    )
    delays_alert_after = models.PositiveSmallIntegerField(
        "discussions late in a month before the leads are alerted",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="When more than this many strategy discussions in a month miss their timescale, the strategy "
        "discussion leads are alerted (and the partnership's administrators at twice as many; DOMAIN section 7; "
        "usually 3).",
    )
    disagreement_stage_3_days = models.PositiveSmallIntegerField(
        "working days for a disagreement's third stage",
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="A strategy discussion is held to resolve it, and its result recorded, within this many working "
        "days (DOMAIN section 7; the guidance gives no time: 5, as for a complex discussion).",
    )
    reference_prefix = models.CharField(
        max_length=10,
        default="DSC",
        validators=[RegexValidator(r"^[A-Z]{2,10}$", "The reference prefix must be 2 to 10 capital letters")],
        help_text="Case references read PREFIX-YEAR-NUMBER, for example DSC-2026-00017. "
        "Changing it affects new cases only.",
    )
    meeting_harms = models.CharField(
        "harms that need a meeting rather than calls",
        max_length=500,
        default=MEETING_HARMS_DEFAULT,
        validators=[RegexValidator(r"^[a-z_]+(,[a-z_]+)*$", "List concern codes separated by commas")],
        help_text="Concern codes, separated by commas: a discussion about one of them held by telephone shows a "
        "warning (DOMAIN section 1; usually organised, fii, position_of_trust, child_on_child, extra_familial, "
        "unborn).",
    )
    max_entry_characters = models.PositiveIntegerField(
        "most characters in an entry of information",
        default=5000,
        validators=[MinValueValidator(500), MaxValueValidator(20000)],
        help_text="The longest text an agency's information, its checks or the manager's reason may be, each (usually "
        "5,000: about two pages). It bounds what the minutes print.",
    )
    # When the calendar last changed, and when the open deadlines last caught up with it (in Celery).
    calendar_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    deadlines_moved_at = models.DateTimeField(null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["calendar_changed_at", "deadlines_moved_at"])

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        start, end = self.start_of_working_day, self.end_of_working_day
        if isinstance(start, time) and isinstance(end, time) and start >= end:
            raise ValidationError({"start_of_working_day": "The start of the working day must be before its end"})

    @property
    def deadlines_moving(self) -> bool:
        """The calendar changed and the open deadlines have not yet been moved to it."""
        return self.calendar_changed_at is not None and (
            self.deadlines_moved_at is None or self.deadlines_moved_at < self.calendar_changed_at
        )

    def meeting_harm_codes(self) -> list[str]:
        return [code.strip() for code in self.meeting_harms.split(",") if code.strip()]

    @property
    def due_soon_share(self) -> float:
        return self.due_soon_percent / 100


class ClosureDay(models.Model):
    """A local closure day: not a working day for this partnership's deadlines."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="closure_days")
    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["partnership", "date"], name="unique_closure_day")]

    def __str__(self) -> str:
        return f"{self.date:%-d %B %Y} {self.reason}".strip()


class AgencyType(models.TextChoices):
    CHILDRENS_SOCIAL_CARE = "csc", "Children's social care"
    POLICE = "police", "Police"
    HEALTH = "health", "Health"
    EDUCATION = "education", "Education"
    PROBATION = "probation", "Probation"
    HOUSING = "housing", "Housing"
    CARE_PROVIDER = "care_provider", "Care provider (foster carer or residential)"
    SPECIALIST = "specialist", "Specialist"
    OTHER = "other", "Other"


CORE_AGENCY_TYPES = (AgencyType.CHILDRENS_SOCIAL_CARE, AgencyType.POLICE, AgencyType.HEALTH)


class Agency(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="agencies")
    agency_type = models.CharField(max_length=20, choices=AgencyType.choices)
    name = models.CharField(max_length=200)
    # Its members, kept in step by agencies.services: invitations grant case access to this group (guardian).
    group = models.OneToOneField(
        Group, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="agency"
    )
    history = HistoricalRecords(excluded_fields=["group"])

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["partnership", "name"], name="unique_agency_name")]

    def __str__(self) -> str:
        return self.name


class RoleCode(models.TextChoices):
    SOCIAL_WORKER = "social_worker", "Social worker"
    TEAM_MANAGER = "team_manager", "Team manager"
    HEAD_OF_SERVICE = "head_of_service", "Head of service / strategy discussion lead"
    POLICE_OFFICER = "police_officer", "Police officer"
    HEALTH_PRACTITIONER = "health_practitioner", "Health practitioner"
    EDUCATION_DSL = "education_dsl", "Designated safeguarding lead (education)"
    OTHER_PRACTITIONER = "other_practitioner", "Other practitioner"
    BUSINESS_SUPPORT = "business_support", "Business support administrator"
    PARTNERSHIP_ANALYST = "partnership_analyst", "Partnership analyst"


class Role(models.Model):
    """One of the roles of DOMAIN section 2; rows are created by a data migration."""

    code = models.CharField(max_length=40, primary_key=True, choices=RoleCode.choices)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.get_code_display()


# Who may be named on a case (an invitee, an action's lead): practitioners of any agency, never an analyst.
PRACTITIONER_ROLES = (
    RoleCode.SOCIAL_WORKER,
    RoleCode.TEAM_MANAGER,
    RoleCode.POLICE_OFFICER,
    RoleCode.HEALTH_PRACTITIONER,
    RoleCode.EDUCATION_DSL,
    RoleCode.OTHER_PRACTITIONER,
    RoleCode.HEAD_OF_SERVICE,
)
# Who may be the case's allocated social worker: CSC social workers and team managers.
ALLOCATABLE_ROLES = (RoleCode.SOCIAL_WORKER, RoleCode.TEAM_MANAGER)


class UserQuerySet(models.QuerySet):
    """The rules about who may chair, be allocated or take part (DOMAIN section 2), each written once: the lists
    the forms offer are these querysets, and the predicates the services check (`may_chair`, `may_be_allocated`,
    `may_take_part` below) ask them about one user."""

    def practitioners(self) -> "UserQuerySet":
        """Active practitioners (an invitee, an action's lead, an attendee): never an analyst."""
        return self.filter(is_active=True, roles__code__in=PRACTITIONER_ROLES).distinct()

    def _csc_of(self, partnership_id: int | None) -> "UserQuerySet":
        return self.filter(
            is_active=True,
            agency__partnership_id=partnership_id or 0,
            agency__agency_type=AgencyType.CHILDRENS_SOCIAL_CARE,
        )

    def chairs(self, partnership_id: int | None) -> "UserQuerySet":
        """Who may chair a strategy discussion: the partnership's CSC team managers (DOMAIN section 2)."""
        return self._csc_of(partnership_id).filter(roles__code=RoleCode.TEAM_MANAGER).distinct()

    def allocatable(self, partnership_id: int | None) -> "UserQuerySet":
        """Who may be a case's allocated social worker: the partnership's CSC social workers and team managers."""
        return self._csc_of(partnership_id).filter(roles__code__in=ALLOCATABLE_ROLES).distinct()


class UserManager(AuthUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A person who signs in. Membership: one agency, one or more roles within it."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="members", null=True, blank=True)
    roles = models.ManyToManyField(Role, blank=True, related_name="users")
    job_title = models.CharField(max_length=200, blank=True)
    line_manager = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        help_text="Who is told when this person's deadlines are overdue (for a social worker: the team manager).",
    )
    # Made by the demo data (seed_demo), whose password and authenticator key are published: with DEBUG off,
    # `check --deploy` fails and the server does not start while one is active (agencies/checks.py).
    is_demo = models.BooleanField(default=False, editable=False)
    history = HistoricalRecords(excluded_fields=["password", "last_login"], m2m_fields=[roles])

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    def save(self, *args, **kwargs) -> None:
        if self.__dict__.pop("_demo_password", False):
            # Whoever sets it (a form, a shell, a command): production never stores a published password.
            raise ValidationError("This password is published with the demo data: choose another")
        # Signing in only stamps last_login, which history leaves out: no empty "Changed" row for it.
        if kwargs.get("update_fields") and set(kwargs["update_fields"]) <= {"last_login"}:
            self.skip_history_when_saving = True
        adding = self._state.adding
        try:
            super().save(*args, **kwargs)
        finally:
            self.__dict__.pop("skip_history_when_saving", None)
        if self.__dict__.pop("_password_changed", False) and not adding:
            auth_event_record(kind=AuthEventKind.PASSWORD_CHANGED, user=self, detail="Password changed")

    def set_password(self, raw_password: str | None) -> None:
        from agencies.demo import is_demo_password

        super().set_password(raw_password)
        self._password_changed = True  # the sign-in audit records it once saved
        self._demo_password = not settings.DEBUG and is_demo_password(raw_password)

    def role_codes(self) -> frozenset[str]:
        """The user's role codes, cached on the instance for the length of a request."""
        cached = getattr(self, "_role_codes", None)
        if cached is None:
            cached = frozenset(self.roles.values_list("code", flat=True)) if self.pk else frozenset()
            self._role_codes = cached
        return cached

    def has_role(self, *codes: str) -> bool:
        return bool(self.role_codes() & set(codes))

    @property
    def partnership_id(self) -> int | None:
        agency = self.agency if self.agency_id else None
        return agency.partnership_id if agency is not None else None

    def clean(self) -> None:
        super().clean()
        if self.line_manager_id and self.line_manager_id == self.pk:
            raise ValidationError({"line_manager": "A person cannot be their own line manager"})
        manager = self.line_manager if self.line_manager_id else None
        if manager is not None and self.agency_id and manager.agency_id != self.agency_id:
            raise ValidationError({"line_manager": "The line manager must work for the same agency"})

    def __str__(self) -> str:
        return self.get_full_name() or self.username


def _is_user(user: object) -> TypeGuard[User]:
    return isinstance(user, User) and user.pk is not None


def may_chair(user: object, partnership_id: int | None) -> bool:
    """One of `User.objects.chairs(partnership_id)`."""
    return _is_user(user) and User.objects.chairs(partnership_id).filter(pk=user.pk).exists()


def may_be_allocated(user: object, partnership_id: int | None) -> bool:
    """One of `User.objects.allocatable(partnership_id)`."""
    return _is_user(user) and User.objects.allocatable(partnership_id).filter(pk=user.pk).exists()


def may_take_part(user: object, agency: Agency) -> bool:
    """One of `User.objects.practitioners()`, of that agency."""
    return _is_user(user) and User.objects.practitioners().filter(agency=agency, pk=user.pk).exists()


class AuthEventKind(models.TextChoices):
    SIGNED_IN = "signed_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGNED_OUT = "signed_out", "Signed out"
    PASSWORD_CHANGED = "password_changed", "Password changed or reset"
    ROLES_CHANGED = "roles_changed", "Roles changed"
    AGENCY_CHANGED = "agency_changed", "Agency changed"
    ACTIVE_CHANGED = "active_changed", "Activated or deactivated"
    LOCKED_OUT = "locked_out", "Locked out after failed sign-ins"
    UNLOCKED = "unlocked", "Unlocked by an administrator"
    RESET_LINK_SENT = "reset_link_sent", "Password reset link sent"
    TWO_FACTOR_SET_UP = "two_factor_set_up", "Two-factor sign-in set up"
    TWO_FACTOR_FAILED = "two_factor_failed", "Wrong two-factor code"
    TWO_FACTOR_REMOVED = "two_factor_removed", "Two-factor sign-in removed by an administrator"
    RECOVERY_CODE_USED = "recovery_code_used", "Signed in with a recovery code"
    ADDRESS_LIMITED = "address_limited", "Sign-in refused: too many failures from one address"
    EMAIL_CHANGE_REQUESTED = "email_change_requested", "Email change asked for (waits for the new address)"
    EMAIL_CHANGED = "email_changed", "Email address changed (confirmed from the new address)"
    RESET_REQUESTED = "reset_requested", "Reset asked for (waits for a second approval)"
    RESET_APPROVED = "reset_approved", "Reset approved by a second person"
    RESET_DECLINED = "reset_declined", "Reset declined by a second person"


class AuthEvent(AppendOnly):
    """The sign-in audit: sign-ins, failed sign-ins (the username tried, never the password), sign-outs,
    password changes and resets, role, agency and active changes (who changed what for whom). Append-only."""

    change_refused = "Sign-in audit records cannot be changed"
    delete_refused = "Sign-in audit records cannot be deleted"

    kind = models.CharField(max_length=30, choices=AuthEventKind.choices)
    username = models.CharField(max_length=150, blank=True)
    user = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="auth_events")
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    detail = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        # The sign-in records page: the partnership's events newest first, a page at a time by keyset (core.pages).
        indexes = [models.Index(fields=["partnership", "at", "id"], name="authevent_partner_list")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.username}"


def auth_event_record(
    *, kind: str, user: User | None = None, username: str = "", actor: User | None = None, detail: str = ""
) -> AuthEvent:
    """Record one sign-in audit event; the partnership is the user's, so its administrators see it."""
    partnership_id = user.partnership_id if user is not None else None
    return AuthEvent.objects.create(
        kind=kind,
        user=user,
        username=(user.username if user is not None else username)[:150],
        actor=actor,
        partnership_id=partnership_id,
        detail=detail[:500],
    )


class ResetKind(models.TextChoices):
    TWO_FACTOR = "two_factor", "Remove two-factor sign-in"
    PASSWORD_LINK = "password_link", "Send a password reset link"


class AccountReset(models.Model):
    """A reset of a manager's or administrator's sign-in, asked for by one administrator and carried out only
    when a second administrator (or a head of service) approves it (four eyes; agencies/resets.py)."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="resets")
    kind = models.CharField(max_length=20, choices=ResetKind.choices)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    approved = models.BooleanField(null=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.user.username}"


class UserSession(models.Model):
    """Which sessions a user signed in with, so deactivating them ends every one at once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    signed_in_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} session"


class Duty(models.TextChoices):
    """Who is called out of hours (DOMAIN section 7)."""

    EMERGENCY_DUTY_TEAM = "edt", "Emergency duty team"
    SENIOR_MANAGER = "senior_manager", "On-call senior manager"


ON_CALL_MAX_DAYS = 366  # one row is a spell of duty: a year at most, so a typing mistake cannot cover decades


class OnCall(models.Model):
    """One spell on the partnership's on-call rota: who is on a duty from one date to another, inclusive (a date is
    the whole London day). An urgent disagreement raised out of hours goes to whoever is on call at that moment."""

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="on_call")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="on_call")
    duty = models.CharField(max_length=20, choices=Duty.choices)
    starts_on = models.DateField("first day")
    ends_on = models.DateField("last day", help_text="Inclusive: they are on call until midnight at the end of it.")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "on-call spell"
        verbose_name_plural = "on-call rota"
        ordering = ["starts_on", "duty", "pk"]
        indexes = [models.Index(fields=["partnership", "duty", "ends_on"], name="oncall_by_end")]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="oncall_ends_after")
        ]

    def __str__(self) -> str:
        return f"{self.get_duty_display()}: {self.user} {self.starts_on:%d %b %Y} to {self.ends_on:%d %b %Y}"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.starts_on and self.ends_on:
            if self.ends_on < self.starts_on:
                errors["ends_on"] = "The last day must be the same as or after the first day"
            elif (self.ends_on - self.starts_on).days + 1 > ON_CALL_MAX_DAYS:
                errors["ends_on"] = f"A spell on call must be {ON_CALL_MAX_DAYS} days or fewer: add another for more"
        user = self.user if self.user_id else None
        if user is not None:
            agency = user.agency if user.agency_id else None
            if not user.is_active:
                errors["user"] = "Select someone whose account is active"
            elif agency is None or agency.partnership_id != self.partnership_id:
                errors["user"] = "Select someone of an agency of this partnership"
        if errors:
            raise ValidationError(errors)
