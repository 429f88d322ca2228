"""The minutes page (versions, PDFs, distribution, circulation) and the emailed link for recipients who are not users.

Every view asks the one access policy first (404 for a discussion the user may not see);
every POST checks the role again in the service.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db.models.fields.json import KeyTransform
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from agencies.types import AuthenticatedRequest
from contributions import codes, limits
from contributions.views import CodeLink, code_entry_page, link_response, link_start_page, token_pages
from core.decorators import case_methods
from core.forms import add_service_errors
from minutes import forms, pdf, record, services
from minutes.access import MinutesChecker, get_minutes_for_user, sent_to
from minutes.models import Circulation, Kind, Sends
from referrals import services as case_services
from strategy.models import Discussion


def _sees(request: AuthenticatedRequest, discussion_pk: int, **_kwargs) -> None:
    get_minutes_for_user(request.user, discussion_pk)


def _kind(kind: str, *, allowed: tuple[str, ...] = (Kind.FULL, Kind.SUMMARY, Kind.FAMILY)) -> str:
    if kind not in allowed:
        raise Http404("No such document")
    return kind


def _pdf_response(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _page(
    request: AuthenticatedRequest,
    discussion: Discussion,
    checker: MinutesChecker,
    *,
    distribution: forms.DistributionForm | None = None,
    add: forms.RecipientAddForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    recipients = services.recipients(discussion)
    now = timezone.now()
    versions = list(
        discussion.minutes_versions.select_related("approved_by")  # type: ignore[attr-defined]
        .prefetch_related("documents")
        .annotate(family=KeyTransform("family", KeyTransform("sections", "snapshot")))
        .defer("snapshot")
        .order_by("-number")
    )
    latest = services.latest_version(discussion) if versions else None
    live = services.live_snapshot(discussion, now=now)
    changed = record.changed_sections(latest.snapshot if latest else None, live)
    if distribution is None:
        distribution = forms.DistributionForm(recipients=recipients, chair=checker.can_approve())
    circulations = list(
        Circulation.objects.filter(version__discussion=discussion)
        .select_related("recipient", "version", "sent_by", "withdrawn_by")
        .defer("version__snapshot")
        .order_by("-sent_at", "-pk")[:200]
    )
    context: dict[str, Any] = {
        "discussion": discussion,
        "referral": discussion.referral,
        "checker": checker,
        "versions": [
            (
                v,
                {d.kind: d for d in v.documents.all()},
                record.family_document_missing({"sections": {"family": v.family}}),
            )
            for v in versions
        ],
        "latest": latest,
        # Why there is no family document: in the record as it is now, and in the version that would be sent.
        "family_missing_now": record.family_document_missing(live),
        "family_missing_latest": record.family_document_missing(latest.snapshot) if latest else "",
        "changed": changed if latest else [],
        "can_approve_now": checker.can_approve() and (latest is None or bool(changed)),
        "distribution": distribution,
        "add": add or forms.RecipientAddForm(),
        "errors": errors or [],
        "circulations": circulations,
        "minutes_deadline": discussion.minutes_deadline,
        "progress": services.circulation_progress(discussion) if discussion.ended else None,
        "removed": list(
            discussion.recipients.exclude(removed_at=None).select_related("removed_by").order_by("removed_at", "pk")  # type: ignore[attr-defined]
        ),
        "has_errors": status == 400,
        # Sent nothing since their address changed, until the chair chooses again (issue 26, finding 5).
        "choose_again": [r for r in recipients if r.choose_again],
    }
    return render(request, "minutes/minutes.html", context, status=status)


@case_methods(["GET"], _sees)
def minutes_page(request: AuthenticatedRequest, discussion_pk: int) -> HttpResponse:
    try:
        discussion, checker = get_minutes_for_user(request.user, discussion_pk)
    except Http404:
        return _sent_page(request, discussion_pk)
    case_services.case_view_record(user=request.user, referral=discussion.referral, page="minutes")
    return _page(request, discussion, checker)


def _sent_page(request: AuthenticatedRequest, discussion_pk: int) -> HttpResponse:
    """A recipient who may not see the case (it is closed, or they were never invited): the versions they were
    sent, and nothing else of it; anyone else 404."""
    sent = sent_to(request.user, discussion_pk)
    if not sent:
        raise Http404("No such discussion")
    discussion = sent[0].version.discussion
    case_services.case_view_record(user=request.user, referral=discussion.referral, page="minutes sent to them")
    return render(request, "minutes/sent.html", {"discussion": discussion, "sent": sent})


@case_methods(["POST"], _sees)
def minutes_approve(request: AuthenticatedRequest, discussion_pk: int) -> HttpResponse:
    discussion, checker = get_minutes_for_user(request.user, discussion_pk, write=True)
    try:
        version = services.minutes_approve(acting_user=request.user, checker=checker, now=timezone.now())
    except ValidationError as exc:
        return _page(request, discussion, checker, errors=exc.messages, status=400)
    messages.success(request, f"Version {version.number} of the minutes is approved")
    return redirect("minutes:minutes", discussion.pk)


@case_methods(["POST"], _sees)
def distribution_save(request: AuthenticatedRequest, discussion_pk: int) -> HttpResponse:
    discussion, checker = get_minutes_for_user(request.user, discussion_pk, write=True)
    recipients = services.recipients(discussion)
    form = forms.DistributionForm(request.POST, recipients=recipients, chair=checker.can_approve())
    if form.is_valid():
        try:
            services.distribution_save(
                acting_user=request.user, checker=checker, emails=form.emails(), choices=form.choices() or None
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            again = [str(r) for r in discussion.recipients.filter(removed_at=None, choose_again=True).order_by("pk")]  # type: ignore[attr-defined]
            messages.success(
                request,
                "The distribution list is saved"
                + (
                    f". The email address of {', '.join(again)} changed: they are sent nothing until the chair "
                    "chooses again what they are sent"
                    if again
                    else ""
                ),
            )
            return redirect(reverse("minutes:minutes", args=[discussion.pk]) + "#distribution")
    return _page(request, discussion, checker, distribution=form, status=400)


@case_methods(["POST"], _sees)
def recipient_add(request: AuthenticatedRequest, discussion_pk: int) -> HttpResponse:
    discussion, checker = get_minutes_for_user(request.user, discussion_pk, write=True)
    form = forms.RecipientAddForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.recipient_add(
                acting_user=request.user,
                checker=checker,
                data=services.RecipientInput(
                    name=data["name"],
                    role=data["role"],
                    organisation=data["organisation"],
                    email=data["email"],
                    family=data["family"],
                ),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{data['name']} is added to the distribution list")
            return redirect(reverse("minutes:minutes", args=[discussion.pk]) + "#distribution")
    return _page(request, discussion, checker, add=form, status=400)


@case_methods(["GET", "POST"], _sees)
def recipient_remove(request: AuthenticatedRequest, discussion_pk: int, recipient_pk: int) -> HttpResponse:
    """Take someone off the distribution list; one the distribution requires: the chair, with the reason."""
    discussion, checker = get_minutes_for_user(request.user, discussion_pk, write=True)
    recipient = discussion.recipients.filter(pk=recipient_pk, removed_at=None).first()  # type: ignore[attr-defined]
    if recipient is None:
        raise Http404("No such recipient")
    form = forms.RecipientRemoveForm(request.POST if request.method == "POST" else None, required=recipient.required)
    if request.method == "POST" and form.is_valid():
        try:
            services.recipient_remove(
                acting_user=request.user,
                checker=checker,
                pk=recipient.pk,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{recipient} is taken off the distribution list")
            return redirect(reverse("minutes:minutes", args=[discussion.pk]) + "#distribution")
    context = {
        "discussion": discussion,
        "referral": discussion.referral,
        "recipient": recipient,
        "form": form,
        "chair": checker.can_approve(),
        "has_errors": bool(form.errors),
    }
    return render(request, "minutes/recipient_remove.html", context, status=400 if form.errors else 200)


@case_methods(["POST"], _sees)
def minutes_circulate(request: AuthenticatedRequest, discussion_pk: int) -> HttpResponse:
    discussion, checker = get_minutes_for_user(request.user, discussion_pk, write=True)
    try:
        sent = services.minutes_circulate(acting_user=request.user, checker=checker, now=timezone.now())
    except ValidationError as exc:
        recipients = services.recipients(discussion)
        form = forms.DistributionForm(recipients=recipients, chair=checker.can_approve())
        form.is_bound = True
        form.data = {f"email-{r.pk}": r.email for r in recipients} | {f"sends-{r.pk}": r.sends for r in recipients}
        form.full_clean()
        add_service_errors(form, exc)
        return _page(request, discussion, checker, distribution=form, status=400)
    version = sent[0].version
    waiting = [str(r) for r in services.recipients(discussion) if r.sends == Sends.NONE]
    left = f". Not sent, until the chair chooses what they are sent: {'; '.join(waiting)}" if waiting else ""
    messages.success(request, f"Version {version.number} of the minutes is sent to {len(sent)} recipients{left}")
    return redirect(reverse("minutes:minutes", args=[discussion.pk]) + "#circulation")


@case_methods(["GET"], _sees)
def draft_pdf(request: AuthenticatedRequest, discussion_pk: int, kind: str) -> HttpResponse:
    """The draft PDF of the record as it is now, once the worker has rendered it (issue 28: never in a web worker
    unless the broker is down). Until then a page saying it is being prepared, with a link to try again; opening
    it writes nothing (the worker writes the PDF), so the look is logged when the PDF itself is downloaded."""
    discussion, checker = get_minutes_for_user(request.user, discussion_pk)
    kind = _kind(kind, allowed=(Kind.FULL, Kind.SUMMARY))
    now = timezone.now()
    draft = services.draft_find(discussion, now=now, kind=kind)
    if draft is None:
        raise Http404("There is no family summary: nothing is shared with the family")
    if draft.document is None and services.draft_queue(discussion, draft=draft, now=now, kind=kind):
        return render(request, "minutes/draft_preparing.html", {"discussion": discussion, "kind": kind})
    content = services.draft_pdf(draft, now=now, kind=kind)
    case_services.case_view_record(user=request.user, referral=discussion.referral, page=f"minutes draft ({kind}) PDF")
    return _pdf_response(content, pdf.filename(discussion.referral.reference, kind=kind, number=None))


@case_methods(["GET"], _sees)
def version_pdf(request: AuthenticatedRequest, discussion_pk: int, number: int, kind: str) -> HttpResponse:
    kind = _kind(kind)
    checker: MinutesChecker | None = None
    try:
        discussion, checker = get_minutes_for_user(request.user, discussion_pk)
    except Http404:
        # A recipient who may not see the case opens exactly the version and kind they were sent.
        sent = [c for c in sent_to(request.user, discussion_pk) if c.version.number == number and c.kind == kind]
        if not sent:
            raise
        discussion = sent[0].version.discussion
    version = discussion.minutes_versions.filter(number=number).first()  # type: ignore[attr-defined]
    if version is None:
        raise Http404("No such version")
    if kind == Kind.FAMILY and (checker is None or not checker.can_read_superseded_family_version()):
        raise Http404("The family version was superseded by the family summary")
    document = services.document_download(user=request.user, discussion=discussion, version=version, kind=kind)
    if document is None:
        raise Http404("This version has no such document")
    return _pdf_response(bytes(document.pdf), pdf.filename(discussion.referral.reference, kind=kind, number=number))


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    """An emailed link for a recipient who is not a user: their version only, until it expires.

    Since issue 31 the link asks for a one-time code sent to the recipient's address, and then downloads in that
    browser as often as they like until it expires, each download logged (`_code_link`). A link sent before then
    works as it did: once.

    GET shows a button (a link scanner following the URL does not use it up); POST downloads.
    An unknown, used or expired link answers 404 with the same page, so it tells nothing. A withdrawn one
    (the superseded family version) answers 410 and says it was withdrawn, with nothing of the case.

    Its pages send `Referrer-Policy: same-origin` (`_link_response`): the token-bearing address is never sent
    to another site, while the button's POST back to this site carries this site's Origin, as Django's CSRF
    check needs. With `no-referrer` a browser posts `Origin: null` and the check refuses the download (403).
    """
    now = timezone.now()
    circulation: Circulation | None
    code_circulation = services.code_link_circulation(token, now=now)
    if code_circulation is not None:
        return link_response(_code_link(request, code_circulation, token))
    if services.link_withdrawn(token) is not None:
        return link_response(render(request, "minutes/link.html", {"withdrawn": True}, status=410))
    if request.method == "POST":
        found = services.link_download(token, now=now)
        if found is not None:
            circulation, document = found
            return link_response(
                _pdf_response(
                    bytes(document.pdf),
                    pdf.filename(
                        circulation.version.snapshot["reference"],
                        kind=circulation.kind,
                        number=circulation.version.number,
                    ),
                )
            )
        circulation = None
    else:
        circulation = services.link_circulation(token, now=now)
    return link_response(
        render(
            request, "minutes/link.html", {"circulation": circulation}, status=200 if circulation is not None else 404
        )
    )


# --- The code-protected link (issue 31): a one-time code to the recipient's address, then as many downloads ---

VERIFIED = "minutes_link_verified"  # the circulations this session has entered the right code for
MINUTES_LINK = CodeLink(namespace="minutes", template="minutes/link_start.html", scope="minutes", verified=VERIFIED)


def _invalid(request: HttpRequest) -> HttpResponse:
    """The one page for an unknown, expired, used or withdrawn link of the code pages (as the link's own)."""
    return render(request, "minutes/link.html", {"circulation": None}, status=404)  # its headers: the callers


def _verified(request: HttpRequest, circulation: Circulation) -> bool:
    return circulation.pk in request.session.get(VERIFIED, [])


def _code_start(request: HttpRequest, circulation: Circulation, token: str, *, limited: bool = False) -> HttpResponse:
    address = codes.masked(circulation.recipient.email)
    return link_start_page(request, MINUTES_LINK, token=token, address=address, limited=limited)


def _code_link(request: HttpRequest, circulation: Circulation, token: str) -> HttpResponse:
    """Without the code in this session: the page that sends one. With it: the version's page (GET) and its
    download (POST), each download logged in the external downloads log."""
    if not _verified(request, circulation):
        return _code_start(request, circulation, token)
    if request.method == "POST":
        document = services.code_link_download(circulation=circulation, now=timezone.now())
        if document is None:
            return _invalid(request)
        return _pdf_response(
            bytes(document.pdf),
            pdf.filename(
                circulation.version.snapshot["reference"], kind=circulation.kind, number=circulation.version.number
            ),
        )
    return render(request, "minutes/link.html", {"circulation": circulation, "code_link": True})


# The code pages: an unknown, expired or withdrawn link (or a single-use one sent before issue 31) answers the one
# "does not work" page.
_code_page = token_pages(
    lambda token: services.code_link_circulation(token, now=timezone.now()), lambda request, token: _invalid(request)
)


@_code_page(("POST",))
def link_code_send(request: HttpRequest, circulation: Circulation, token: str) -> HttpResponse:
    """Send a code to the address the link went to (never another), within the rate limits."""
    if not limits.allowed("send", request, circulation.pk, scope=MINUTES_LINK.scope):
        return _code_start(request, circulation, token, limited=True)
    services.link_code_send(circulation=circulation, now=timezone.now())
    return redirect("minutes:code", token=token)


@_code_page(("GET", "POST"))
def link_code(request: HttpRequest, circulation: Circulation, token: str) -> HttpResponse:
    """Enter the code: right, this session may download the version until the link expires."""
    return code_entry_page(
        request,
        MINUTES_LINK,
        token=token,
        key=circulation.pk,
        check=lambda code: services.link_code_check(circulation=circulation, code=code, now=timezone.now()),
        address=codes.masked(circulation.recipient.email),
    )
