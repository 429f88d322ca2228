"""One's own sign-in: the second factor (a code after the password, setting up an app), changing one's password,
confirming a new email address; and the resets waiting for a second approval."""

import segno
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from agencies import resets, two_factor
from agencies.models import AccountReset, AgencyType, AuthEventKind, auth_event_record
from agencies.types import AuthenticatedRequest
from core import views as core_views
from core.sessions import sign_in_step


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=40,
        help_text="The 6-digit code your authenticator app shows now, or one of your recovery codes.",
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {"autocomplete": "one-time-code", "spellcheck": "false", "class": "govuk-input--width-10"}
        )


def _next(request: AuthenticatedRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False)
    return target if target and allowed and target.startswith("/") else reverse("home")


def _verified(request: AuthenticatedRequest, device) -> None:
    request.session.cycle_key()  # a new session id once the second factor is passed
    two_factor.mark_verified(request.session, device)


@sign_in_step
@require_http_methods(["GET", "HEAD", "POST"])
def two_factor_code(request: AuthenticatedRequest) -> HttpResponse:
    """After the password: the code from the authenticator app (or a recovery code)."""
    if two_factor.is_verified(request.user) or two_factor.app_device(request.user) is None:
        return HttpResponseRedirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.code_check(user=request.user, code=form.cleaned_data["code"])
        if device is not None:
            _verified(request, device)
            return HttpResponseRedirect(_next(request))
        auth_event_record(kind=AuthEventKind.TWO_FACTOR_FAILED, user=request.user, username=request.user.username)
        if two_factor.code_already_used(user=request.user, code=form.cleaned_data["code"]):
            form.add_error("code", "That code has been used: wait for your app to show the next one, then enter it")
        else:
            form.add_error("code", "The code is not right: enter the code your app shows now, or a recovery code")
    status = 400 if form.errors else 200
    return render(request, "agencies/two_factor_code.html", {"form": form, "next": _next(request)}, status=status)


@sign_in_step
@require_http_methods(["GET", "HEAD", "POST"])
def two_factor_setup(request: AuthenticatedRequest) -> HttpResponse:
    """Set up an authenticator app (required for managers and administrators, offered to everyone)."""
    user = request.user
    existing = two_factor.app_device(user)
    if existing is not None and not two_factor.is_verified(user):
        return redirect(f"{reverse('agencies:two_factor_code')}?next={reverse('agencies:two_factor_setup')}")
    if existing is not None and request.method == "POST" and request.POST.get("recovery") == "new":
        codes = two_factor.recovery_codes_replace(user)
        return render(request, "agencies/two_factor_codes.html", {"codes": codes, "next": _next(request)})
    if existing is not None and request.POST.get("start") != "again":
        return render(request, "agencies/two_factor_on.html", {"device": existing})
    posted_code = request.method == "POST" and request.POST.get("code") is not None
    device = two_factor.setup_start(user, request.session, save=posted_code)
    form = CodeForm(request.POST if posted_code else None)
    if form.is_bound and form.is_valid():
        confirmed = two_factor.setup_confirm(user=user, device=device, code=form.cleaned_data["code"])
        if confirmed is not None:
            _verified(request, confirmed.device)
            return render(
                request, "agencies/two_factor_codes.html", {"codes": confirmed.recovery_codes, "next": _next(request)}
            )
        form.add_error("code", "The code is not right: check the app shows this account, and enter the code now")
    qr = segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)
    context = {
        "form": form,
        "qr": qr,
        "secret": two_factor.secret_of(device),
        "required": two_factor.required(user),
        "next": _next(request),
        "has_errors": bool(form.errors),
    }
    return render(request, "agencies/two_factor_setup.html", context, status=400 if form.errors else 200)


# One's own password, with the current one and (for whoever has one) the second factor (issue 26).


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's form (the current password, the new one twice, every validator) and, for a user with an
    authenticator, its code: a stolen session alone cannot change the password."""

    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=40,
        required=False,
        help_text="The 6-digit code your app shows now, or one of your recovery codes.",
    )

    field_order = ["old_password", "new_password1", "new_password2", "code"]
    error_messages = {
        **auth_forms.PasswordChangeForm.error_messages,
        "password_incorrect": "Your current password is not right: enter it again",  # noqa: S105
    }

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(user, *args, **kwargs)
        self.needs_code = two_factor.app_device(user) is not None
        if not self.needs_code:
            del self.fields["code"]
        else:
            self.fields["code"].widget.attrs.update({"autocomplete": "one-time-code", "class": "govuk-input--width-10"})
        self.fields["old_password"].label = "Current password"
        self.fields["new_password1"].label, self.fields["new_password2"].label = "New password", "New password again"
        self.fields["old_password"].error_messages["required"] = "Enter your current password"
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"
        self.fields["new_password2"].error_messages["required"] = "Enter the new password again"

    def clean_code(self) -> str:
        code = self.cleaned_data.get("code", "")
        if not code:
            raise forms.ValidationError("Enter the 6-digit code from your authenticator app")
        if two_factor.code_check(user=self.user, code=code) is None:
            auth_event_record(kind=AuthEventKind.TWO_FACTOR_FAILED, user=self.user, detail="Changing the password")
            raise forms.ValidationError("The code is not right: enter the code your app shows now")
        return code


@require_http_methods(["GET", "HEAD", "POST"])
def password_change(request: AuthenticatedRequest) -> HttpResponse:
    """Change one's own password: the current password, the second factor if one is set up, then the new one."""
    form = PasswordChangeForm(request.user, request.POST if request.method == "POST" else None)
    credentials = {"username": request.user.username}
    if request.method == "POST" and not AxesProxyHandler.is_allowed(request, credentials):
        # Locked by wrong passwords (here or at sign-in): a stolen session cannot guess the password here either.
        form.is_valid()
        form.add_error("old_password", "Too many wrong passwords: try again in 15 minutes")
    elif request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()  # the sign-in audit records the change (User.save)
        update_session_auth_hash(request, user)  # this session stays signed in; every other one ends
        messages.success(request, "Your password has been changed")
        return redirect("home")
    elif request.method == "POST" and "old_password" in form.errors:
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)  # counted as at sign-in
    status = 400 if form.errors else 200
    return render(request, "agencies/password_change.html", {"form": form}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def email_confirm(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """The owner of the account, signed in, confirms the new address the link was sent to."""
    if request.method != "POST":
        return render(request, "agencies/email_confirm.html", {"token": token})
    try:
        email = resets.email_change_confirm(acting_user=request.user, token=token)
    except PermissionDenied as exc:
        raise Http404("No such link") from exc
    except ValidationError as exc:
        errors = [{"anchor": "confirm", "message": exc.messages[0]}]
        return render(request, "agencies/email_confirm.html", {"token": token, "errors": errors}, status=400)
    messages.success(request, f"Your email address is now {email}")
    return redirect("home")


class ResetDecisionForm(forms.Form):
    reset = forms.IntegerField()
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("decline", "Decline")])


def resets_waiting(request: AuthenticatedRequest) -> HttpResponse:
    """Resets of a manager's or administrator's sign-in waiting for a second approval (administrators and heads of
    service; everyone else 404 whatever the method)."""
    if not resets.may_see_resets(request.user):
        raise Http404("No such page")
    now = timezone.now()
    if request.method == "POST":
        form = ResetDecisionForm(request.POST)
        if not form.is_valid():
            raise Http404("No such reset")
        try:
            reset = resets.reset_decide(
                acting_user=request.user,
                reset_pk=form.cleaned_data["reset"],
                approve=form.cleaned_data["decision"] == "approve",
                now=now,
            )
        except (AccountReset.DoesNotExist, PermissionDenied) as exc:
            raise Http404("No such reset") from exc
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            verb = "Approved and done" if reset.approved else "Declined"
            messages.success(request, f"{verb}: {reset.get_kind_display().lower()} for {reset.user.username}")
        return redirect("agencies:resets")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    waiting = resets.resets_for_approver(request.user, now)
    return render(request, "agencies/resets.html", {"waiting": waiting})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403, except that what an agency outside children's social care may not see is "Page not found" (issue 26).

    Such an agency sees a case only while invited; a page of it they may not open (the edit form, convening, the
    clocks) answers as a case they were never invited to would. A change they may not make (a POST) stays 403.
    """
    user = getattr(request, "user", None)
    agency = getattr(user, "agency", None) if user is not None and user.is_authenticated else None
    match = getattr(request, "resolver_match", None)
    of_a_case = bool(match and match.kwargs)  # a page of a case, a discussion, an action...: not "log a referral"
    if (
        of_a_case
        and request.method in ("GET", "HEAD")
        and agency is not None
        and agency.agency_type != AgencyType.CHILDRENS_SOCIAL_CARE
    ):
        return core_views.page_not_found(request, exception)
    return core_views.permission_denied(request, exception)
