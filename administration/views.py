"""Audit pages: who has looked at a child's record, what a user has looked at, sign-ins (DPA 2018 s62)."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render

from administration.forms import LookFilter
from agencies.models import AuthEvent, User
from agencies.types import AuthenticatedRequest
from core.decorators import case_methods
from core.pages import keyset_page
from core.timescales import LONDON
from minutes.models import ExternalDownload
from referrals import access, services
from referrals.models import CaseView, ListLook
from referrals.selectors import list_looks_of_case

# Each log is read newest first, a page at a time by keyset (core.pages), from an index that ends with (moment, id):
# CaseView's (referral, viewed_at, id) and (user, viewed_at, id), AuthEvent's (partnership, at, id). The date
# filters are a range of the same index.
PAGE_SIZE = 50


def _day_bounds(form: LookFilter, field: str) -> dt.datetime | None:
    day = form.cleaned_data.get(field)
    if day is None:
        return None
    if field == "until":
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=LONDON)


def _filtered(queryset, form: LookFilter, moment: str):
    if not form.is_valid():
        return queryset.none()
    since, until = _day_bounds(form, "since"), _day_bounds(form, "until")
    if since:
        queryset = queryset.filter(**{f"{moment}__gte": since})
    if until:
        queryset = queryset.filter(**{f"{moment}__lt": until})
    return queryset


def _sees_case(request: AuthenticatedRequest, pk: int, **_kwargs) -> None:
    access.get_referral_for_user(request.user, pk)


@case_methods(["GET"], _sees_case)
def case_looks(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Who has looked at this child's record: who, agency, when, which page; by date and agency."""
    referral, checker = access.get_referral_for_user(request.user, pk)
    if not access.can_audit_case(checker):
        raise PermissionDenied("Team managers, heads of service and administrators see who has looked at a record")
    services.case_view_record(user=request.user, referral=referral, page="who looked")
    agencies = list(referral.partnership.agencies.order_by("name"))
    form = LookFilter(request.GET or None, agencies=agencies)
    looks = CaseView.objects.filter(referral=referral)
    if form.is_bound:
        looks = _filtered(looks, form, "viewed_at")
        if form.is_valid() and form.cleaned_data.get("agency"):
            # Not a column of the index: the case's looks are read newest first and those of other agencies
            # skipped, so this is bounded by the looks at one case.
            looks = looks.filter(user__agency=form.cleaned_data["agency"])
    page = keyset_page(
        looks,
        keys=("viewed_at", "id"),
        params=request.GET,
        decorate=lambda page: page.select_related("user__agency"),
        descending=True,
        size=PAGE_SIZE,
    )
    lists = list_looks_of_case(referral).select_related("user__agency").order_by("-looked_at", "-pk")
    if form.is_bound:
        lists = _filtered(lists, form, "looked_at")
        if form.is_valid() and form.cleaned_data.get("agency"):
            lists = lists.filter(user__agency=form.cleaned_data["agency"])
    link_downloads = (
        ExternalDownload.objects.filter(circulation__version__discussion__referral=referral)
        .select_related("circulation__recipient", "circulation__version")
        .order_by("-downloaded_at", "-pk")[:100]
    )
    return render(
        request,
        "administration/case_looks.html",
        {
            "referral": referral,
            "form": form,
            "page": page,
            "link_downloads": link_downloads,
            "lists": lists[:PAGE_SIZE],
            "has_errors": bool(form.errors),
        },
    )


def _audited_user(request: AuthenticatedRequest, user_pk: int, **_kwargs) -> User:
    """The partnership's user whose looks are asked for, for an auditor only; anyone else: 404, whatever the method."""
    if not access.can_audit_users(request.user):
        raise Http404("No such user")
    subject = (
        User.objects.select_related("agency")
        .filter(pk=user_pk, agency__partnership_id=request.user.partnership_id or 0)
        .first()
    )
    if subject is None:
        raise Http404("No such user")
    return subject


def _audits(request: AuthenticatedRequest, **_kwargs) -> None:
    if not access.can_audit_users(request.user):
        raise Http404("No such page")


# The access policy answers before the method check (core.decorators.case_methods): a person who may not audit gets
# 404 whatever the method, as everywhere else; an auditor gets 405 for a method the page does not take.
@case_methods(["GET"], _audited_user)
def user_looks(request: AuthenticatedRequest, user_pk: int) -> HttpResponse:
    """What this user has looked at: for a head of service (or administrator) investigating misuse."""
    subject = _audited_user(request, user_pk)
    form = LookFilter(request.GET or None)
    looks = CaseView.objects.filter(user=subject)
    if form.is_bound:
        looks = _filtered(looks, form, "viewed_at")
    page = keyset_page(
        looks,
        keys=("viewed_at", "id"),
        params=request.GET,
        decorate=lambda page: page.select_related("referral"),
        descending=True,
        size=PAGE_SIZE,
    )
    lists = ListLook.objects.filter(user=subject).order_by("-looked_at", "-id")  # (user, looked_at, id), backwards
    if form.is_bound:
        lists = _filtered(lists, form, "looked_at")
    return render(
        request,
        "administration/user_looks.html",
        {
            "subject": subject,
            "form": form,
            "page": page,
            "lists": lists[:PAGE_SIZE],
            "has_errors": bool(form.errors),
        },
    )


@case_methods(["GET"], _audits)
def auth_events(request: AuthenticatedRequest) -> HttpResponse:
    """Sign-ins, failed sign-ins, sign-outs, password changes, role and agency changes of the partnership's users."""
    _audits(request)
    form = LookFilter(request.GET or None)
    events = AuthEvent.objects.filter(partnership_id=request.user.partnership_id or 0)
    if form.is_bound:
        events = _filtered(events, form, "at")
    page = keyset_page(
        events,
        keys=("at", "id"),
        params=request.GET,
        decorate=lambda page: page.select_related("user", "actor"),
        descending=True,
        size=PAGE_SIZE,
    )
    people = list(
        User.objects.filter(agency__partnership_id=request.user.partnership_id or 0)
        .select_related("agency")
        .order_by("agency__name", "first_name")[:500]
    )
    return render(
        request,
        "administration/auth_events.html",
        {"form": form, "page": page, "people": people, "has_errors": bool(form.errors)},
    )
