"""Referral pages. Views parse input, call one service or selector, and render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from agencies.models import RoleCode
from agencies.types import AuthenticatedRequest
from core.decorators import case_methods
from core.forms import add_service_errors
from core.timescales import to_local
from referrals import access, selectors, services, steps
from referrals.deadlines import deadline_move_later
from referrals.forms import GROUP_TITLES, DeadlineMoveForm, ReferralForms, add_another, people_initial
from referrals.models import Deadline, DeadlineState, Referral


@require_http_methods(["GET", "HEAD"])
def referral_list(request: AuthenticatedRequest) -> HttpResponse:
    now = timezone.now()
    filterset, page = selectors.referral_list(user=request.user, params=request.GET, now=now)
    rows = selectors.referral_rows(page, now=now)
    if access.can_view_partnership_cases(request.user) or access.may_be_invited(request.user):
        services.list_look_record(
            user=request.user,
            page="referral list",
            query=request.GET.urlencode(),
            referral_ids=[row["referral"].pk for row in rows],
        )
    return render(
        request,
        "referrals/referral_list.html",
        {
            "filter": filterset,
            "page": page,
            "rows": rows,
            "can_log": access.can_log_referral(request.user),
            "sees_cases": access.can_view_partnership_cases(request.user) or access.may_be_invited(request.user),
            "invited_only": access.may_be_invited(request.user),
            "is_analyst": request.user.has_role(RoleCode.PARTNERSHIP_ANALYST),
            "has_errors": not filterset.form.is_valid(),
        },
    )


def _form_page(request: AuthenticatedRequest, *, referral: Referral | None) -> HttpResponse:
    """The log and edit pages: bind, save through one service, or show what was typed with the errors."""
    now = timezone.now()
    partnership = referral.partnership if referral else access.own_partnership(request.user)
    adding = next((g for g in GROUP_TITLES if f"add_{g}" in request.POST), None)
    data = add_another(request.POST, adding) if adding else (request.POST if request.method == "POST" else None)
    bound = ReferralForms(data, partnership=partnership, referral=referral, **_initial(referral, now))
    stale = False
    if adding:
        bound.quiet()
    elif data is not None and bound.is_valid():
        try:
            if referral is None:
                saved = services.referral_create(
                    acting_user=request.user,
                    submission_key=bound.form.cleaned_data["submission_key"],
                    now=now,
                    **bound.service_kwargs(),
                )
                messages.success(request, f"Referral {saved.reference} logged")
            else:
                saved = services.referral_update(
                    acting_user=request.user,
                    referral=referral,
                    expected_version=_int(request.POST.get("version")),
                    now=now,
                    **bound.service_kwargs(),
                )
                messages.success(request, f"Referral {saved.reference} updated")
            return redirect("referrals:detail", pk=saved.pk)
        except services.StaleEditError:
            stale = True
        except ValidationError as exc:
            bound.add_service_errors(exc)
    has_errors = stale or (data is not None and not adding and any(_errors(item) for item in bound.all))
    return render(
        request,
        "referrals/referral_form.html",
        {
            "form": bound.form,
            "people": [(group, GROUP_TITLES[group], formset) for group, formset in bound.people.items()],
            "all_forms": bound.all,
            "referral": referral,
            # Keep the version the user started from: a refused stale save stays refused until they reopen the page.
            "version": (request.POST.get("version") if request.method == "POST" else referral.version)
            if referral
            else None,
            "stale": stale,
            "has_errors": has_errors,
            "deadline_fixed": referral is not None
            and referral.strategy_discussion_deadline().state != DeadlineState.OPEN,
        },
        status=409 if stale else 200,
    )


def _errors(item) -> bool:
    return bool(item.total_error_count() if hasattr(item, "total_error_count") else item.errors)


def _initial(referral: Referral | None, now) -> dict:
    """What the edit page starts from: the referral as stored."""
    if referral is None:
        return {}
    local = to_local(referral.received_at)
    groups = selectors.referral_people(referral, today=to_local(now).date())
    return {
        "initial": {
            "received_date": local.date(),
            "received_time": local.strftime("%H:%M"),
            "referrer_name": referral.referrer_name,
            "referrer_agency": referral.referrer_agency_id,
            "referrer_organisation": referral.referrer_organisation,
            "referrer_contact": referral.referrer_contact,
            "concerns": list(referral.concerns.values_list("code", flat=True)),
            "non_mobile_infant_injury": {True: "yes", False: "no", None: None}[referral.non_mobile_infant_injury],
            "urgency": referral.urgency,
            "urgency_reason": referral.urgency_reason,
            "immediate_action_taken": referral.immediate_action_taken,
            "immediate_action_agency": referral.immediate_action_agency_id,
            "immediate_action_details": referral.immediate_action_details,
            "concern_summary": referral.concern_summary,
            "allocated_social_worker": referral.allocated_social_worker_id,
        },
        "people_initial": people_initial(groups),
    }


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return -1


@require_http_methods(["GET", "HEAD", "POST"])
def referral_create(request: AuthenticatedRequest) -> HttpResponse:
    if not access.can_log_referral(request.user):
        raise PermissionDenied("Only CSC social workers and team managers log referrals")
    return _form_page(request, referral=None)


def _sees_case(request: AuthenticatedRequest, pk: int, **_kwargs) -> None:
    access.get_referral_for_user(request.user, pk)


@case_methods(["GET"], _sees_case)
def referral_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    referral, checker = access.get_referral_for_user(request.user, pk)
    services.case_view_record(user=request.user, referral=referral, page="referral detail")
    context = {
        "referral": referral,
        "checker": checker,
        "can_audit_case": access.can_audit_case(checker),
        **selectors.referral_detail(referral, now=timezone.now()),
    }
    can_move = access.can_move_deadlines(request.user, referral)
    for row in context["deadline_rows"]:
        deadline = row["deadline"]
        # The step that meets each clock after the meeting, for whoever records it; a team manager moves clocks.
        row["step"] = steps.step_for(deadline) if steps.can_record_step(checker, deadline) else None
        row["can_move"] = can_move and deadline.state == DeadlineState.OPEN and deadline.rule != "ACTION"
    return render(request, "referrals/referral_detail.html", context)


@case_methods(["GET", "POST"], _sees_case)
def referral_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    referral, _checker = access.get_referral_for_user(request.user, pk, write=True)
    if request.method == "GET":
        services.case_view_record(user=request.user, referral=referral, page="referral edit")
    return _form_page(request, referral=referral)


@case_methods(["GET", "POST"], _sees_case)
def deadline_move(request: AuthenticatedRequest, pk: int, deadline_pk: int) -> HttpResponse:
    """A team manager moves one of the case's open clocks later, with the reason (DOMAIN section 1)."""
    referral, _checker = access.get_referral_for_user(request.user, pk)
    deadline = Deadline.objects.select_related("child").filter(pk=deadline_pk, referral=referral).first()
    if deadline is None:
        raise Http404("No such deadline")
    if not access.can_move_deadlines(request.user, referral):
        raise PermissionDenied("Only a team manager in children's social care moves a deadline later")
    form = DeadlineMoveForm(request.POST if request.method == "POST" else None)
    if request.method == "GET":
        services.case_view_record(user=request.user, referral=referral, page="move a deadline")
    elif form.is_valid() and form.cleaned_data.get("due"):
        try:
            deadline_move_later(
                acting_user=request.user,
                deadline=deadline,
                due=form.cleaned_data["due"],
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc, {"due": "due_date"})
        else:
            messages.success(request, "Deadline moved later: the reason is kept on the case and in the minutes")
            return redirect(reverse("referrals:detail", kwargs={"pk": referral.pk}) + "#deadlines")
    context = {"referral": referral, "deadline": deadline, "form": form, "name": selectors.deadline_name(deadline)}
    return render(request, "referrals/deadline_move.html", context, status=400 if form.errors else 200)
