"""Strategy discussions: convened, attended, recorded and decided per child (DOMAIN sections 1, 2 and 4).

Nothing here is hard-deleted: invitations are declined or withdrawn, entries and decisions
are kept, and every model keeps its history with who made each change.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from actions.models import Action
from agencies.models import Agency
from core.history import HistoricalRecords
from core.presenters import in_sentence
from referrals.models import Deadline, Person, Referral, Urgency


class Trigger(models.TextChoices):
    """Why a discussion is held (DOMAIN section 1, step 2): after a referral or at any time on an open case."""

    NEW_REFERRAL = "new_referral", "A new referral"
    NEW_INFORMATION = "new_information", "New information on an open case"
    DURING_ASSESSMENT = "during_assessment", "A concern arising during an assessment"
    PLAN_OR_LOOKED_AFTER = "plan_or_looked_after", "A concern about a child on a plan or looked after"
    MISSING = "missing", "A child subject to section 47 enquiries found to be missing"
    ACCESS_REFUSED = "access_refused", "Access to a child refused"
    # Only set when a discussion is convened from a disagreement at stage 3 (disputes): not offered otherwise.
    PROFESSIONAL_DISAGREEMENT = "professional_disagreement", "A professional disagreement"


class Format(models.TextChoices):
    TELEPHONE = "telephone", "Telephone"
    CALLS = "calls", "A series of telephone calls"
    VIRTUAL = "virtual", "Virtual meeting"
    FACE_TO_FACE = "face_to_face", "Face to face"


TELEPHONE_FORMATS = (Format.TELEPHONE, Format.CALLS)


class DiscussionStatus(models.TextChoices):
    CONVENED = "convened", "Convened"
    IN_PROGRESS = "in_progress", "Being held"
    ENDED = "ended", "Held"


class PoliceDecision(models.TextChoices):
    """The police decision on a criminal investigation, recorded by the chair for every discussion (DOMAIN 2, 4)."""

    INVESTIGATE = "investigate", "The police will investigate"
    NO_INVESTIGATION = "no_investigation", "No criminal investigation"


class Protection(models.TextChoices):
    NONE = "none", "Neither police protection nor an emergency protection order"
    POLICE_PROTECTION = "police_protection", "Police protection"
    EPO = "epo", "Emergency protection order"
    BOTH = "both", "Police protection, then an emergency protection order"


# The risk analysis of DOMAIN section 4 [002]: its five questions, worded once for every form, page and minutes.
# The first four are answered for each child (ChildRisk); "review" once for the discussion.
RISK_QUESTIONS = {
    "worry": "What harm are we most worried about?",
    "impact": "What is its impact on the child?",
    "factors": "What makes harm more or less likely?",
    "reduce": "What is needed to reduce it?",
    "review": "When will it be reviewed?",
}
CHILD_RISK_QUESTIONS = ("worry", "impact", "factors", "reduce")
LEGACY_RISK_FIELDS = {f"risk_{key}": key for key in CHILD_RISK_QUESTIONS}


class RiskLevel(models.TextChoices):
    """The level of risk of significant harm the discussion judges for one child: three steps, each with what it
    means, so everyone reading the minutes reads the same thing."""

    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


RISK_LEVEL_HINTS: dict[str, str] = {
    RiskLevel.HIGH: "Significant harm is likely soon unless protective action is taken now",
    RiskLevel.MEDIUM: "Significant harm is possible: the plan must reduce it, and it is reviewed",
    RiskLevel.LOW: "Significant harm is unlikely with the support and safety already in place",
}


def risk_level_error(child_name: str) -> str:
    """What a level of risk outside the three says, on the form and from the service alike."""
    return f"Select the level of risk for {child_name}: high, medium or low"


class Discussion(models.Model):
    """One strategy discussion about one or more children of a case, with its own trigger and deadline."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="discussions")
    trigger = models.CharField(max_length=30, choices=Trigger.choices)
    concern_identified_at = models.DateTimeField(help_text="The deadline counts from here, by the urgency.")
    urgency = models.CharField(max_length=30, choices=Urgency.choices)
    scheduled_at = models.DateTimeField("date and time")
    format = models.CharField(max_length=20, choices=Format.choices)
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chaired_discussions")
    convened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    children = models.ManyToManyField(Person, related_name="discussions")
    reason = models.TextField("reason for the discussion")
    purpose = models.TextField(blank=True)
    reconvened_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reconvened_as"
    )
    reconvene_rationale = models.TextField(blank=True)
    deadline = models.OneToOneField(Deadline, on_delete=models.PROTECT, related_name="discussion")
    status = models.CharField(max_length=20, choices=DiscussionStatus.choices, default=DiscussionStatus.CONVENED)
    held_at = models.DateTimeField(
        null=True, blank=True, help_text="When the meeting began: once it ends quorate, the deadline is met at this."
    )
    ended_at = models.DateTimeField(null=True, blank=True, help_text="The minutes are due 48 hours after this.")
    # A meeting started and not ended is chased like any clock (MEETING_NOT_ENDED); abandoning it stops that clock
    # and opens the discussion's own again exactly where it was (DOMAIN section 1).
    meeting_deadline = models.OneToOneField(
        Deadline, on_delete=models.PROTECT, null=True, blank=True, related_name="meeting_of"
    )
    abandoned_at = models.DateTimeField(null=True, blank=True, help_text="When the meeting was last abandoned.")
    abandon_reason = models.TextField(blank=True)
    minutes_deadline = models.OneToOneField(
        Deadline, on_delete=models.PROTECT, null=True, blank=True, related_name="minutes_of"
    )
    # Quoracy (DOMAIN section 4): proceeding without an expected agency needs the reason and the urgency.
    proceeded_without = models.ManyToManyField(Agency, blank=True, related_name="+")
    # The SMART actions agreed in it (DOMAIN section 4), through the link that lives here, above `actions`.
    agreed_actions = models.ManyToManyField(Action, through="DiscussionAction", related_name="+")
    # The last reason given, kept for older records; each agency's own reason is a ProceedWithout row.
    proceed_reason = models.TextField(blank=True)
    proceed_urgency = models.TextField(blank=True)
    # A longer timescale than same day when the concern calls for same day (serious injury, forensic evidence).
    urgency_reason = models.TextField("why a longer timescale than same day", blank=True)
    # Risk analysis [002]: the first four questions are answered per child (ChildRisk). These four columns hold
    # what was recorded before that, one set for all the children: kept and shown as such, never written again.
    risk_worry = models.TextField(RISK_QUESTIONS["worry"], blank=True)
    risk_impact = models.TextField(RISK_QUESTIONS["impact"], blank=True)
    risk_factors = models.TextField(RISK_QUESTIONS["factors"], blank=True)
    risk_reduce = models.TextField(RISK_QUESTIONS["reduce"], blank=True)
    # The fifth question, for the whole discussion, with its date (a clock once the meeting ends).
    risk_review = models.TextField(RISK_QUESTIONS["review"], blank=True)
    risk_review_on = models.DateField("date of the risk review", null=True, blank=True)
    risk_review_deadline = models.OneToOneField(
        Deadline, on_delete=models.PROTECT, null=True, blank=True, related_name="risk_review_of"
    )
    # Recorded by every discussion, whatever the outcome (DOMAIN sections 1.3 and 4).
    police_decision = models.CharField(
        "police decision on a criminal investigation", max_length=20, choices=PoliceDecision.choices, blank=True
    )
    police_decision_reason = models.TextField("why there is no criminal investigation", blank=True)
    police_decision_maker = models.CharField("police decision maker", max_length=200, blank=True)
    police_only_first = models.BooleanField("a police-only discussion was held first", default=False)
    police_only_note = models.TextField("the police-only discussion: when, and why the police asked", blank=True)
    lado_informed = models.BooleanField("the LADO informed", null=True, blank=True)
    lado_informed_who = models.CharField("who informed the LADO, and which officer", max_length=300, blank=True)
    lado_informed_on = models.DateField("date the LADO was informed", null=True, blank=True)
    lado_not_informed_reason = models.TextField("why the LADO has not been informed", blank=True)
    legal_advice_sought = models.BooleanField("legal advice sought", null=True, blank=True)
    legal_advice_outcome = models.TextField("outcome of the legal advice", blank=True)
    protection = models.CharField(
        "police protection or emergency protection order", max_length=30, choices=Protection.choices, blank=True
    )
    protection_details = models.TextField("details of the protection in place", blank=True)
    # Each section of the meeting page saves on its own; two people saving one section: the second is refused.
    section_versions = models.JSONField(default=dict, blank=True, editable=False)
    # From the form that convened it: the same form sent twice convenes one discussion.
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[children, proceeded_without], excluded_fields=["section_versions"])

    class Meta:
        ordering = ["scheduled_at", "pk"]
        indexes = [
            models.Index(fields=["referral", "scheduled_at"]),
            # Home page queues (work.selectors): meetings still to hold, soonest first, the chair's and everyone's.
            models.Index(
                fields=["chair", "scheduled_at", "id"], condition=~Q(status="ended"), name="discussion_to_hold_chair"
            ),
            models.Index(fields=["scheduled_at", "id"], condition=~Q(status="ended"), name="discussion_to_hold"),
        ]

    def __str__(self) -> str:
        return f"Strategy discussion {timezone.localtime(self.when):%-d %B %Y, %H:%M}"

    @property
    def when(self) -> dt.datetime:
        """When it was held (the meeting began), once it has been; until then, when it is planned for. A meeting
        held a day early was shown everywhere at its planned time, in the future (a walk)."""
        return self.held_at or self.scheduled_at

    @property
    def ended(self) -> bool:
        return self.status == DiscussionStatus.ENDED

    @property
    def by_telephone(self) -> bool:
        return self.format in TELEPHONE_FORMATS

    def section_version(self, section: str) -> int:
        return int(self.section_versions.get(section, 0))

    def legacy_risk_answers(self) -> list[tuple[str, str]]:
        """The risk analysis recorded for all the children before it was per child (empty when there is none)."""
        answers = [(RISK_QUESTIONS[key], getattr(self, field)) for field, key in LEGACY_RISK_FIELDS.items()]
        return answers if any(answer.strip() for _q, answer in answers) else []


class DiscussionAction(models.Model):
    """The discussion that agreed an action (DOMAIN section 4): one row per action, written with it
    (`strategy.services.action_agree`) and never changed.

    The link lives here, above `actions`, so that app never names a discussion (tests/test_layers.py); what it asks
    of the meeting (is this user the chair who agreed the action?) strategy registers at start-up
    (`actions.access.action_chair_register`). Keyed by the action: an action is agreed in one discussion only.
    """

    action = models.OneToOneField(Action, on_delete=models.PROTECT, primary_key=True, related_name="agreed_in")
    discussion = models.ForeignKey(Discussion, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.action} (agreed in {self.discussion})"


class InvitationStatus(models.TextChoices):
    INVITED = "invited", "Invited"
    DECLINED = "declined", "Proposal declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Attendance(models.TextChoices):
    INVITED = "invited", "Invited"
    ATTENDED = "attended", "Attended"
    APOLOGIES = "apologies", "Sent apologies"
    NO_RESPONSE = "no_response", "Did not respond"


class Invitation(models.Model):
    """One invitee: an agency, and a named person (a user of it, or a named contact), with their attendance."""

    discussion = models.ForeignKey(Discussion, on_delete=models.PROTECT, related_name="invitations")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="invitations")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="invitations"
    )
    contact_name = models.CharField("named contact", max_length=200, blank=True)
    role = models.CharField(max_length=200, blank=True)
    # A key built from ids only ("school-agency-12", "consultant-7"), never from free text that could outgrow it.
    proposal = models.CharField(max_length=40, blank=True, help_text="Which proposal of DOMAIN section 4 this is.")
    # Reasons of several children merge into one ("Robin attends ...; Sky attends ..."): no length to outgrow.
    reason = models.TextField("why they are invited", blank=True)
    status = models.CharField(max_length=20, choices=InvitationStatus.choices, default=InvitationStatus.INVITED)
    decline_reason = models.TextField(blank=True)
    withdraw_reason = models.TextField(blank=True)
    attendance = models.CharField(max_length=20, choices=Attendance.choices, default=Attendance.INVITED)
    information_sent_in_advance = models.BooleanField(default=False)
    can_decide = models.BooleanField(
        "senior enough to decide for their agency", null=True, blank=True, help_text="DOMAIN section 4"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        # Home page queue (work.selectors): is this person invited to this meeting, one probe per meeting to come.
        indexes = [models.Index(fields=["discussion", "person"], name="invitation_discussion_person")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""), name="declined_invitation_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | ~Q(withdraw_reason=""), name="withdrawn_invitation_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.agency}"

    @property
    def name(self) -> str:
        """The named person, or their role while nobody is named ("Police officer (to be named)")."""
        if self.person_id:
            return str(self.person)
        return self.contact_name or f"{self.role or 'Someone from the agency'} (to be named)"

    @property
    def label(self) -> str:
        """Who, in what role, for which agency: one line of the attendance list."""
        named = self.person_id or self.contact_name
        role = f", {in_sentence(self.role)}" if named and self.role else ""
        return f"{self.name}{role} ({self.agency})"

    @property
    def active(self) -> bool:
        return self.status == InvitationStatus.INVITED

    @property
    def status_label(self) -> str:
        """One status for the invitee, the same on every page: their attendance while invited (Invited,
        Attended, Sent apologies, Did not respond), else Proposal declined or Withdrawn."""
        return self.get_attendance_display() if self.active else self.get_status_display()


class Consent(models.TextChoices):
    SOUGHT_GIVEN = "given", "Consent sought and given"
    SOUGHT_REFUSED = "refused", "Consent sought and refused"
    NOT_SOUGHT = "not_sought", "Consent not sought"
    NOT_APPLICABLE = "not_applicable", "No checks needing consent"


class InformationEntry(models.Model):
    """Information an agency shared, with the checks it did (DOMAIN section 4, information shared)."""

    discussion = models.ForeignKey(Discussion, on_delete=models.PROTECT, related_name="information")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    information = models.TextField()
    checks_done = models.TextField(blank=True)
    consent = models.CharField(max_length=20, choices=Consent.choices)
    not_for_family = models.BooleanField(
        "not to be shared with the family",
        default=False,
        help_text="It could place the child at risk or jeopardise a police investigation.",
    )
    consent_manager_reason = models.TextField(
        "the manager's reason", blank=True, help_text="When consent was not sought or was refused."
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["recorded_at", "pk"]
        verbose_name_plural = "information entries"

    def __str__(self) -> str:
        return f"Information from {self.agency}"


class InvestigationType(models.TextChoices):
    CSC = "csc", "Single agency: children's social care"
    POLICE = "police", "Single agency: police"
    JOINT = "joint", "Joint"


# The decisions of DOMAIN section 4, each a flag on ChildDecision (a child can have several).
DECISIONS = {
    "nfa": "No further action",
    "s47": "Section 47 enquiry",
    "s47_continued": "Section 47 enquiry continues (one is already under way)",
    "s17": "Section 17 child in need assessment",
    "early_help": "Early help or referral to another agency",
    "police_investigation": "Police criminal investigation",
    "icpc": "Initial child protection conference",
    "lado": "Inform the designated officer (LADO)",
    "legal": "Legal advice or legal action",
    "reconvene": "Reconvene the discussion",
}


class ConferenceOutcome(models.TextChoices):
    PLAN = "plan", "Child protection plan"
    NO_PLAN = "no_plan", "No child protection plan"


class ChildDecision(models.Model):
    """What was decided for one child, with the reasoning; s47 needs a team manager's authorisation."""

    discussion = models.ForeignKey(Discussion, on_delete=models.PROTECT, related_name="decisions")
    child = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="decisions")
    nfa = models.BooleanField(DECISIONS["nfa"], default=False)
    s47 = models.BooleanField(DECISIONS["s47"], default=False)
    s47_continued = models.BooleanField(DECISIONS["s47_continued"], default=False)
    s17 = models.BooleanField(DECISIONS["s17"], default=False)
    early_help = models.BooleanField(DECISIONS["early_help"], default=False)
    police_investigation = models.BooleanField(DECISIONS["police_investigation"], default=False)
    icpc = models.BooleanField(DECISIONS["icpc"], default=False)
    lado = models.BooleanField(DECISIONS["lado"], default=False)
    legal = models.BooleanField(DECISIONS["legal"], default=False)
    reconvene = models.BooleanField(DECISIONS["reconvene"], default=False)
    reasoning = models.TextField()
    investigation_type = models.CharField(max_length=10, choices=InvestigationType.choices, blank=True)
    police_decision_maker = models.CharField(max_length=200, blank=True)
    reconvene_on = models.DateField(null=True, blank=True)
    reconvene_rationale = models.TextField(blank=True)
    reconvene_deadline = models.OneToOneField(
        Deadline, on_delete=models.PROTECT, null=True, blank=True, related_name="reconvene_of"
    )
    s47_authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    s47_authorised_at = models.DateTimeField(null=True, blank=True)
    icpc_deadline = models.OneToOneField(Deadline, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    medical_done_at = models.DateTimeField("child protection medical done", null=True, blank=True)
    medical_deadline = models.OneToOneField(Deadline, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The s47 outcome, recorded later: conference needed (the clock runs on) or not (it stops, with the reason).
    conference_needed = models.BooleanField(null=True, blank=True)
    no_conference_reason = models.TextField(blank=True)
    outcome_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    # The conference itself, recorded after the meeting: meets the ICPC clock at its date (DOMAIN section 3).
    conference_held_on = models.DateField("date of the initial child protection conference", null=True, blank=True)
    conference_outcome = models.CharField(max_length=20, choices=ConferenceOutcome.choices, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["child__position", "child_id"]
        constraints = [models.UniqueConstraint(fields=["discussion", "child"], name="one_decision_per_child")]
        # Home page queue (work.selectors): section 47 enquiries waiting for a team manager's authorisation; few
        # at any time, however many decisions were ever recorded.
        indexes = [
            models.Index(fields=["id"], condition=Q(s47=True, s47_authorised_at=None), name="decision_s47_to_authorise")
        ]

    def __str__(self) -> str:
        return f"Decision for {self.child}"

    def decided(self) -> list[str]:
        return [label for field, label in DECISIONS.items() if getattr(self, field)]

    def decided_codes(self) -> list[str]:
        return [field for field in DECISIONS if getattr(self, field)]

    @property
    def s47_authorised(self) -> bool:
        return self.s47_authorised_at is not None


class ChildRisk(models.Model):
    """The risk analysis for one child [002]: the four questions answered for that child, and a level of risk.

    Answers may be saved as the meeting goes; ending it needs every answer and the level for every child.
    """

    discussion = models.ForeignKey(Discussion, on_delete=models.PROTECT, related_name="child_risks")
    child = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="risk_analyses")
    worry = models.TextField(RISK_QUESTIONS["worry"], blank=True)
    impact = models.TextField(RISK_QUESTIONS["impact"], blank=True)
    factors = models.TextField(RISK_QUESTIONS["factors"], blank=True)
    reduce = models.TextField(RISK_QUESTIONS["reduce"], blank=True)
    level = models.CharField("level of risk", max_length=10, choices=RiskLevel.choices, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["child__position", "child_id"]
        constraints = [models.UniqueConstraint(fields=["discussion", "child"], name="one_risk_analysis_per_child")]

    def __str__(self) -> str:
        return f"Risk analysis for {self.child}"

    def answers(self) -> list[tuple[str, str]]:
        return [(RISK_QUESTIONS[key], getattr(self, key)) for key in CHILD_RISK_QUESTIONS]

    def unanswered(self) -> list[str]:
        """What is still missing, in words ("the level of risk" last); empty when complete."""
        missing = [RISK_QUESTIONS[key] for key in CHILD_RISK_QUESTIONS if not getattr(self, key).strip()]
        return missing + ([] if self.level else ["the level of risk"])


# The enquiry plan of DOMAIN section 4: each item answered, or marked "not needed because...".
PLAN_ITEMS = {
    "medical": "Medical assessment: child protection or forensic; when; by whom; who agreed its timing; siblings too",
    "abe": "Achieving Best Evidence interview: who leads it; before or after a forensic medical",
    "seeing_child": "When, where and by whom the child is seen (alone, or why not); interview support",
    "wishes": "How the child's wishes and feelings are gathered",
    "parents": "Who sees the parents, where and when",
    "further_information": "Further information needed and how it is obtained",
    "check_consent": "Parents' consent for agency checks (sought, refused, or not sought: the manager's reason)",
    "medical_consent": "Medical consent from whoever holds parental responsibility (if withheld: legal advice)",
    "other_children": "Other children affected",
    "social_media": "Social media search",
    "discharge": "Safe discharge if the child is in hospital",
    "criminal": "Conduct and timing of the criminal investigation",
    "interviews": "Who else is interviewed (siblings, the alleged abuser, witnesses), by whom and when",
    "child_sharing": "What is shared with the child, by whom, and in what stages",
    "s47_lead": "Who leads the section 47 enquiry, and by when it finishes",
}


# Items no longer asked: their old answers stay in the database and its history, neither asked nor counted.
# "sharing" is now the family summary (FamilySummary), the one home for what the family is told.
RETIRED_PLAN_ITEMS = {"sharing": "What is shared with the family, by whom and when (or why not yet)"}


class EnquiryPlanItem(models.Model):
    """One item of the enquiry plan: for the whole discussion (no child), or for a named child where the plan
    differs for them (optional; both fields blank: no longer differs, the row kept for its history)."""

    discussion = models.ForeignKey(Discussion, on_delete=models.PROTECT, related_name="plan_items")
    item = models.CharField(max_length=30, choices=[*PLAN_ITEMS.items(), *RETIRED_PLAN_ITEMS.items()])
    child = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="plan_items", verbose_name="for child"
    )
    answer = models.TextField(blank=True)
    not_needed_because = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["discussion", "item"], condition=Q(child=None), name="one_answer_per_plan_item"
            ),
            models.UniqueConstraint(
                fields=["discussion", "item", "child"],
                condition=Q(child__isnull=False),
                name="one_answer_per_plan_item_per_child",
            ),
        ]

    def __str__(self) -> str:
        return self.get_item_display()

    @property
    def recorded(self) -> bool:
        return bool(self.answer.strip() or self.not_needed_because.strip())


class FamilySharing(models.TextChoices):
    SHARE = "share", "Tell the family now"
    NOT_YET = "not_yet", "Nothing is shared with the family yet"


class NotYetReason(models.TextChoices):
    POLICE = "police", "It could jeopardise a police investigation"
    RISK = "risk", "It could put the child at greater risk"
    OTHER = "other", "Another reason"


class FamilySummary(models.Model):
    """What the family is told, decided by the chair in the discussion (DOMAIN sections 1 and 6).

    Either what is shared with the family and with the child (in words they understand), by whom
    and when; or why nothing is shared yet. With no row, nothing is shared: the default until the
    chair decides. The family's document is built from this row and the details the chair ticks,
    never from the rest of the record.
    """

    discussion = models.OneToOneField(Discussion, on_delete=models.PROTECT, related_name="family_summary")
    sharing = models.CharField("what the family is told", max_length=10, choices=FamilySharing.choices)
    for_family = models.TextField("what is shared with the family", blank=True)
    for_child = models.TextField("what is shared with the child, in words they understand", blank=True)
    told_by = models.CharField("who tells them", max_length=200, blank=True)
    told_on = models.DateField("when they are told", null=True, blank=True)
    not_yet_reason = models.CharField(
        "why nothing is shared yet", max_length=10, choices=NotYetReason.choices, blank=True
    )
    not_yet_detail = models.TextField("why nothing is shared yet, in words", blank=True)
    # The case details the chair ticks for the family's document.
    include_names = models.BooleanField("the children's names", default=False)
    include_date = models.BooleanField("the date of the discussion", default=False)
    include_outcome = models.BooleanField("the outcome in plain words", default=False)
    outcome = models.TextField("the outcome in plain words", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(sharing="share") | (~Q(for_family="") & ~Q(told_by="") & Q(told_on__isnull=False)),
                name="family_summary_share_complete",
            ),
            models.CheckConstraint(
                condition=~Q(sharing="not_yet") | ~Q(not_yet_reason=""), name="family_summary_not_yet_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(include_outcome=False) | ~Q(outcome=""), name="family_summary_outcome_written"
            ),
        ]

    def __str__(self) -> str:
        return f"Family summary of {self.discussion}"

    @property
    def shares(self) -> bool:
        return self.sharing == FamilySharing.SHARE


class ProceedWithout(models.Model):
    """One agency the discussion proceeds without: the reason and the urgency, who and when (DOMAIN section 4).

    One row per agency; a later reason replaces it on the row and the earlier one stays in its history.
    """

    discussion = models.ForeignKey(Discussion, on_delete=models.PROTECT, related_name="proceeds_without")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    urgency = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["agency__name", "pk"]
        verbose_name_plural = "proceeding without"
        constraints = [
            models.UniqueConstraint(fields=["discussion", "agency"], name="one_proceed_reason_per_agency"),
            models.CheckConstraint(condition=~Q(reason=""), name="proceed_without_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Proceeding without {self.agency}"


class CinSupport(models.TextChoices):
    OFFERED = "offered", "Child in need support offered"
    NOT_NEEDED = "not_needed", "Considered and not needed"


class ChildRecord(models.Model):
    """What every discussion records for each child whatever the outcome (DOMAIN sections 1.3 and 4): safe
    discharge from hospital, child in need support after no further action, the nature of the alleged abuse
    and how the child's identity and needs shape the plan."""

    discussion = models.ForeignKey(Discussion, on_delete=models.PROTECT, related_name="child_records")
    child = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    safe_discharge = models.TextField("safe discharge from hospital", blank=True)
    cin_support = models.CharField(
        "child in need support after no further action", max_length=20, choices=CinSupport.choices, blank=True
    )
    cin_support_reason = models.TextField("what was considered, and why", blank=True)
    abuse_nature = models.TextField("nature of the alleged abuse", blank=True)
    identity_needs = models.TextField("how ethnicity, religion, language and disability shape the plan", blank=True)
    interpreter = models.BooleanField("an interpreter is needed", default=False)
    intermediary = models.BooleanField("an intermediary is needed", default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["child__position", "child_id"]
        constraints = [models.UniqueConstraint(fields=["discussion", "child"], name="one_record_per_child")]

    def __str__(self) -> str:
        return f"Record for {self.child}"
