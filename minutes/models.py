"""Minutes of a strategy discussion (DOMAIN section 6): approved versions, their PDFs, who they go to.

The record is the minutes: approving it freezes a numbered version holding the record as it
then was (a snapshot), and its PDFs (the full minutes and, when the chair decided to share
something with the family, the family summary) are rendered from that snapshot once and kept
with their SHA-256, so what was circulated can be retrieved later byte for byte.

The family never get the minutes (DOMAIN section 6). The "family version of the minutes" made
before the family summary existed is superseded: its stored PDFs stay readable to CSC, nothing
new is rendered or sent as one, and its emailed links still in date were withdrawn.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.history import HistoricalRecords
from core.models import AppendOnly, Unchangeable
from strategy.models import Discussion, Invitation


class Kind(models.TextChoices):
    FULL = "full", "Full version"
    SUMMARY = "summary", "Family summary"
    # Superseded: kept for the PDFs and circulations made before the family summary; never rendered or sent again.
    FAMILY = "family", "Family version of the minutes (superseded)"


class MinutesVersion(Unchangeable):
    """One approved version (v1, v2...) of a discussion's minutes; never changed once made."""

    change_refused = "An approved version of the minutes cannot be changed: approve a new one"

    discussion = models.ForeignKey(Discussion, on_delete=models.PROTECT, related_name="minutes_versions")
    number = models.PositiveSmallIntegerField()
    snapshot = models.JSONField(help_text="The record as approved: what the PDFs are rendered from.")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField()

    class Meta:
        ordering = ["discussion", "-number"]
        constraints = [models.UniqueConstraint(fields=["discussion", "number"], name="one_minutes_version_number")]

    def __str__(self) -> str:
        return f"v{self.number}"


class MinutesDocument(AppendOnly):
    """One rendered PDF (the full minutes or the family summary) of an approved version, stored once."""

    version = models.ForeignKey(MinutesVersion, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    pages = models.PositiveSmallIntegerField()
    rendered_at = models.DateTimeField()
    # Rendered once, then only read (documents_ensure only creates).
    change_refused = "A rendered PDF of the minutes cannot be changed"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "kind"], name="one_document_per_version_kind")]

    def __str__(self) -> str:
        return f"{self.version} {self.kind}"


class DraftDocument(models.Model):
    """The latest draft PDF (full minutes or family summary) of a discussion, rendered by the worker (issue 28).

    A cache, not a record: it is served while the record's snapshot still hashes to `snapshot_sha256` (the same
    snapshot renders the same document) and replaced by the worker once the record changes and a draft is asked
    for again. One row per discussion and kind. Not in history: nothing here was decided or typed by anyone.
    """

    discussion = models.ForeignKey(Discussion, on_delete=models.CASCADE, related_name="draft_documents")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    snapshot_sha256 = models.CharField(max_length=64)
    pdf = models.BinaryField()
    pages = models.PositiveSmallIntegerField()
    # The moment the draft was asked for: the record as it stood then ("Draft printed ..." on every page).
    printed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["discussion", "kind"], name="one_draft_per_discussion_kind")]

    def __str__(self) -> str:
        return f"draft {self.kind}"


class Source(models.TextChoices):
    INVITEE = "invitee", "Invited to the discussion"
    GP = "gp", "The child's GP"
    HEALTH = "health", "Health visitor, school nurse or midwife"
    EDUCATION = "education", "Education setting (designated safeguarding lead)"
    FAMILY = "family", "Family"
    OTHER = "other", "Added"


# Whom the distribution of DOMAIN section 6 requires: the minutes' clock is met once each was sent the approved
# record (or the chair took them off the list with the reason).
REQUIRED_SOURCES = (Source.INVITEE, Source.GP, Source.HEALTH, Source.EDUCATION)


class Sends(models.TextChoices):
    FULL = "full", "Full version"
    SUMMARY = "summary", "Family summary"
    NONE = "none", "Nothing yet"


class Recipient(models.Model):
    """One line of the distribution list: built from the record (DOMAIN section 6), edited before sending."""

    discussion = models.ForeignKey(Discussion, on_delete=models.PROTECT, related_name="recipients")
    source = models.CharField(max_length=20, choices=Source.choices)
    source_key = models.CharField(
        max_length=250, blank=True, editable=False, help_text="What it was built from, so it is built once."
    )
    invitation = models.ForeignKey(Invitation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200, blank=True)
    organisation = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    sends = models.CharField("version sent", max_length=10, choices=Sends.choices, default=Sends.NONE)
    # Set when the address changed after a version was chosen: what they are sent was reset to nothing, and the
    # chair is asked to choose again (issue 26, finding 5). Cleared when the chair chooses a version.
    choose_again = models.BooleanField(
        "the chair is to choose again",
        default=False,
        help_text="The email address changed since the chair chose what they are sent: nothing until the chair does.",
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    removed_reason = models.TextField("reason for taking them off the list", blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["discussion", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["discussion", "source_key"], condition=~Q(source_key=""), name="recipient_built_once"
            ),
            models.CheckConstraint(
                condition=~Q(source="family") | Q(sends__in=["summary", "none"]), name="family_gets_family_summary"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})" if self.organisation else self.name

    @property
    def required(self) -> bool:
        return self.source in REQUIRED_SOURCES


class Circulation(models.Model):
    """Who was sent which version, when; a recipient who is not a user gets a time-limited link.

    Since issue 31 the link asks for a one-time code sent to the recipient's address (`code_link`) and is usable
    by them as often as they like until it expires; links sent before that (`code_link` false) work once, until
    they expire. `used_at`: the first download through the link."""

    # core.db_roles: only these may be set after it is made (the email went, the link was used or withdrawn, by
    # minutes/services.py and minutes/legacy.py; a code was sent or checked, contributions.codes); a circulation is
    # never deleted.
    db_completed_later = (
        "emailed_at",
        "used_at",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawn_reason",
        "code_hash",
        "code_expires_at",
        "code_wrong_tries",
    )

    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="circulations")
    version = models.ForeignKey(MinutesVersion, on_delete=models.PROTECT, related_name="circulations")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    emailed_at = models.DateTimeField(null=True, blank=True)
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    # A link withdrawn before it was used (the superseded family version): it then says so, and gives nothing.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the system withdrew it (the family summary replacing the family version).",
    )
    withdrawn_reason = models.TextField(blank=True)
    code_link = models.BooleanField(
        "the link asks for a code", default=False, help_text="False: a single-use link sent before issue 31."
    )
    # The one-time code's working fields (contributions.codes): hashed, 15 minutes, 5 wrong tries, used once.
    code_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    code_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    code_wrong_tries = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["version", "recipient"], name="circulation_by_version")]

    def __str__(self) -> str:
        return f"{self.version} {self.kind} to {self.recipient}"


class ExternalDownload(AppendOnly):
    """A download through an emailed link by someone who is not a user: append-only, like the case view log."""

    change_refused = "Download records cannot be changed"

    circulation = models.ForeignKey(Circulation, on_delete=models.PROTECT, related_name="downloads")
    downloaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-downloaded_at"]

    def __str__(self) -> str:
        return f"{self.circulation} downloaded"
