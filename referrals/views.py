"""Referral pages. Views parse input, call one service or selector, and render."""

import datetime as dt
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from agencies.forms import quiet
from agencies.models import RoleCode
from agencies.timescales import describe_rule, describe_time_left, is_due_today, is_overdue, to_local
from agencies.types import AuthenticatedRequest
from referrals import access, selectors, services
from referrals.forms import PersonFormSet, ReferralForm
from referrals.models import SD_RULES, PersonKind, Referral, ReferralStatus
from referrals.services import PERSON_FIELDS

PAGE_SIZE = 25


def _deadline(
    *, referral: Referral, rule: str, due_at: dt.datetime, met_at: dt.datetime | None, now: dt.datetime
) -> dict:
    """One deadline of `referral` as the pages show it: when, how long left, its state in words (not colour alone)."""
    closed = referral.status == ReferralStatus.CLOSED
    text = describe_time_left(due_at, now)
    open_ = met_at is None and not closed
    return {
        "rule": rule,
        "due_at": due_at,
        "met_at": met_at,
        "met": met_at is not None,
        "met_late": met_at is not None and met_at > due_at,
        "met_label": "Held" if rule in SD_RULES else "Met",
        "closed": closed and met_at is None,
        "overdue": open_ and is_overdue(due_at, now),
        "overdue_by": text.removeprefix("Overdue "),
        "due_today": open_ and is_due_today(due_at, now),
        "text": text,
        "timescale": describe_rule(rule, referral.partnership.standard_sd_days),
    }


@require_http_methods(["GET"])
def referral_list(request: AuthenticatedRequest) -> HttpResponse:
    now = timezone.now()
    filterset = selectors.referral_list(user=request.user, params=request.GET, now=now)
    # Filters that do not make sense show an error rather than quietly listing everything.
    results = filterset.qs if filterset.form.is_valid() else filterset.queryset.none()
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    # Each row carries its strategy discussion deadline from Referral.objects.with_sd_deadline().
    rows = [
        {
            "referral": r,
            "deadline": _deadline(referral=r, rule=r.sd_rule, due_at=r.sd_due_at, met_at=r.sd_met_at, now=now),
        }
        for r in page
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "referrals/referral_list.html",
        {
            "filter": filterset,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "can_log": access.can_log_referral(request.user),
            "sees_cases": access.can_view_partnership_cases(request.user),
            "is_analyst": request.user.has_role(RoleCode.PARTNERSHIP_ANALYST),
            "has_errors": not filterset.form.is_valid(),
        },
    )


def _with_another(request: AuthenticatedRequest, prefix: str):
    """The POST data with one more blank form in the `prefix` formset ("Add another" without JavaScript)."""
    data = request.POST.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        data[key] = str(min(int(data.get(key, "0")) + 1, 20))
    except ValueError:
        data[key] = "1"
    return data


def _referral_form_page(
    request: AuthenticatedRequest,
    *,
    referral: Referral | None,
    initial: dict | None = None,
    initial_children=None,
    initial_household=None,
) -> HttpResponse:
    now = timezone.now()
    today = to_local(now).date()
    partnership = referral.partnership if referral else access.own_partnership(request.user)
    adding = next((p for p in ("children", "household") if f"add_{p}" in request.POST), None)
    data = _with_another(request, adding) if adding else (request.POST if request.method == "POST" else None)
    form = ReferralForm(
        data,
        partnership=partnership,
        now=now,
        initial=initial or {"submission_key": uuid.uuid4()},
        received_at=referral.received_at if referral else None,
    )
    children = PersonFormSet(
        data, prefix="children", kind=PersonKind.CHILD, today=today, initial=initial_children or None
    )
    household = PersonFormSet(
        data, prefix="household", kind=PersonKind.HOUSEHOLD, today=today, initial=initial_household or None
    )
    if data is None and not initial_children:
        children.extra = 1
    if data is None and not initial_household:
        household.extra = 1
    stale = False
    if request.method == "POST" and not adding:
        if form.is_valid() & children.is_valid() & household.is_valid():
            kwargs = {
                "acting_user": request.user,
                "data": form.cleaned_data,
                "concerns": form.cleaned_data["concerns"],
                "children": [f.cleaned_data for f in children.filled_forms()],
                "household": [f.cleaned_data for f in household.filled_forms()],
            }
            try:
                if referral is None:
                    saved = services.referral_create(submission_key=form.cleaned_data["submission_key"], **kwargs)
                    messages.success(request, f"Referral {saved.reference} logged")
                else:
                    saved = services.referral_update(
                        referral=referral, expected_version=_int(request.POST.get("version")), **kwargs
                    )
                    messages.success(request, f"Referral {saved.reference} updated")
                return redirect("referrals:detail", pk=saved.pk)
            except services.StaleEditError:
                stale = True
            except ValidationError as exc:
                # The service checks the whole record again; anything it refuses is shown, never a 500.
                form.add_error(None, exc)
    elif adding:
        for item in (form, children, household):
            quiet(item)
    return render(
        request,
        "referrals/referral_form.html",
        {
            "form": form,
            "children": children,
            "household": household,
            "referral": referral,
            # Keep the version the user started from: a refused stale save stays refused until they reopen the page.
            "version": (request.POST.get("version") if request.method == "POST" else referral.version)
            if referral
            else None,
            "stale": stale,
            "has_errors": stale
            or (
                request.method == "POST"
                and not adding
                and any((form.errors, children.total_error_count(), household.total_error_count()))
            ),
            "deadline_fixed": referral is not None and referral.strategy_discussion_deadline().met_at is not None,
        },
        status=409 if stale else 200,
    )


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return -1


@require_http_methods(["GET", "POST"])
def referral_create(request: AuthenticatedRequest) -> HttpResponse:
    if not access.can_log_referral(request.user):
        raise PermissionDenied("Only CSC social workers and team managers log referrals")
    return _referral_form_page(request, referral=None)


@require_http_methods(["GET"])
def referral_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    referral, checker = access.get_referral_for_user(request.user, pk)
    services.case_view_record(user=request.user, referral=referral, page="referral detail")
    now = timezone.now()
    sd = referral.strategy_discussion_deadline()
    context = {
        "referral": referral,
        "checker": checker,
        "deadline": _deadline(referral=referral, rule=sd.rule, due_at=sd.due_at, met_at=sd.met_at, now=now),
        **selectors.referral_detail(referral, today=to_local(now).date()),
    }
    return render(request, "referrals/referral_detail.html", context)


def _person_initial(person) -> dict:
    return {"id": person.pk, **{name: getattr(person, name) for name in PERSON_FIELDS}}


@require_http_methods(["GET", "POST"])
def referral_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    referral, _checker = access.get_referral_for_user(request.user, pk, write=True)
    if request.method == "GET":
        services.case_view_record(user=request.user, referral=referral, page="referral edit")
    detail = selectors.referral_detail(referral, today=to_local(timezone.now()).date())
    local = to_local(referral.received_at)
    initial = {
        "received_date": local.date(),
        "received_time": local.strftime("%H:%M"),
        "referrer_name": referral.referrer_name,
        "referrer_agency": referral.referrer_agency,
        "referrer_contact": referral.referrer_contact,
        "concerns": [c.code for c in detail["concerns"]],
        "urgency": referral.urgency,
        "immediate_action_taken": referral.immediate_action_taken,
        "immediate_action_agency": referral.immediate_action_agency_id,
        "immediate_action_details": referral.immediate_action_details,
        "concern_summary": referral.concern_summary,
    }
    return _referral_form_page(
        request,
        referral=referral,
        initial=initial,
        initial_children=[_person_initial(p) for p in detail["children"]],
        initial_household=[_person_initial(p) for p in detail["household"]],
    )
