"""Audit pages: who has looked at a child's record, what a user has looked at, sign-ins (DPA 2018 s62)."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Min, Q
from django.http import Http404, HttpResponse
from django.shortcuts import render

from administration.forms import LookFilter
from agencies.models import AuthEvent, User
from agencies.types import AuthenticatedRequest
from core.decorators import case_methods
from core.pages import AFTER, BEFORE, COUNT_CAP, cursor_values, keyset_page, page_with_links
from core.timescales import LONDON
from minutes.models import ExternalDownload
from referrals import access, services
from referrals.models import CaseView, ListLook, ListLookMonth
from referrals.selectors import list_looks_of_case

# Each log is read newest first, a page at a time by keyset (core.pages), from an index that ends with (moment, id):
# CaseView's (referral, viewed_at, id) and (user, viewed_at, id), AuthEvent's (partnership, at, id), ListedCase's key
# (referral, looked_at, look). The date filters are a range of the same index.
PAGE_SIZE = 50
LISTS_SHOWN = 10  # the newest lists that showed a case, on "who has looked"; every one a click away
MONTHS_SHOWN = 120  # summarised months of lists that showed a case (per person), newest first


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


def _newest_first(request: AuthenticatedRequest, rows, moment: str, *related: str):
    """A page of a log by keyset, newest first, with the related rows each line shows."""
    return keyset_page(
        rows,
        keys=(moment, "id"),
        params=request.GET,
        decorate=lambda page: page.select_related(*related),
        descending=True,
        size=PAGE_SIZE,
    )


def _audit_page(request: AuthenticatedRequest, template: str, form: LookFilter, **context: Any) -> HttpResponse:
    """An audit page: its filter, told whether the filter has errors (the page then shows none of the log)."""
    return render(request, template, {"form": form, "has_errors": bool(form.errors), **context})


def _sees_case(request: AuthenticatedRequest, pk: int, **_kwargs) -> None:
    access.get_referral_for_user(request.user, pk)


def _case_looks(request: AuthenticatedRequest, pk: int):
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
    return referral, form, looks


def _person_key(cursor: str) -> tuple[dt.datetime, int] | None:
    values = cursor_values(cursor)
    if values is None or len(values) != 2 or type(values[1]) is not int or not isinstance(values[0], str):
        return None
    try:
        moment = dt.datetime.fromisoformat(values[0])
    except ValueError:
        return None
    return (moment, values[1]) if moment.tzinfo is not None else None


def people_who_looked(looks, params, *, size: int = PAGE_SIZE):
    """One row per person (first look, last look, how many), the latest looker first, a page at a time by keyset on
    (last look, user): the case's looks grouped by person, so bounded by the looks at one case."""
    people = looks.values("user_id").annotate(first=Min("viewed_at"), last=Max("viewed_at"), looks=Count("id"))
    after = _person_key(params.get(AFTER, "")) if params.get(AFTER) else None
    before = _person_key(params.get(BEFORE, "")) if params.get(BEFORE) and after is None else None
    if before is not None:
        moment, user_id = before
        read = people.filter(Q(last__gt=moment) | Q(last=moment, user_id__gt=user_id)).order_by("last", "user_id")
        rows = list(read[: size + 1])
        has_previous, has_next = len(rows) > size, True
        rows = rows[:size][::-1]
    else:
        if after is not None:
            moment, user_id = after
            people = people.filter(Q(last__lt=moment) | Q(last=moment, user_id__lt=user_id))
        rows = list(people.order_by("-last", "-user_id")[: size + 1])
        has_previous, has_next = after is not None, len(rows) > size
        rows = rows[:size]
    users = User.objects.select_related("agency").in_bulk([row["user_id"] for row in rows])
    for row in rows:
        row["user"] = users.get(row["user_id"])
    counted = looks.order_by().values("user_id").distinct()[: COUNT_CAP + 1].count()
    return page_with_links(
        rows,
        count=min(counted, COUNT_CAP),
        count_capped=counted > COUNT_CAP,
        params=params,
        has_previous=has_previous,
        has_next=has_next,
        key_of=lambda row: [row["last"], row["user_id"]],
    )


@case_methods(["GET"], _sees_case)
def case_looks(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Who has looked at this child's record: one row per person (first look, last look, how many), by date and
    agency; the full log of every look is a click away (case_looks_log)."""
    referral, form, looks = _case_looks(request, pk)
    page = people_who_looked(looks, request.GET)
    lists = _with_their_lists(_case_lists(referral, form).order_by("-looked_at", "-look_id")[:LISTS_SHOWN])
    link_downloads = (
        ExternalDownload.objects.filter(circulation__version__discussion__referral=referral)
        .select_related("circulation__recipient", "circulation__version")
        .order_by("-downloaded_at", "-pk")[:100]
    )
    return _audit_page(
        request,
        "administration/case_looks.html",
        form,
        referral=referral,
        page=page,
        link_downloads=link_downloads,
        lists=lists,
    )


def _case_lists(referral, form: LookFilter):
    """The lists and searches that showed the case, by date and agency: a range of the case's list log key (case,
    moment, list), newest first; the agency is the list's user's (not in the key: the case's lists are read newest
    first and other agencies' skipped, bounded by the lists that showed one case)."""
    lists = list_looks_of_case(referral)
    if form.is_bound:
        lists = _filtered(lists, form, "looked_at")
        if form.is_valid() and form.cleaned_data.get("agency"):
            lists = lists.filter(look__user__agency=form.cleaned_data["agency"])
    return lists


def _with_their_lists(rows) -> list:
    """The case's rows of the list log, each with its list (who, which page, the search) fetched by key in a query of
    its own: the page itself is then read from the case's range of the key alone, however the planner sees a join."""
    rows = list(rows)
    looks = ListLook.objects.select_related("user__agency").in_bulk([row.look_id for row in rows])
    for row in rows:
        row.look = looks.get(row.look_id)  # None only for a list summarised since the page was read
    return rows


@case_methods(["GET"], _sees_case)
def case_looks_lists(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Every list and search that showed this child's record, newest first, a page at a time by keyset on the case's
    range of the list log (referrals.models.ListedCase): who, agency, when, which list, the search; by date and
    agency."""
    referral, form, _looks = _case_looks(request, pk)
    page = keyset_page(
        _case_lists(referral, form),
        keys=("looked_at", "look"),
        params=request.GET,
        descending=True,
        size=PAGE_SIZE,
    )
    page.rows = _with_their_lists(page.rows)
    # The months past the retention period, summarised per person (referrals.retention): a range of the unique
    # (referral, month, user) index, the newest months first.
    months = (
        ListLookMonth.objects.filter(referral=referral)
        .select_related("user__agency")
        .order_by("-month", "user_id")[:MONTHS_SHOWN]
    )
    return _audit_page(
        request, "administration/case_looks_lists.html", form, referral=referral, page=page, months=months
    )


@case_methods(["GET"], _sees_case)
def case_looks_log(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Every look at this child's record, newest first: who, agency, when, which page; by date and agency."""
    referral, form, looks = _case_looks(request, pk)
    page = _newest_first(request, looks, "viewed_at", "user__agency")
    return _audit_page(request, "administration/case_looks_log.html", form, referral=referral, page=page)


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
    page = _newest_first(request, looks, "viewed_at", "referral")
    lists = ListLook.objects.filter(user=subject).order_by("-looked_at", "-id")  # (user, looked_at, id), backwards
    if form.is_bound:
        lists = _filtered(lists, form, "looked_at")
    return _audit_page(
        request, "administration/user_looks.html", form, subject=subject, page=page, lists=lists[:PAGE_SIZE]
    )


@case_methods(["GET"], _audits)
def auth_events(request: AuthenticatedRequest) -> HttpResponse:
    """Sign-ins, failed sign-ins, sign-outs, password changes, role and agency changes of the partnership's users."""
    _audits(request)
    form = LookFilter(request.GET or None)
    events = AuthEvent.objects.filter(partnership_id=request.user.partnership_id or 0)
    if form.is_bound:
        events = _filtered(events, form, "at")
    page = _newest_first(request, events, "at", "user", "actor")
    people = list(
        User.objects.filter(agency__partnership_id=request.user.partnership_id or 0)
        .select_related("agency")
        .order_by("agency__name", "first_name")[:500]
    )
    return _audit_page(request, "administration/auth_events.html", form, page=page, people=people)
