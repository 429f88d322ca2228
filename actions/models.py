"""SMART actions agreed in a strategy discussion (DOMAIN section 4), each with its ACTION deadline.

An action is work on a case led by one agency. This app sits below `strategy` and never names a discussion: the
link from an action to the discussion that agreed it is strategy's (`strategy.models.DiscussionAction`), written by
the strategy services when they create an action through `actions.services`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from agencies.models import Agency, Partnership
from core.history import HistoricalRecords
from core.presenters import shortened
from referrals.models import Deadline, Person, Referral


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class Action(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="actions")
    child = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="actions")
    what = models.TextField("what will be done")
    measure = models.TextField("how we will know it is done")
    # Indexed by the lists' (lead_agency, ...) and (person, ...) indexes; a lone index of their own would let the
    # planner read a person's or an agency's every action to count a page's worth.
    lead_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="actions", db_index=False)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
        db_index=False,
    )
    contact_name = models.CharField("named contact", max_length=200, blank=True)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    # Done or cancelled: kept on the row (by save) so the lists sort unfinished first straight from an index.
    finished = models.BooleanField(default=False, editable=False)
    completion_note = models.TextField(blank=True)
    cancel_reason = models.TextField(blank=True)
    deadline = models.OneToOneField(Deadline, on_delete=models.PROTECT, related_name="action")
    automatic = models.BooleanField(default=False, help_text="Created by the system, e.g. to obtain information.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    # From the form that agreed it: the same form sent twice agrees one action.
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # What the minutes show (DOMAIN section 6: the action plan as agreed when the meeting ended): frozen when the
    # meeting ends, or when the action is added to the record after it; changed only by the chair's correction of
    # what was agreed, never by later progress (status, a new due date, a new named person).
    agreed = models.JSONField(
        "as agreed at the meeting", null=True, blank=True, editable=False, help_text="See `actions.services.agreed`."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            # "My agency's actions" and "My actions": unfinished first, then by due moment, a page at a time.
            models.Index(fields=["lead_agency", "finished", "due_at", "id"], name="action_agency_list"),
            models.Index(fields=["person", "finished", "due_at", "id"], name="action_person_list"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(person=None) | ~Q(contact_name="") | Q(automatic=True), name="action_has_named_person"
            )
        ]

    def __str__(self) -> str:
        return shortened(self.what)

    def save(self, *args, **kwargs) -> None:
        self.finished = self.status in (ActionStatus.DONE, ActionStatus.CANCELLED)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "finished"}
        super().save(*args, **kwargs)

    @property
    def lead_name(self) -> str:
        return str(self.person) if self.person_id else self.contact_name or f"{self.lead_agency} (to allocate)"


class AlertStage(models.IntegerChoices):
    """DOMAIN section 5: due soon -> the responsible person; overdue -> them and their manager (or the agency's
    leads); overdue by a working day more -> the agency's heads of service / strategy discussion leads."""

    DUE_SOON = 1, "Due soon"
    OVERDUE = 2, "Overdue"
    ESCALATED = 3, "Overdue by a working day more"


class AlertKind(models.TextChoices):
    """What an alert is about: a deadline's stage (DOMAIN section 5), or something that is no deadline's."""

    DEADLINE = "deadline", "Deadline"
    URGENT_DISAGREEMENT = "urgent_disagreement", "Urgent disagreement: a child at immediate risk"
    REPEATED_DELAYS = "repeated_delays", "Repeated delays in holding strategy discussions"
    ROTA_ENDING = "rota_ending", "The on-call rota is running out"
    DISAGREEMENT_RECORDED = "disagreement_recorded", "A stage of a disagreement you raised was recorded"


class Alert(models.Model):
    """One alert, raised once whatever the sweeps, workers or retries: a deadline's stage at one due moment; or one
    of the other kinds, once per key (an urgent disagreement, a partnership's month of delays, a rota's last date).

    An alert of another kind carries its own partnership, a link (a path in the app: never a child's details) and a
    short message (never a child's name or any case detail: it is shown in the app and emailed)."""

    # Database defaults too, so rows inserted in bulk by SQL (bench/generate.py) are deadline alerts.
    kind = models.CharField(
        max_length=30, choices=AlertKind.choices, default=AlertKind.DEADLINE, db_default=AlertKind.DEADLINE
    )
    deadline = models.ForeignKey(Deadline, on_delete=models.PROTECT, related_name="alerts", null=True, blank=True)
    stage = models.PositiveSmallIntegerField(choices=AlertStage.choices, null=True, blank=True)
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="The due moment it was raised for: a moved deadline is judged afresh."
    )
    raised_at = models.DateTimeField()
    key = models.CharField(
        max_length=100,
        blank=True,
        default="",
        db_default="",
        help_text="What it is about, once per kind: disagreement:12.",
    )
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    link = models.CharField(
        max_length=200, blank=True, default="", db_default="", help_text="Where it is acted on: a path in the app."
    )
    message = models.CharField(max_length=300, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["deadline", "stage", "due_at"],
                condition=Q(kind="deadline"),
                name="one_alert_per_deadline_stage",
            ),
            models.UniqueConstraint(fields=["kind", "key"], condition=~Q(kind="deadline"), name="one_alert_per_key"),
            models.CheckConstraint(
                condition=(
                    Q(kind="deadline", deadline__isnull=False, stage__isnull=False, due_at__isnull=False)
                    | (~Q(kind="deadline") & Q(deadline=None, partnership__isnull=False) & ~Q(key="") & ~Q(link=""))
                ),
                name="alert_kind_complete",
            ),
        ]

    def __str__(self) -> str:
        if self.kind != AlertKind.DEADLINE:
            return f"{self.get_kind_display()}: {self.key}"
        return f"{self.get_stage_display()}: {self.deadline}"


class Notification(models.Model):
    """An alert as one person receives it: in the app (read or not) and by email (a link only)."""

    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="notifications")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications", db_index=False
    )  # indexed by (user, -id) and the unread index
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # The email still to send: when the next sweep may try it (a sender's claim moves it a few minutes on);
    # empty once sent, or when the person had no email address.
    email_next_try_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-pk"]
        constraints = [models.UniqueConstraint(fields=["alert", "user"], name="one_notification_per_person")]
        indexes = [
            models.Index(fields=["user", "-id"], name="notification_by_user"),
            models.Index(fields=["user"], condition=Q(read_at=None), name="notification_unread"),
            models.Index(
                fields=["email_next_try_at"],
                condition=Q(email_next_try_at__isnull=False),
                name="notification_email_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alert} for {self.user}"
