"""Contribution pages (issue 31).

For practitioners, through the discussion's access check (404 for anyone who may not see the meeting): the
discussion's requests for information with their clocks, inviting someone from outside the partnership, and
asking for information.

For the person asked, signed out, through the emailed link `/contribute/<token>/`: a page that sends a one-time
code to the address the request went to; the code page; then, in the session the code verified, the
contribution form. An unknown, expired or used link answers one page ("This link has expired or is not valid",
404) whatever the method; only the session that sent the contribution is thanked after it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from agencies.types import AuthenticatedRequest
from contributions import codes, forms, limits, services
from contributions.models import ContributionFile, InformationRequest
from core.decorators import case_methods
from core.forms import add_service_errors
from core.presenters import present_deadline_row
from referrals.services import case_view_record
from strategy.access import DiscussionChecker, get_discussion_for_user

VERIFIED = "contributions_verified"  # the requests this session has entered the right code for
SUBMITTED = "contributions_submitted"  # the requests whose contribution this session sent


def _sees_discussion(request: AuthenticatedRequest, discussion_pk: int, **_kwargs: Any) -> None:
    get_discussion_for_user(request.user, discussion_pk)


def _may_invite(request: AuthenticatedRequest, discussion_pk: int) -> DiscussionChecker:
    """Whoever may invite to the discussion (strategy.access: CSC while the case is open); 404 for who may not see
    it, 403 for who may only read it."""
    _discussion, checker = get_discussion_for_user(request.user, discussion_pk)
    if not checker.can_record_all():
        raise PermissionDenied("Only CSC social workers and team managers invite people and ask for information")
    return checker


@case_methods(["GET"], _sees_discussion)
def requests_page(request: AuthenticatedRequest, discussion_pk: int) -> HttpResponse:
    """The discussion's requests for information, each with its clock, and who was invited from outside."""
    discussion, checker = get_discussion_for_user(request.user, discussion_pk)
    now = timezone.now()
    standard_days = discussion.referral.partnership.standard_sd_days
    rows = [
        {
            "request": row,
            "deadline": present_deadline_row(row.deadline, now=now, standard_days=standard_days),
            "children": services.shared_children(row, now=now),
            "files": list(getattr(getattr(row, "contribution", None), "files", ContributionFile.objects.none()).all()),
        }
        for row in discussion.information_requests.select_related("deadline", "action", "asked_by").prefetch_related(
            "children", Prefetch("contribution__files", queryset=ContributionFile.objects.defer("pdf"))
        )
    ]
    context = {
        "discussion": discussion,
        "checker": checker,
        "rows": rows,
        "invitees": list(discussion.external_invitees.filter(removed_at=None)),
    }
    return render(request, "contributions/requests.html", context)


@case_methods(["GET", "POST"], _sees_discussion)
def invitee_add(request: AuthenticatedRequest, discussion_pk: int) -> HttpResponse:
    """Invite a named person from outside the partnership: GOV.UK form, errors in the summary."""
    checker = _may_invite(request, discussion_pk)
    form = forms.ExternalInviteeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            invitee = services.external_invitee_add(
                acting_user=request.user, checker=checker, data=form.cleaned_data, now=timezone.now()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{invitee.name} ({invitee.organisation}) invited")
            return redirect("contributions:requests", discussion_pk=discussion_pk)
    context = {"discussion": checker.discussion, "form": form}
    return render(request, "contributions/invitee_add.html", context, status=400 if form.errors else 200)


@case_methods(["GET", "POST"], _sees_discussion)
def request_add(request: AuthenticatedRequest, discussion_pk: int) -> HttpResponse:
    """Ask an external invitee, or an invited agency that will not attend, for their information."""
    checker = _may_invite(request, discussion_pk)
    discussion = checker.discussion
    children = list(discussion.children.order_by("position", "pk"))
    recipients = services.who_may_be_asked(checker)
    # Sent from a page opened when someone could be asked (the last agency has attended since): the page as it is
    # now, saying there is nobody to ask, rather than an error about a choice it no longer offers.
    stale = request.method == "POST" and not recipients
    form = forms.RequestForm(
        request.POST if request.method == "POST" and not stale else None, recipients=recipients, children=children
    )
    if request.method == "POST" and form.is_valid():
        try:
            asked = services.information_request_create(
                acting_user=request.user,
                checker=checker,
                recipient=form.cleaned_data["recipient"],
                question=form.cleaned_data["question"],
                children=list(form.cleaned_data["children"]),
                email=form.cleaned_data.get("email") or "",
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Information asked of {asked.recipient_name}: the email has been sent")
            return redirect("contributions:requests", discussion_pk=discussion_pk)
    context = {"discussion": discussion, "form": form}
    return render(
        request, "contributions/request_add.html", context, status=409 if stale else 400 if form.errors else 200
    )


@case_methods(["GET"], _sees_discussion)
def file_download(request: AuthenticatedRequest, discussion_pk: int, file_pk: int) -> HttpResponse:
    """A PDF file sent with a contribution, to anyone who sees the meeting: only ever as an attachment, under a name
    made here, never rendered in the browser; each download logged as a look at the case."""
    discussion, _checker = get_discussion_for_user(request.user, discussion_pk)
    stored = ContributionFile.objects.filter(pk=file_pk, contribution__request__discussion=discussion).first()
    if stored is None:
        raise Http404("No such file")
    case_view_record(user=request.user, referral=discussion.referral, page=f"contribution file {stored.pk} (PDF)")
    response = HttpResponse(bytes(stored.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{stored.download_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- The emailed link, signed out ---------------------------------------------------------------------------


def link_response(response: HttpResponse) -> HttpResponse:
    """An emailed link's page (a contribution's, the minutes'): never cached; the token-bearing address never sent
    to another site."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


def token_pages(
    find: Callable[[str], Any], invalid: Callable[[HttpRequest, str], HttpResponse]
) -> Callable[[tuple[str, ...]], Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]]:
    """The decorator of one kind of emailed link's pages, given how it finds the row a token names (`find`, None
    for an unknown, expired or used token) and the page for such a token (`invalid`). Each page is signed out and
    takes the methods it is decorated with; an invalid token answers `invalid` whatever the method (so a method
    tells nothing either); a known one, 405 for a method the page does not take. Every answer is a
    `link_response`."""

    def methods_of(methods: tuple[str, ...]) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
        def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
            @login_not_required
            @wraps(view)
            def inner(request: HttpRequest, token: str) -> HttpResponse:
                found = find(token)
                if found is None:
                    return link_response(invalid(request, token))
                method = "GET" if request.method == "HEAD" else request.method
                if method not in methods:
                    return link_response(HttpResponseNotAllowed(methods))
                return link_response(view(request, found, token))

            return inner

        return decorator

    return methods_of


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "contributions/link_invalid.html", status=404)


def _not_open(request: HttpRequest, token: str) -> HttpResponse:
    """A used link shows "thank you" only to the browser that sent the contribution; to anyone else, it is as an
    unknown or expired one."""
    done = services.link_submitted(token)
    if done is not None and done.pk in request.session.get(SUBMITTED, []):
        return render(request, "contributions/link_done.html")
    return _invalid(request)


link_methods = token_pages(lambda token: services.link_request(token, now=timezone.now()), _not_open)


def _verified(request: HttpRequest, found: InformationRequest) -> bool:
    return found.pk in request.session.get(VERIFIED, [])


@dataclass(frozen=True)
class CodeLink:
    """A kind of emailed link whose pages ask for a one-time code, a contribution's or the minutes': its URL
    `namespace` (each has the pages `link`, `code_send` and `code`), its first page's `template` (extending
    templates/link_start.html), the `scope` its rate limits are counted in, and the session key listing the links
    this session has entered the right code for (`verified`)."""

    namespace: str
    template: str
    scope: str
    verified: str

    def url(self, page: str, token: str) -> str:
        return reverse(f"{self.namespace}:{page}", kwargs={"token": token})


CONTRIBUTION_LINK = CodeLink(
    namespace="contributions", template="contributions/link_start.html", scope="contribute", verified=VERIFIED
)


def link_start_page(
    request: HttpRequest, kind: CodeLink, *, token: str, address: str, limited: bool = False
) -> HttpResponse:
    """The first page of an emailed link: it sends a code to the masked `address`, or goes to the code page; over
    the rate limit (`limited`), 429 with the reason in the error summary."""
    context = {
        "address": address,
        "send_url": kind.url("code_send", token),
        "code_url": kind.url("code", token),
        "errors": [{"anchor": "send-code", "message": limits.TOO_MANY_CODES}] if limited else [],
    }
    return render(request, kind.template, context, status=429 if limited else 200)


def _start_page(request: HttpRequest, found: InformationRequest, token: str, *, limited: bool = False) -> HttpResponse:
    return link_start_page(request, CONTRIBUTION_LINK, token=token, address=codes.masked(found.email), limited=limited)


@link_methods(("GET", "POST"))
def link(request: HttpRequest, found: InformationRequest, token: str) -> HttpResponse:
    """Without the code: the page that sends one. With it (this session): the request and the contribution form."""
    if not _verified(request, found):
        return _start_page(request, found, token)
    now = timezone.now()
    form = forms.ContributionForm(
        request.POST if request.method == "POST" else None, request.FILES if request.method == "POST" else None
    )
    if request.method == "POST" and not form.is_valid():
        try:  # the files' problems are said with the text's, not after it is put right
            services.files_check(form.cleaned_data.get("pdfs") or [])
        except ValidationError as exc:
            add_service_errors(form, exc)
    elif request.method == "POST":
        try:
            services.contribution_submit(
                request=found, data=form.service_data(), files=form.cleaned_data.get("pdfs") or [], now=now
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                return _invalid(request)  # sent from another tab a moment ago, or the window just ended
            add_service_errors(form, exc)
        else:
            request.session[SUBMITTED] = [*request.session.get(SUBMITTED, []), found.pk]
            request.session[VERIFIED] = [pk for pk in request.session.get(VERIFIED, []) if pk != found.pk]
            return redirect("contributions:link", token=token)
    context = {
        "form": form,
        "found": found,
        "children": services.shared_children(found, now=now),
    }
    return render(request, "contributions/link_form.html", context, status=400 if form.errors else 200)


@link_methods(("POST",))
def code_send(request: HttpRequest, found: InformationRequest, token: str) -> HttpResponse:
    """Send a code to the address the request went to (never another), within the rate limits."""
    if not limits.allowed("send", request, found.pk):
        return _start_page(request, found, token, limited=True)
    services.code_send(request=found, now=timezone.now())
    return redirect("contributions:code", token=token)


def code_entry_page(
    request: HttpRequest, kind: CodeLink, *, token: str, key: int, check: Callable[[str], None], address: str
) -> HttpResponse:
    """The page that takes an emailed link's one-time code, for each `kind` of link: right, this session may use
    link `key` and goes back to the link; wrong, expired or used, the error in the summary; over the rate limit,
    429."""
    if key in request.session.get(kind.verified, []):
        return redirect(kind.url("link", token))
    form = forms.CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if not limits.allowed("check", request, key, scope=kind.scope):
            form.add_error("code", limits.MESSAGE)
            status = 429
        else:
            try:
                check(form.cleaned_data["code"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                request.session.cycle_key()
                request.session[kind.verified] = [*request.session.get(kind.verified, []), key]
                # Signed out, on what may be a shared computer: the proof lasts SESSION_IDLE_MINUTES from the code
                # (as a signed-in session left idle would), not the session cookie's days.
                request.session.set_expiry(settings.SESSION_IDLE_MINUTES * 60)
                return redirect(kind.url("link", token))
    if form.errors and status == 200:
        status = 400
    context = {"form": form, "address": address, "send_url": kind.url("code_send", token)}
    return render(request, "contributions/link_code.html", context, status=status)


@link_methods(("GET", "POST"))
def code_enter(request: HttpRequest, found: InformationRequest, token: str) -> HttpResponse:
    """Enter the code: right, this session may answer the request; wrong, expired or used, say so."""
    return code_entry_page(
        request,
        CONTRIBUTION_LINK,
        token=token,
        key=found.pk,
        check=lambda code: services.code_check(request=found, code=code, now=timezone.now()),
        address=codes.masked(found.email),
    )
