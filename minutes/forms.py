"""Forms of the minutes page: they only parse input; the rules are in services."""

from django import forms

from core.forms import EMAIL_FORMAT, GovFormMixin, GovTextarea
from minutes.models import Recipient, Sends, Source


class DistributionForm(GovFormMixin, forms.Form):
    """One row per recipient: an email address for those who are not users; the version, for the chair."""

    def __init__(self, *args, recipients: list[Recipient], chair: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rows = []
        for recipient in recipients:
            email_name, sends_name = f"email-{recipient.pk}", f"sends-{recipient.pk}"
            if not recipient.user_id:
                self.fields[email_name] = forms.EmailField(
                    label=f"Email address of {recipient}",
                    required=False,
                    max_length=254,
                    initial=recipient.email,
                    error_messages={
                        "invalid": f"Enter the email address of {recipient} in the correct format, "
                        "like name@example.com"
                    },
                )
                self.fields[email_name].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
            if chair:
                choices = [
                    (value, label)
                    for value, label in Sends.choices
                    if not (recipient.source == Source.FAMILY and value == Sends.FULL)
                ]
                self.fields[sends_name] = forms.ChoiceField(
                    label=f"What {recipient} is sent",
                    choices=choices,
                    initial=recipient.sends,
                    error_messages={"invalid_choice": f"Choose what {recipient} is sent"},
                )
            self.rows.append(
                (
                    recipient,
                    self[email_name] if email_name in self.fields else None,
                    self[sends_name] if sends_name in self.fields else None,
                )
            )

    def emails(self) -> dict[int, str]:
        return {int(k.split("-")[1]): v for k, v in self.cleaned_data.items() if k.startswith("email-")}

    def choices(self) -> dict[int, str]:
        return {int(k.split("-")[1]): v for k, v in self.cleaned_data.items() if k.startswith("sends-")}


class RecipientAddForm(GovFormMixin, forms.Form):
    name = forms.CharField(label="Name", max_length=200, error_messages={"required": "Enter the recipient's name"})
    role = forms.CharField(label="Role", max_length=200, required=False, help_text="For example, GP or parent")
    organisation = forms.CharField(label="Organisation", max_length=200, required=False)
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter the recipient's email address",
            "invalid": EMAIL_FORMAT,
        },
    )
    family = forms.BooleanField(
        label="A member of the child's family",
        required=False,
        help_text="They can be sent the family summary only, never the minutes.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, prefix="add", **kwargs)


class RecipientRemoveForm(GovFormMixin, forms.Form):
    """Taking someone off the distribution list: the reason is needed for one the distribution requires."""

    reason = GovTextarea(
        label="Reason for taking them off the list",
        rows=3,
        max_length=2000,
        help_text="For example, no address known, or they have left the agency.",
        message="Enter the reason for taking them off the list",
    )

    def __init__(self, *args, required: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required
        if not required:
            self.fields["reason"].label = "Reason for taking them off the list (optional)"
