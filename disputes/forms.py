"""The forms of a professional disagreement: raising one, and recording a stage. Cross-field rules (a child for a
child's decision, a person of the agency named) are the service's, shown on their fields."""

from typing import cast

from django import forms

from actions.models import Action
from agencies.models import Agency, User
from core.forms import GovFormMixin, GovRadios, GovTextarea, offer
from core.presenters import shortened
from disputes.models import StageResult, Subject
from referrals.models import Person


class RaiseForm(GovFormMixin, forms.Form):
    """Nothing is required here: the service checks every answer against the case and says all that is missing or
    wrong at once, each on its field."""

    subject = GovRadios(
        label="What is the disagreement about?",
        choices=Subject.choices,
        required=False,  # asked by the service with the rest, so every problem shows in one round
        message="Select what the disagreement is about",
    )
    child = forms.ModelChoiceField(
        label="The child the decision is about",
        queryset=Person.objects.none(),
        required=False,
        empty_label="Select the child",
        help_text="For a decision for a child",
        error_messages={"invalid_choice": "Select a child of this case"},
    )
    action = forms.ModelChoiceField(
        label="The action",
        queryset=Action.objects.none(),
        required=False,
        empty_label="Select the action",
        help_text="For an action",
        error_messages={"invalid_choice": "Select an action of this case"},
    )
    with_agency = forms.ModelChoiceField(
        label="Which agency do you disagree with?",
        queryset=Agency.objects.none(),
        required=False,
        empty_label="Select the agency",
        error_messages={
            "required": "Select the agency you disagree with",
            "invalid_choice": "Select an agency of this case's partnership",
        },
    )
    find = forms.CharField(
        label="Find the person at that agency (optional)",
        required=False,
        max_length=100,
        help_text="Type the start of their first or last name and select Find. People named on the case are listed "
        "already.",
    )
    with_person = forms.ModelChoiceField(
        label="Who do you disagree with? (optional)",
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody named, or someone without an account",
        help_text="They respond first (stage 1). With nobody named, you hold stage 1 and record what was said.",
        error_messages={"invalid_choice": "Select the person you disagree with from the list"},
    )
    with_name = forms.CharField(label="Their name, if they have no account (optional)", required=False, max_length=200)
    outcome_sought = GovTextarea(label="What outcome are you seeking?", rows=4, required=False)
    immediate_risk = forms.BooleanField(label="A child is at immediate risk of harm", required=False)

    def __init__(
        self,
        *args,
        children: list,
        actions: list,
        agencies: list,
        people: list,
        sees_case: bool,
        more_found: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        if more_found:
            self.fields[
                "find"
            ].help_text = "More people match than are listed: type more of the name and select Find again."
        if sees_case:
            offer(self.fields["child"], children, lambda p: p.full_name)
            offer(self.fields["action"], actions, lambda a: f"{a.lead_agency}: {shortened(a.what)}")
        else:
            # Raising grants no access to the case (DOMAIN section 7): who does not see it (the referring agency, an
            # agency invited before, after closure) is shown none of its children or actions, so cannot name one.
            del self.fields["child"], self.fields["action"]
            subject = cast(forms.ChoiceField, self.fields["subject"])
            subject.choices = [c for c in Subject.choices if c[0] not in (Subject.CHILD_DECISION, Subject.ACTION)]
            subject.help_text = (
                "To disagree about a decision for a child or an action, say which in the outcome sought."
            )
        offer(self.fields["with_agency"], agencies)
        offer(self.fields["with_person"], people, lambda u: f"{u.get_full_name() or u.username}, {u.agency}")


class StageForm(GovFormMixin, forms.Form):
    said = GovTextarea(label="What was said", rows=5, message="Enter what was said")
    result = GovRadios(
        label="Result of this stage", choices=StageResult.choices, message="Select the result of this stage"
    )

    def __init__(self, *args, allowed: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["result"].choices = [(value, label) for value, label in StageResult.choices if value in allowed]  # type: ignore[attr-defined]


class FindForm(GovFormMixin, forms.Form):
    """A case by its reference, to raise a disagreement about (a practitioner who no longer sees the case)."""

    reference = forms.CharField(
        label="Case reference",
        max_length=40,
        help_text="For example, DSC-2026-00017",
        error_messages={"required": "Enter the case reference"},
    )
