"""Forms of the strategy discussion pages. They parse input; the services check the rules and write.

Each section of the meeting page is its own form with its own prefix (so the page's ids never
clash) and carries the version of the section it was loaded from.
"""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.text import capfirst

from agencies.forms import NamedPersonForm
from agencies.models import Agency, User
from core.forms import GovDateField, GovFormMixin, GovRadios, GovTextarea, GovTimeField, local_moment, offer
from referrals.models import ClosureOutcome, Person, Referral, Urgency
from strategy import rules
from strategy.models import (
    CHILD_RISK_QUESTIONS,
    DECISIONS,
    PLAN_ITEMS,
    RISK_LEVEL_HINTS,
    RISK_QUESTIONS,
    Attendance,
    CinSupport,
    ConferenceOutcome,
    Consent,
    Discussion,
    FamilySharing,
    Format,
    InvestigationType,
    Invitation,
    NotYetReason,
    PoliceDecision,
    Protection,
    RiskLevel,
    Trigger,
    risk_level_error,
)
from strategy.rules import ExternalProposal, Proposal

YES_NO = [("yes", "Yes"), ("no", "No")]
YES_NO_VALUES = {"yes": True, "no": False}


class PersonChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return obj.full_name


class ConveneForm(GovFormMixin, forms.Form):
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    trigger = GovRadios(
        label="What has prompted the discussion",
        choices=Trigger.choices,
        message="Select what has prompted the discussion",
    )
    identified_date = GovDateField(
        label="Date the concern was identified",
        help_text="The deadline counts from here",
        not_future=rules.IDENTIFIED_IN_FUTURE,
    )
    identified_time = GovTimeField(label="Time the concern was identified", what="the concern was identified")
    urgency = GovRadios(
        label="Urgency",
        choices=Urgency.choices,
        help_text="Sets how soon the discussion must be held. A missing child is always 24 hours.",
        message="Select the urgency",
    )
    urgency_reason = GovTextarea(label="Why a longer timescale than same day (if you chose one)", required=False)
    scheduled_date = GovDateField(label="Date of the discussion")
    scheduled_time = GovTimeField(label="Time of the discussion", what="of the discussion")
    format = GovRadios(
        label="Format",
        choices=Format.choices,
        message="Select the format of the discussion",
    )
    chair = forms.ModelChoiceField(
        label="Chair",
        queryset=User.objects.none(),
        help_text="A team manager in children's social care",
        empty_label="Select the chair",
        error_messages={"required": "Select the chair", "invalid_choice": "Select the chair from the list"},
    )
    children = PersonChoice(
        label="Children the discussion is about",
        queryset=Person.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Select the children the discussion is about",
            "invalid_choice": "Select children of this case",
        },
    )
    reason = GovTextarea(label="Reason for the discussion", rows=3, message="Enter the reason for the discussion")
    purpose = GovTextarea(label="Purpose", rows=3, required=False)
    reconvened_from = forms.ModelChoiceField(
        label="Reconvening an earlier discussion",
        queryset=Discussion.objects.none(),
        required=False,
        empty_label="No, this is not a reconvened discussion",
        error_messages={"invalid_choice": "Select an earlier discussion of this case"},
    )
    reconvene_rationale = GovTextarea(label="Rationale for reconvening", rows=3, required=False)

    def __init__(
        self,
        *args: Any,
        referral: Referral,
        children: list[Person],
        chairs: Any,
        proposals: list[Proposal],
        agencies: list[Agency],
        trigger: str | None = None,
        external_contacts: Sequence[ExternalProposal] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.referral = referral
        self.external_contacts = list(external_contacts)  # shown only: invited from the meeting page once convened
        # "A professional disagreement" is set only when convened from a disagreement at stage 3 (disputes), where it
        # is the one choice; the ordinary form never offers it.
        self.fields["trigger"].choices = (  # type: ignore[attr-defined]
            [(value, label) for value, label in Trigger.choices if value == trigger]
            if trigger
            else [(value, label) for value, label in Trigger.choices if value != Trigger.PROFESSIONAL_DISAGREEMENT]
        )
        self.fields["chair"].queryset = chairs  # type: ignore[attr-defined]
        offer(self.fields["children"], children, label=lambda child: child.full_name)
        self.fields["reconvened_from"].queryset = referral.discussions.all()  # type: ignore[attr-defined]
        self.proposal_rows: list[dict[str, Any]] = []
        for proposal in proposals:
            options = [a for a in agencies if proposal.matches(a)]
            if not options:
                self.proposal_rows.append({"proposal": proposal, "missing": True})
                continue
            # The agency proposed: the one it is (the child's school found by name, the referrer), else the only
            # or first of its kind. A setting that matches no agency proposes none: the user chooses, unticked.
            known = next((a for a in options if a.pk == proposal.agency_id), None)
            match = None if proposal.unmatched else known or options[0]
            role = proposal.role.lower()
            self.fields[f"invite_{proposal.key}"] = forms.BooleanField(
                label=f"Invite: {proposal.role}", required=False, initial=match is not None, help_text=proposal.reason
            )
            self.fields[f"agency_{proposal.key}"] = forms.ModelChoiceField(
                label="Agency",
                queryset=Agency.objects.none(),
                initial=match.pk if match else None,
                required=False,
                empty_label=f"Choose the agency for the {role}" if match is None else None,
                error_messages={
                    # A message, not SQL: ruff's S608 and bandit's B608 both match "Select ... from".
                    "invalid_choice": "Select the agency for the " + role + " from the list",  # noqa: S608  # nosec B608
                },
            )
            offer(self.fields[f"agency_{proposal.key}"], options)
            row: dict[str, Any] = {
                "proposal": proposal,
                "invite": self[f"invite_{proposal.key}"],
                "agency": self[f"agency_{proposal.key}"],
            }
            if proposal.unmatched:
                found = (
                    f"No agency of this partnership matches {proposal.setting}"
                    if proposal.setting
                    else "The school, nursery or college is not recorded on the referral"
                )
                row["unmatched"] = f"{found}: choose its agency, or invite them as an external contact later"
            else:
                self.fields[f"decline_{proposal.key}"] = GovTextarea(
                    label=f"Why the {role} is not invited", max_length=2000, required=False
                )
                row["decline"] = self[f"decline_{proposal.key}"]
            self.proposal_rows.append(row)

    def clean(self) -> dict:
        super().clean()
        for row in self.proposal_rows:
            if row.get("missing"):
                continue
            key = row["proposal"].key
            needed = self.cleaned_data.get(f"invite_{key}") or not row.get("unmatched")
            if needed and not self.cleaned_data.get(f"agency_{key}"):
                if f"agency_{key}" not in self.errors:
                    self.add_error(f"agency_{key}", f"Select the agency for the {row['proposal'].role.lower()}")
        # A proposal left unticked needs its reason (the rule's own check, which the service makes again): said
        # with the form's other problems, in one round, not after a bad date is put right.
        for field, message in rules.convene_declined(self._invited_and_declined()[1]).items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, message)
        self.cleaned_data["concern_identified_at"] = local_moment(self, "identified_date", "identified_time")
        self.cleaned_data["scheduled_at"] = local_moment(self, "scheduled_date", "scheduled_time")
        return self.cleaned_data

    def _invited_and_declined(self) -> tuple[list[dict], list[dict]]:
        """The proposals ticked (invitations) and those left unticked (declined, with their reasons)."""
        data = self.cleaned_data
        invitations: list[dict] = []
        declined: list[dict] = []
        for row in self.proposal_rows:
            if row.get("missing"):
                continue
            proposal: Proposal = row["proposal"]
            agency = data.get(f"agency_{proposal.key}")
            entry = {"agency": agency, "role": proposal.role, "proposal": proposal.key, "reason": proposal.reason}
            if data.get(f"invite_{proposal.key}"):
                invitations.append(entry)
            elif row.get("unmatched"):
                continue  # nothing was proposed, so nothing is declined (the setting still gets the minutes)
            else:
                declined.append({**entry, "decline_reason": data.get(f"decline_{proposal.key}", "")})
        return invitations, declined

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        invitations, declined = self._invited_and_declined()
        return {
            "data": {
                key: data.get(key)
                for key in (
                    "trigger",
                    "concern_identified_at",
                    "urgency",
                    "urgency_reason",
                    "scheduled_at",
                    "format",
                    "chair",
                    "reason",
                    "purpose",
                    "reconvened_from",
                    "reconvene_rationale",
                )
            },
            "children": list(data.get("children") or []),
            "invitations": invitations,
            "declined": declined,
        }


class VersionedForm(GovFormMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AttendanceForm(VersionedForm):
    """One line per invitee the user may record: attendance, information sent in advance, their role and whether
    they can decide for their agency (DOMAIN section 4). A line naming nobody yet asks who attended: a user of
    that agency from the list, or a named contact."""

    def __init__(
        self, *args: Any, invitations: list[Invitation], colleagues: dict[int, list[User]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        colleagues = colleagues or {}
        self.rows = []
        for invitation in invitations:
            self.fields[f"attendance_{invitation.pk}"] = forms.ChoiceField(
                label=invitation.label,
                choices=Attendance.choices,
                widget=forms.RadioSelect,
                initial=invitation.attendance,
                error_messages={"required": f"Select the attendance of {invitation.name}"},
            )
            self.fields[f"sent_{invitation.pk}"] = forms.BooleanField(
                label="Information sent in advance", required=False, initial=invitation.information_sent_in_advance
            )
            self.fields[f"role_{invitation.pk}"] = forms.CharField(
                label=f"Role of {invitation.name}", max_length=200, required=False, initial=invitation.role
            )
            self.fields[f"decide_{invitation.pk}"] = forms.ChoiceField(
                label=f"Can {invitation.name} decide for {invitation.agency}?",
                choices=YES_NO,
                widget=forms.RadioSelect,
                required=False,
                initial={True: "yes", False: "no"}.get(invitation.can_decide),  # type: ignore[arg-type]
                error_messages={"invalid_choice": f"Select whether {invitation.name} can decide for their agency"},
            )
            person = contact = None
            if not (invitation.person_id or invitation.contact_name):
                people = colleagues.get(invitation.agency_id, [])
                self.fields[f"person_{invitation.pk}"] = forms.ModelChoiceField(
                    label=f"Who attended for {invitation.agency}",
                    queryset=User.objects.none(),
                    required=False,
                    empty_label="Not named yet, or not listed",
                    help_text=f"A colleague at {invitation.agency}",
                    error_messages={"invalid_choice": f"Choose a colleague at {invitation.agency} from the list"},
                )
                offer(self.fields[f"person_{invitation.pk}"], people)
                self.fields[f"contact_{invitation.pk}"] = forms.CharField(
                    label="Or their name, if not listed", max_length=200, required=False
                )
                person, contact = self[f"person_{invitation.pk}"], self[f"contact_{invitation.pk}"]
            self.rows.append(
                (
                    invitation,
                    self[f"attendance_{invitation.pk}"],
                    self[f"sent_{invitation.pk}"],
                    self[f"role_{invitation.pk}"],
                    self[f"decide_{invitation.pk}"],
                    person,
                    contact,
                )
            )

    def clean(self) -> dict:
        super().clean()
        for invitation, *_fields in self.rows:
            if self.cleaned_data.get(f"person_{invitation.pk}") and self.cleaned_data.get(f"contact_{invitation.pk}"):
                self.add_error(f"contact_{invitation.pk}", "Choose someone from the list or type a name, not both")
        return self.cleaned_data

    def rows_data(self) -> dict[int, tuple[str, bool, str, bool | None]]:
        return {
            invitation.pk: (
                self.cleaned_data[f"attendance_{invitation.pk}"],
                self.cleaned_data[f"sent_{invitation.pk}"],
                self.cleaned_data[f"role_{invitation.pk}"],
                YES_NO_VALUES.get(self.cleaned_data[f"decide_{invitation.pk}"] or ""),
            )
            for invitation, *_fields in self.rows
        }

    def names(self) -> dict[int, tuple[User | None, str]]:
        """Who attended, on each line that named nobody and now names someone."""
        found = {}
        for invitation, *_fields in self.rows:
            person = self.cleaned_data.get(f"person_{invitation.pk}")
            contact = (self.cleaned_data.get(f"contact_{invitation.pk}") or "").strip()
            if person is not None or contact:
                found[invitation.pk] = (person, contact)
        return found


class AttendingForm(VersionedForm):
    """One click: the user attends on one line of their agency (the line is the button's value)."""

    attending = forms.IntegerField(
        widget=forms.HiddenInput, error_messages={"required": "Choose the line to attend on"}
    )


class InformationForm(GovFormMixin, forms.Form):
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    agency = forms.ModelChoiceField(
        label="Agency",
        queryset=Agency.objects.none(),
        empty_label=None,
        error_messages={
            "required": "Select the agency",
            "invalid_choice": "Select the agency from the list: you can add your own agency's information only",
        },
    )
    information = GovTextarea(
        label="Information shared", rows=3, max_length=10000, message="Enter the information shared"
    )
    checks_done = GovTextarea(label="Checks done", required=False)
    consent = GovRadios(
        label="Consent for the checks",
        choices=Consent.choices,
        message="Select whether consent was sought for the checks",
    )
    consent_manager_reason = GovTextarea(
        label="The manager's reason, if consent was not sought or was refused",
        required=False,
        help_text="Name the manager who agreed to go ahead without consent, and why",
    )
    not_for_family = forms.BooleanField(
        label="Not to be shared with the family",
        required=False,
        help_text="It could place the child at risk or jeopardise a police investigation",
    )

    def __init__(self, *args: Any, agencies: list[Agency], max_characters: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer(self.fields["agency"], agencies)
        # The partnership's maximum (Partnership.max_entry_characters), refused here before it reaches the service.
        for name in ("information", "checks_done", "consent_manager_reason"):
            field = self.fields[name]
            field.max_length = max_characters  # type: ignore[attr-defined]
            field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
            field.validators.append(MaxLengthValidator(max_characters))
            field.widget.attrs["maxlength"] = str(max_characters)
            field.error_messages["max_length"] = f"{field.label} must be {max_characters:,} characters or fewer"
            limit = f"You can enter up to {max_characters:,} characters"
            field.help_text = f"{field.help_text}. {limit}" if field.help_text else limit


class RiskForm(VersionedForm):
    """When the risk analysis is reviewed: once for the whole discussion."""

    risk_review = GovTextarea(label=RISK_QUESTIONS["review"], max_length=2000, required=False)
    risk_review_on = GovDateField(
        label=str(capfirst(Discussion._meta.get_field("risk_review_on").verbose_name)),
        required=False,
        help_text="Once the meeting ends this is a deadline: met by recording that the review happened",
    )


class ChildRiskForm(VersionedForm):
    """The risk analysis for one child: the four questions and the level of risk (each may wait until the end)."""

    def __init__(self, *args: Any, child: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key in CHILD_RISK_QUESTIONS:
            self.fields[key] = GovTextarea(label=RISK_QUESTIONS[key], rows=3, max_length=10000, required=False)
        self.fields["level"] = forms.ChoiceField(
            label=f"Level of risk for {child.full_name}",
            choices=[(level.value, f"{level.label}: {RISK_LEVEL_HINTS[level].lower()}") for level in RiskLevel],
            widget=forms.RadioSelect,
            required=False,
            help_text="The risk of significant harm, as the discussion judges it today",
            error_messages={"invalid_choice": risk_level_error(child.full_name)},
        )

    def questions(self) -> list[forms.BoundField]:
        return [self[key] for key in CHILD_RISK_QUESTIONS]


class DecisionForm(VersionedForm):
    child = forms.IntegerField(widget=forms.HiddenInput, required=False)
    decisions = forms.MultipleChoiceField(
        label="Decisions",
        choices=list(DECISIONS.items()),
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply",
        error_messages={"required": "Select at least one decision", "invalid_choice": "Select decisions from the list"},
    )
    reasoning = GovTextarea(label="Reasoning", rows=3, max_length=10000, message="Give the reasoning for the decision")
    investigation_type = forms.ChoiceField(
        label="Investigation type",
        choices=InvestigationType.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text="For a section 47 enquiry or a police investigation",
        error_messages={"invalid_choice": "Select the type of investigation"},
    )
    police_decision_maker = forms.CharField(
        label="Police decision maker",
        max_length=200,
        required=False,
        help_text="Name and rank of the officer who made the police decision",
    )
    reconvene_on = GovDateField(label="Date to reconvene", required=False)
    reconvene_rationale = GovTextarea(label="Rationale for reconvening", required=False)
    medical_date = GovDateField(
        label="Date of the child protection medical",
        required=False,
        help_text="If it has been done",
        not_future=rules.MEDICAL_IN_FUTURE,
    )
    medical_time = GovTimeField(label="Time of the child protection medical", what="of the medical", required=False)

    def clean(self) -> dict:
        super().clean()
        self.cleaned_data["medical_done_at"] = local_moment(self, "medical_date", "medical_time")
        if (
            self.cleaned_data.get("medical_date")
            and not self.cleaned_data.get("medical_time")
            and "medical_time" not in self.errors
        ):
            self.add_error("medical_time", "Enter the time of the medical, for example 14:30")
        return self.cleaned_data

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        chosen = set(data.get("decisions") or [])
        return {
            **{field: field in chosen for field in DECISIONS},
            **{
                key: data.get(key)
                for key in (
                    "reasoning",
                    "investigation_type",
                    "police_decision_maker",
                    "reconvene_on",
                    "reconvene_rationale",
                    "medical_done_at",
                )
            },
        }


class StepForm(GovFormMixin, forms.Form):
    """The step that meets a clock after the meeting: its date, and for a conference or a review its outcome."""

    def __init__(self, *args: Any, step: Any, rule: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"] = GovDateField(label=step.date_label, help_text="It may be earlier than today")
        if rule == "ICPC":
            self.fields["outcome"] = GovRadios(
                label=step.outcome_label,
                choices=ConferenceOutcome.choices,
                message="Select the outcome of the conference",
            )
        elif step.outcome_label:
            self.fields["outcome"] = GovTextarea(label=step.outcome_label, rows=3, message="Say what the review found")


class AbandonForm(GovFormMixin, forms.Form):
    abandon_reason = GovTextarea(
        label="Why is the meeting abandoned?",
        help_text="The discussion is then not held: its deadline is open again where it was",
        max_length=2000,
        message="Give the reason for abandoning the meeting",
    )


def _yes_no(label: str, what: str, **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=YES_NO,
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": f"Select yes or no: {what}"},
        **kwargs,
    )


def _text(label: str, rows: int = 2, **kwargs: Any) -> forms.CharField:
    return GovTextarea(label=label, rows=rows, required=False, **kwargs)


class StandingForm(VersionedForm):
    """What every discussion records whatever the outcome (DOMAIN sections 1.3 and 4), in a section of its own.

    The LADO's fields are there only when an alleged abuser works with children; each child has
    the nature of the alleged abuse, child in need support (after no further action), how their
    identity and needs shape the plan, and safe discharge when in hospital.
    """

    police_decision = forms.ChoiceField(
        label="Police decision on a criminal investigation",
        choices=PoliceDecision.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text="The police decide; the chair records it",
        error_messages={"invalid_choice": "Select the police decision on a criminal investigation"},
    )
    police_decision_reason = _text("Why there is no criminal investigation")
    police_decision_maker = forms.CharField(
        label="Police decision maker",
        max_length=200,
        required=False,
        help_text="Name and rank of the officer who made the decision",
    )
    police_only_first = forms.BooleanField(
        label="The police asked for a police-only discussion first, and it was held", required=False
    )
    police_only_note = _text("The police-only discussion: when it was held, and why the police asked for it")
    lado_informed = _yes_no("Has the designated officer (LADO) been informed?", "whether the LADO has been informed")
    lado_informed_who = forms.CharField(
        label="Who informed the LADO, and which officer was told", max_length=300, required=False
    )
    lado_informed_on = GovDateField(
        label="Date the LADO was informed", required=False, not_future=rules.LADO_INFORMED_IN_FUTURE
    )
    lado_not_informed_reason = _text("Why the LADO has not been informed")
    legal_advice_sought = _yes_no("Has legal advice been sought?", "whether legal advice has been sought")
    legal_advice_outcome = _text("Outcome of the legal advice", help_text="Or say it is awaited")
    protection = forms.ChoiceField(
        label="Is police protection or an emergency protection order in place?",
        choices=Protection.choices,
        widget=forms.RadioSelect,
        required=False,
        error_messages={
            "invalid_choice": "Select whether police protection or an emergency protection order is in place"
        },
    )
    protection_details = _text("Details of the protection in place: when, and by whom")

    def __init__(self, *args: Any, children: list[Person], lado: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lado = lado
        if not lado:
            for name in ("lado_informed", "lado_informed_who", "lado_informed_on", "lado_not_informed_reason"):
                del self.fields[name]
        self.child_rows: list[dict[str, Any]] = []
        for child in children:
            key = f"child_{child.pk}"
            name = child.full_name
            self.fields[f"{key}_abuse_nature"] = _text(f"Nature of the alleged abuse of {name}")
            if child.in_hospital:
                self.fields[f"{key}_safe_discharge"] = _text(
                    f"Safe discharge of {name} from hospital",
                    help_text="To whom, when, and what must be in place first",
                )
            self.fields[f"{key}_cin_support"] = forms.ChoiceField(
                label=f"Child in need support for {name}",
                choices=CinSupport.choices,
                widget=forms.RadioSelect,
                required=False,
                help_text="Needed where the decision is no further action",
                error_messages={"invalid_choice": f"Select whether child in need support is offered to {name}"},
            )
            self.fields[f"{key}_cin_support_reason"] = _text(f"What was considered for {name}, and why")
            self.fields[f"{key}_identity_needs"] = _text(
                f"How ethnicity, religion, language and disability shape the plan for {name}"
            )
            self.fields[f"{key}_interpreter"] = forms.BooleanField(label="An interpreter is needed", required=False)
            self.fields[f"{key}_intermediary"] = forms.BooleanField(
                label="An intermediary is needed (to communicate with the child)", required=False
            )
            self.child_rows.append(
                {"child": child, "fields": [self[n] for n in self.fields if n.startswith(f"{key}_")]}
            )

    def service_data(self) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
        data = dict(self.cleaned_data)
        for name in ("lado_informed", "legal_advice_sought"):
            data[name] = YES_NO_VALUES.get(data.get(name) or "")
        children = {}
        for row in self.child_rows:
            key = f"child_{row['child'].pk}_"
            children[row["child"].pk] = {
                name.removeprefix(key): value for name, value in self.cleaned_data.items() if name.startswith(key)
            }
        return data, children


def standing_initial(discussion: Discussion, records: dict[int, Any]) -> dict[str, Any]:
    """The standing section's form as stored."""

    def yes_no(value: bool | None) -> str | None:
        return {True: "yes", False: "no"}.get(value)  # type: ignore[arg-type]

    initial: dict[str, Any] = {
        "version": discussion.section_version("standing"),
        **{
            name: getattr(discussion, name)
            for name in (
                "police_decision",
                "police_decision_reason",
                "police_decision_maker",
                "police_only_first",
                "police_only_note",
                "lado_informed_who",
                "lado_informed_on",
                "lado_not_informed_reason",
                "legal_advice_outcome",
                "protection",
                "protection_details",
            )
        },
        "lado_informed": yes_no(discussion.lado_informed),
        "legal_advice_sought": yes_no(discussion.legal_advice_sought),
    }
    for child_id, row in records.items():
        for name in (
            "abuse_nature",
            "safe_discharge",
            "cin_support",
            "cin_support_reason",
            "identity_needs",
            "interpreter",
            "intermediary",
        ):
            initial[f"child_{child_id}_{name}"] = getattr(row, name)
    return initial


class OutcomeForm(GovFormMixin, forms.Form):
    decision = forms.IntegerField(widget=forms.HiddenInput, required=False)
    conference_needed = GovRadios(
        label="Is an initial child protection conference needed?",
        choices=[("yes", "Yes: the conference clock runs on"), ("no", "No: the conference clock stops")],
        message="Select whether a conference is needed",
    )
    no_conference_reason = GovTextarea(label="Why no conference is needed", required=False)


class PlanForm(VersionedForm):
    """The enquiry plan for the whole discussion, or (with a child) where it differs for that child."""

    def __init__(self, *args: Any, child: Person | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.child = child
        self.rows = []
        for item, label in PLAN_ITEMS.items():
            self.fields[f"{item}_answer"] = GovTextarea(label=label, required=False)
            self.fields[f"{item}_not_needed"] = forms.CharField(
                label="Or: not needed because", max_length=2000, required=False
            )
            self.rows.append((item, self[f"{item}_answer"], self[f"{item}_not_needed"]))

    def answers(self) -> dict[str, tuple[str, str]]:
        return {
            item: (self.cleaned_data[f"{item}_answer"], self.cleaned_data[f"{item}_not_needed"]) for item in PLAN_ITEMS
        }


class FamilySummaryForm(VersionedForm):
    """What the family is told: the chair's decision. The rules (what each choice needs) are in the service."""

    sharing = GovRadios(
        label="What is the family told?",
        choices=FamilySharing.choices,
        help_text="Until you decide, nothing is shared with the family.",
        message="Select whether the family is told now or nothing is shared yet",
    )
    for_family = GovTextarea(
        label="What will be shared with the family",
        rows=3,
        required=False,
        help_text="Only this, and the details you tick below, goes into the family's document.",
    )
    for_child = GovTextarea(
        label="What will be shared with the child, in words they understand",
        rows=3,
        required=False,
        help_text="Leave it empty if the child is too young to be told.",
    )
    told_by = forms.CharField(label="Who will tell them", max_length=200, required=False)
    told_on = GovDateField(label="Date they will be told", required=False)
    not_yet_reason = forms.ChoiceField(
        label="Why is nothing shared yet?",
        choices=NotYetReason.choices,
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": "Select why nothing is shared with the family yet"},
    )
    not_yet_detail = GovTextarea(
        label="Explain why nothing is shared yet",
        required=False,
        help_text="Needed for another reason. This stays in the minutes; the family is not sent it.",
    )
    include_names = forms.BooleanField(label="The children's names", required=False)
    include_date = forms.BooleanField(label="The date of the discussion", required=False)
    include_outcome = forms.BooleanField(label="The outcome, in plain words", required=False)
    outcome = GovTextarea(
        label="The outcome in plain words",
        max_length=2000,
        required=False,
        help_text="Write it for the family: no names of other people, no police or agency information.",
    )


class ProceedForm(VersionedForm):
    agencies = forms.ModelMultipleChoiceField(
        label="Agencies the discussion proceeds without",
        queryset=Agency.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Select the agencies the discussion proceeds without",
            "invalid_choice": "Select agencies from the list",
        },
    )
    reason = GovTextarea(
        label="Why it cannot wait for them",
        help_text="Only where delay would increase the risk or impede the investigation",
        message="Give the reason for proceeding without them",
    )
    urgency = forms.CharField(
        label="How urgent it is", max_length=500, error_messages={"required": "Say how urgent it is"}
    )

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer(self.fields["agencies"], agencies)


class ActionForm(NamedPersonForm):
    field_order = ["submission_key", "what", "measure", "lead_agency"]
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    what = GovTextarea(label="What will be done", message="Enter what will be done")
    measure = GovTextarea(label="How we will know it is done", message="Enter how we will know it is done")
    lead_agency = forms.ModelChoiceField(
        label="Lead agency",
        queryset=Agency.objects.none(),
        empty_label="Select the lead agency",
        help_text="An agency invited to a discussion of this case, or children's social care: invite another first",
        error_messages={"required": "Select the lead agency", "invalid_choice": "Select the lead agency from the list"},
    )
    child = forms.ModelChoiceField(
        label="Child",
        queryset=Person.objects.none(),
        required=False,
        empty_label="All the children",
        error_messages={"invalid_choice": "Select a child from the list"},
    )
    due_date = GovDateField(label="Due date")
    due_time = GovTimeField(label="Due time", what="the action is due", initial="17:00")

    def __init__(self, *args: Any, agencies: list[Agency], children: list[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].help_text = "A user of the lead agency"
        offer(self.fields["lead_agency"], agencies)
        offer(self.fields["child"], children, label=lambda child: child.full_name)

    def clean(self) -> dict:
        super().clean()
        self.cleaned_data["due_at"] = local_moment(self, "due_date", "due_time")
        if not self.cleaned_data.get("person") and not self.cleaned_data.get("contact_name", "").strip():
            if "person" not in self.errors:
                self.add_error("person", "Select the named person, or enter their name")
        return self.cleaned_data


class InviteForm(NamedPersonForm):
    field_order = ["agency"]
    agency = forms.ModelChoiceField(
        label="Agency",
        queryset=Agency.objects.none(),
        empty_label="Select the agency",
        error_messages={"required": "Select the agency to invite", "invalid_choice": "Select an agency from the list"},
    )
    role = forms.CharField(label="Their role", max_length=200, required=False, help_text="For example, school nurse")

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer(self.fields["agency"], agencies)


def team_managers(referral: Referral):
    return User.objects.chairs(referral.partnership_id).order_by("first_name", "last_name")


class CloseCaseForm(GovFormMixin, forms.Form):
    """Closing a case: the outcome from the fixed list and the team manager's reason (DOMAIN section 1, step 6)."""

    outcome = GovRadios(
        label="Outcome",
        choices=ClosureOutcome.choices,
        message="Select the outcome of the case",
    )
    reason = GovTextarea(
        label="Reason for closing the case",
        rows=5,
        help_text="Shown on the case and kept in its history.",
        message="Enter the reason for closing the case",
    )


class ReopenCaseForm(GovFormMixin, forms.Form):
    reason = GovTextarea(
        label="Reason for reopening the case",
        rows=5,
        help_text="For example, new information received. Shown on the case and kept in its history.",
        message="Enter the reason for reopening the case",
    )
