"""Forms of the agencies app (used by the admin)."""

from django import forms

from agencies.models import User


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
