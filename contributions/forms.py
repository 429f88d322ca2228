"""The forms of contributions: inviting someone from outside the partnership, asking for information, the one-time
code and the contribution itself. Cross-field rules are the services'; their errors are shown on the fields."""

from typing import Any

from django import forms

from contributions.models import CONTRIBUTION_PARTS, PART_MAX_LENGTH, ExternalKind
from core.forms import EMAIL_FORMAT, GovFormMixin, GovRadios, GovTextarea
from referrals.models import Person


class ExternalInviteeForm(GovFormMixin, forms.Form):
    name = forms.CharField(
        label="Full name", max_length=200, error_messages={"required": "Enter the person's full name"}
    )
    organisation = forms.CharField(
        label="Organisation",
        max_length=200,
        help_text="For example, the GP practice, the school or the other authority's children's services",
        error_messages={"required": "Enter the organisation they work for"},
    )
    role = forms.CharField(label="Role", max_length=200, error_messages={"required": "Enter their role"})
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="A link asking for their information goes here, and the code that opens it",
        error_messages={"required": "Enter their email address", "invalid": EMAIL_FORMAT},
    )
    kind = GovRadios(
        label="Kind of organisation", choices=ExternalKind.choices, message="Select the kind of organisation"
    )


class RequestForm(GovFormMixin, forms.Form):
    recipient = GovRadios(label="Who are you asking?", choices=[], message="Select who you are asking for information")
    email = forms.EmailField(
        label="Email address (optional)",
        required=False,
        max_length=254,
        help_text="Only for an agency whose invitee has no account with an email address",
        error_messages={"invalid": EMAIL_FORMAT},
    )
    question = GovTextarea(
        label="What are you asking for?",
        rows=5,
        max_length=PART_MAX_LENGTH,
        message="Enter what you are asking for",
        help_text="They see this and what you share below, never the case",
    )
    children = forms.ModelMultipleChoiceField(
        label="Share these children's first names and age bands (optional)",
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Never their surnames, dates of birth or the case reference",
        error_messages={"invalid_choice": "Select children this discussion is about"},
    )

    def __init__(self, *args, recipients: list[tuple[str, str]], children: list[Person], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient"].choices = recipients  # type: ignore[attr-defined]
        field = self.fields["children"]
        field.queryset = Person.objects.filter(pk__in=[c.pk for c in children])  # type: ignore[attr-defined]
        field.choices = [(c.pk, c.full_name) for c in children]  # type: ignore[attr-defined]


class CodeForm(GovFormMixin, forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6-digit code in the email we sent you",
        error_messages={"required": "Enter the 6-digit code from the email"},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "class": "govuk-input--width-10"}
        ),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PdfFilesField(forms.FileField):
    """Any number of files chosen in one input: the list as sent (contributions.services.files_check judges them)."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list:
        if isinstance(data, list | tuple):
            return [upload for upload in data if upload]
        return [data] if data else []


class ContributionForm(GovFormMixin, forms.Form):
    """Each part optional (the service asks for at least one), each at most 5,000 characters; PDF files optional
    (up to 5, each 10 MB or smaller: the service checks them)."""

    known_involvement = GovTextarea(label=CONTRIBUTION_PARTS["known_involvement"], rows=5, required=False)
    concerns = GovTextarea(label=CONTRIBUTION_PARTS["concerns"], rows=5, required=False)
    risks = GovTextarea(label=CONTRIBUTION_PARTS["risks"], rows=5, required=False)
    strengths = GovTextarea(label=CONTRIBUTION_PARTS["strengths"], rows=5, required=False)
    family_told = GovTextarea(label=CONTRIBUTION_PARTS["family_told"], rows=5, required=False)
    shareable_with_family = GovRadios(
        label="May what you have written be shared with the family?",
        choices=[("yes", "Yes"), ("no", "No")],
        message="Select yes if what you have written may be shared with the family",
        help_text="Select no if it could put the child at risk or harm a police investigation",
    )
    pdfs = PdfFilesField(label="PDF files (optional)", required=False)

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if not any(str(cleaned.get(key) or "").strip() for key in CONTRIBUTION_PARTS) and not any(
            key in self.errors for key in CONTRIBUTION_PARTS
        ):
            self.add_error("known_involvement", "Write at least one part of your contribution")
        return cleaned

    def service_data(self) -> dict:
        return {
            **{key: self.cleaned_data.get(key, "") for key in CONTRIBUTION_PARTS},
            "shareable_with_family": {"yes": True, "no": False}.get(self.cleaned_data.get("shareable_with_family", "")),
        }
