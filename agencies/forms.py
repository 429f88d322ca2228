"""Forms of the agencies app (used by the admin)."""

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone

from agencies.lockout import LIMITED_UNTIL
from agencies.models import AuthEventKind, User, auth_event_record
from core.forms import GovFormMixin, offer

MAX_USERNAME = 150  # the username column


class UserInviteForm(forms.ModelForm):
    """A new user in the admin: no password field. They are emailed a link to choose their own."""

    email = forms.EmailField(
        label="Email address",
        help_text="The user is emailed a link to choose their password.",
        error_messages={"required": "Enter the user's email address: they choose their password from an emailed link"},
    )

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "agency", "roles", "job_title", "line_manager"]

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
            self.save_m2m()
        return user


class NamedPersonForm(GovFormMixin, forms.Form):
    """Someone named for an agency: a user from the list, or their name when they are not listed (an action's
    named person, an invitee). Its fields come first in a subclass unless its `field_order` places them."""

    person = forms.ModelChoiceField(
        label="Named person",
        queryset=User.objects.none(),
        required=False,
        empty_label="Someone not listed here",
        error_messages={"invalid_choice": "Select the named person from the list"},
    )
    contact_name = forms.CharField(label="Or their name, if not listed", max_length=200, required=False)

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer(self.fields["person"], people, label=lambda person: f"{person} ({person.agency})")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("person") is not None and (cleaned.get("contact_name") or "").strip():
            # Both: which one was meant? (A name typed beside a person chosen was silently ignored: a walk.)
            self.add_error(
                "contact_name",
                f"Choose {cleaned['person']} from the list or type the name of someone not listed, not both",
            )
        return cleaned


class SignInForm(AuthenticationForm):
    """The sign-in form: a username too long to be anyone's is refused and audited before anything looks it up;
    an address refused for too many failures is told until when (that says nothing about any account)."""

    limited_message = ""

    @property
    def problem(self) -> tuple[str, str]:
        """The one problem the page shows, and the field it is about: what is missing, asked for by name (an empty
        form said "Enter a correct username and password": a walk); else the same words for a wrong username or
        password, which says nothing about which was wrong. ("", "") while there is no problem."""
        if not self.is_bound or not self.errors:
            return "", ""
        if self.limited_message:
            return self.limited_message, "username"
        username, password = str(self.data.get("username") or "").strip(), str(self.data.get("password") or "")
        if not username and not password:
            return "Enter your username and password", "username"
        if not username:
            return "Enter your username", "username"
        if not password:
            return "Enter your password", "password"
        return "Enter a correct username and password. Both are case-sensitive.", "username"

    def clean(self):
        username = str(self.data.get("username", ""))
        if len(username) > MAX_USERNAME:
            auth_event_record(
                kind=AuthEventKind.SIGN_IN_FAILED,
                username=username[:MAX_USERNAME],
                detail=f"Username of {len(username)} characters refused (at most {MAX_USERNAME})",
            )
            raise self.get_invalid_login_error()
        try:
            return super().clean()
        except ValidationError:
            until = getattr(self.request, LIMITED_UNTIL, None)
            if until is not None:
                self.limited_message = (
                    "There have been too many failed sign-ins from your network. "
                    f"Try again after {timezone.localtime(until):%H:%M:%S}."
                )
            raise


class AdminSignInForm(SignInForm, AdminAuthenticationForm):
    """The admin's sign-in page, with the same checks as /sign-in/ (and the admin's own: staff only)."""
