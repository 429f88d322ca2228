"""Contributions from people who cannot attend a strategy discussion or have no account here (issue 31).

* An **external invitee** is a named person of an organisation outside the partnership (a GP practice, a school,
  another authority's children's services...): they never get an account and never see the case.
* An **information request** asks an external invitee, or an invited agency that will not attend, for their
  information by a clock of the deadline table; it goes by email as a link only, to a page that asks for a
  one-time code sent to the same address.
* A **contribution** is what comes back through that link: sent once, then read-only.

Nothing here is hard-deleted, and every model keeps its history (but the one-time code's working fields, which
are no part of the record).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from actions.models import Action
from core.history import HistoricalRecords
from core.models import AppendOnly
from referrals.models import Deadline, Person
from strategy.models import Discussion, Invitation


class ExternalKind(models.TextChoices):
    OTHER_AUTHORITY = "other_authority", "Another authority's children's services"
    PLACING_AUTHORITY = "placing_authority", "A placing authority"
    GP = "gp", "A GP practice"
    SCHOOL = "school", "A school"
    HOUSING = "housing", "Housing"
    OTHER = "other", "Other"


class ExternalInvitee(models.Model):
    """A named person outside the partnership invited to one discussion: no account, no access to the case."""

    discussion = models.ForeignKey(Discussion, on_delete=models.PROTECT, related_name="external_invitees")
    name = models.CharField("full name", max_length=200)
    organisation = models.CharField(max_length=200)
    role = models.CharField(max_length=200)
    email = models.EmailField("email address", max_length=254)
    kind = models.CharField("kind of organisation", max_length=30, choices=ExternalKind.choices)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["added_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name}, {self.organisation}"


class InformationRequest(models.Model):
    """Information asked of an external invitee or of an invited agency that will not attend (issue 31).

    Its clock (`deadline`) is an INFORMATION_REQUEST clock of its own, or, after a meeting that proceeded without
    the agency, the clock of the automatic "Obtain information from ..." action it meets (`action`): never two.
    The emailed link's token and the one-time code are stored hashed (SHA-256), as the minutes link's token is.
    """

    discussion = models.ForeignKey(Discussion, on_delete=models.PROTECT, related_name="information_requests")
    external_invitee = models.ForeignKey(
        ExternalInvitee, on_delete=models.PROTECT, null=True, blank=True, related_name="requests"
    )
    invitation = models.ForeignKey(
        Invitation, on_delete=models.PROTECT, null=True, blank=True, related_name="information_requests"
    )
    # Copied when asked: who it went to, and where (the address the code goes to, whatever changes later).
    recipient_name = models.CharField(max_length=200)
    recipient_organisation = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    question = models.TextField("what is asked")
    # What the recipient is shown of each child: the first name and age band, never the surname or the reference.
    children = models.ManyToManyField(Person, blank=True, related_name="+")
    deadline = models.ForeignKey(Deadline, on_delete=models.PROTECT, related_name="information_requests")
    action = models.ForeignKey(Action, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    link_ends_at = models.DateTimeField(help_text="The link works until then, or until the contribution is sent.")
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField()
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The one-time code: hashed, 15 minutes, 5 wrong tries, used once (contributions.services).
    code_hash = models.CharField(max_length=64, blank=True, editable=False)
    code_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    code_wrong_tries = models.PositiveSmallIntegerField(default=0, editable=False)
    history = HistoricalRecords(
        m2m_fields=[children], excluded_fields=["code_hash", "code_expires_at", "code_wrong_tries"]
    )

    class Meta:
        ordering = ["asked_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(external_invitee__isnull=True, invitation__isnull=False)
                | Q(external_invitee__isnull=False, invitation__isnull=True),
                name="information_request_one_recipient",
            )
        ]

    def __str__(self) -> str:
        return f"Information asked of {self.recipient_name}, {self.recipient_organisation}"


# The named parts of a contribution, worded once for the form, the pages and (part 2) the minutes.
CONTRIBUTION_PARTS = {
    "known_involvement": "Your involvement with the child or family",
    "concerns": "Your concerns",
    "risks": "Risks you know of",
    "strengths": "Strengths and what is going well",
    "family_told": "What the family has been told",
}
PART_MAX_LENGTH = 5000


class Contribution(models.Model):
    """What came back through a request's link: sent once, then read-only (a correction is a second request)."""

    request = models.OneToOneField(InformationRequest, on_delete=models.PROTECT, related_name="contribution")
    known_involvement = models.TextField(CONTRIBUTION_PARTS["known_involvement"], blank=True)
    concerns = models.TextField(CONTRIBUTION_PARTS["concerns"], blank=True)
    risks = models.TextField(CONTRIBUTION_PARTS["risks"], blank=True)
    strengths = models.TextField(CONTRIBUTION_PARTS["strengths"], blank=True)
    family_told = models.TextField(CONTRIBUTION_PARTS["family_told"], blank=True)
    shareable_with_family = models.BooleanField("may be shared with the family")
    author_name = models.CharField(max_length=200)
    author_organisation = models.CharField(max_length=200)
    submitted_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["submitted_at", "pk"]

    def __str__(self) -> str:
        return f"Contribution from {self.author_name}, {self.author_organisation}"

    def parts(self) -> list[tuple[str, str]]:
        return [(label, getattr(self, key)) for key, label in CONTRIBUTION_PARTS.items() if getattr(self, key).strip()]


class ContributionFile(AppendOnly):
    """A PDF file sent with a contribution (contributions.pdf_check passed it): stored once in the database, as the
    minutes' PDFs are, never changed, never rendered in the browser (downloaded as an attachment, under a name
    made here, by people with access to the case). Its history row keeps everything but the bytes."""

    change_refused = "A file sent with a contribution cannot be changed"

    contribution = models.ForeignKey(Contribution, on_delete=models.PROTECT, related_name="files")
    original_name = models.CharField("file name", max_length=200, help_text="As sent, cleaned: shown, never served.")
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    pdf = models.BinaryField()
    uploaded_at = models.DateTimeField()
    history = HistoricalRecords(excluded_fields=["pdf"])

    class Meta:
        ordering = ["contribution", "pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def download_name(self) -> str:
        """The name the download is given: made here, never the sender's."""
        return f"contribution-{self.contribution_id}-file-{self.pk}.pdf"
