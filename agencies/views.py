"""The second factor's pages: enter a code after the password, and set up an authenticator app."""

import segno
from django import forms
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from agencies import two_factor
from agencies.models import AuthEventKind, auth_event_record
from agencies.types import AuthenticatedRequest
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
    device = two_factor.setup_start(user)
    form = CodeForm(request.POST if request.POST.get("code") is not None else None)
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
