"""The partnership's timeliness report (DOMAIN section 8): fact rows, and the monthly counts built from them.

Nothing here is read by a case page, and nothing here names a child: a fact carries only a partnership, a month,
an urgency, an agency, a category and the times and outcomes a measure needs. The report page reads `Cell` rows
only (a few hundred a month, however many cases), never the case tables (issue 29).

- `Fact`: one narrow row per referral received, case closed without a discussion, discussion held, agency
  invited, child's decision, minutes clock, conference or assessment clock, action and clock moved later. Kept by
  `reports.facts` from the case's own rows whenever they change (the Celery task follows the history tables), so
  every fact of a case is rebuilt together. Facts with no referral are the demo's year of past months
  (`seed_demo`), which no rebuild of a case touches.
- `Cell`: how many facts of one kind fell in one month, per urgency, agency and category, with a histogram of
  hours or working days where a measure takes a median (`reports.cells`): medians and percentiles over any range
  are exact, from the merged histograms, never averaged from monthly medians.
- `Watermark`: how far the task has read each history table.
"""

from django.db import models

from agencies.models import Agency, Partnership


class FactKind(models.TextChoices):
    REFERRAL = "referral", "Referral received"
    CLOSED = "closed", "Case closed without a discussion held"
    DISCUSSION = "discussion", "Strategy discussion held"
    INVITATION = "invitation", "Agency invited to a discussion held"
    DECISION = "decision", "A child's decision"
    MINUTES = "minutes", "Minutes of a discussion held"
    ICPC = "icpc", "Initial child protection conference clock"
    ASSESSMENT = "assessment", "Assessment clock"
    ACTION = "action", "Action"
    MOVED = "moved", "Clock moved later"
    DISAGREEMENT = "disagreement", "Professional disagreement"


class Fact(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=12, choices=FactKind.choices)
    # The case the fact was built from (every fact of a case is rebuilt together); null for the demo's past months.
    referral_id = models.BigIntegerField(null=True, blank=True)
    month = models.DateField(help_text="The first day of the London month the fact counts in.")
    urgency = models.CharField(max_length=30, blank=True)
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    category = models.CharField(max_length=40, blank=True)
    # A clock's state when the fact was built: met, open or stopped; due is the original due moment.
    state = models.CharField(max_length=10, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    on_time = models.BooleanField(null=True, blank=True, help_text="Met by the original due moment.")
    hours = models.FloatField(null=True, blank=True)
    working_days = models.PositiveIntegerField(null=True, blank=True)
    police_present = models.BooleanField(null=True, blank=True)
    health_present = models.BooleanField(null=True, blank=True)
    flag = models.BooleanField(null=True, blank=True, help_text="Per kind: s47, authorised in the meeting, ...")
    second_flag = models.BooleanField(null=True, blank=True)
    times = models.PositiveSmallIntegerField(default=1, help_text="Per kind: moves of a clock; a disagreement's stage.")

    class Meta:
        indexes = [
            models.Index(fields=["partnership", "month"], name="fact_partnership_month"),
            models.Index(fields=["referral_id"], name="fact_referral"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.month:%Y-%m}"


class Cell(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()
    counter = models.CharField(max_length=40)
    urgency = models.CharField(max_length=30, blank=True)
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    category = models.CharField(max_length=40, blank=True)
    count = models.PositiveIntegerField(default=0)
    # Whole hours (or working days) -> how many facts took that long, as {"12": 3}; only on the timed counters.
    histogram = models.JSONField(null=True, blank=True)
    built_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["partnership", "month"], name="cell_partnership_month")]

    def __str__(self) -> str:
        return f"{self.counter} {self.month:%Y-%m}: {self.count}"


class Watermark(models.Model):
    """The last history row of one table the report's task has read."""

    name = models.CharField(max_length=100, primary_key=True)
    last_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_id}"
