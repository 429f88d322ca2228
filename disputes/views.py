"""Professional disagreement pages: raise one about a case, read one with its stages, record the current stage.

Every page goes through the disagreement policy (disputes.access, built on the case policy): not allowed is 404; a
post by someone who sees the disagreement but may not record its stage is 403. Each look is logged as a look at the
case. Errors come back in the GOV.UK error summary with what was typed kept, and nothing saved.
"""

import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.utils import ErrorDict
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from actions.models import Action
from agencies.types import AuthenticatedRequest
from core.decorators import case_methods
from core.forms import add_service_errors
from disputes import access, forms, selectors, services
from disputes.models import StageNumber
from referrals import services as case_services
from referrals.access import ReferralChecker, get_referral_for_user
from referrals.models import Person, PersonKind, Referral
from strategy.models import Trigger
from strategy.views import convene_form, convene_page, convene_submitted


def _may_raise_case(request: AuthenticatedRequest, pk: int, **_kwargs) -> None:
    access.get_case_to_raise(request.user, pk)


def _sees_disagreement(request: AuthenticatedRequest, disagreement_pk: int, **_kwargs) -> None:
    access.get_disagreement_for_user(request.user, disagreement_pk)


def _posted_pk(data, name: str) -> int | None:
    value = (data or {}).get(name) or ""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def _raise_form(
    referral: Referral, data=None, *, sees_case: bool, as_typed: bool = False, own_agency: int | None = None
) -> forms.RaiseForm:
    """The raise form; the case's children and actions only for who sees the case (raising grants no access). "With
    whom" offers a bounded list: the people on the case, and those found by name at the chosen agency."""
    agencies = access.agencies_offered(referral, sees_case=sees_case, own_agency_id=own_agency)
    people, more = selectors.people_offered(
        referral,
        sees_case=sees_case,
        agency_pk=_posted_pk(data, "with_agency"),
        find=((data or {}).get("find") or "")[:100],
        chosen_pk=_posted_pk(data, "with_person"),
    )
    children: list[Person] = []
    actions: list[Action] = []
    if sees_case:
        children = list(
            Person.objects.filter(referral=referral, kind=PersonKind.CHILD, removed_at=None).order_by("position", "pk")
        )
        actions = list(Action.objects.filter(referral=referral).select_related("lead_agency").order_by("pk"))
    return forms.RaiseForm(
        None if as_typed else data,
        initial=data.dict() if as_typed else None,
        children=children,
        actions=actions,
        agencies=agencies,
        people=people,
        sees_case=sees_case,
        more_found=more,
    )


def _found_form(referral: Referral, data, *, sees_case: bool, own_agency: int | None) -> forms.RaiseForm:
    """After "Find": the form as typed, not yet checked (no error but what the search itself needs), with the people
    found offered under "with whom"."""
    form = _raise_form(referral, data, sees_case=sees_case, as_typed=True, own_agency=own_agency)
    form.cleaned_data = {}
    form._errors = ErrorDict()  # type: ignore[attr-defined]  # unbound, yet showing the search's own errors
    if not data.get("with_agency"):
        form.add_error("with_agency", "Select the agency, then find the person")
    elif not (data.get("find") or "").strip():
        form.add_error("find", "Enter the start of the person's name to find them")
    return form


@case_methods(["GET", "POST"], _may_raise_case)
def disagreement_raise(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Raise a professional disagreement about a case (DOMAIN section 7): for any practitioner who sees the case, or
    of the agency that referred it or of any agency ever invited to it, after closure too."""
    referral = access.get_case_to_raise(request.user, pk)
    sees_case = ReferralChecker.for_user(request.user, referral).can_view()
    form = _raise_form(
        referral,
        request.POST if request.method == "POST" else None,
        sees_case=sees_case,
        own_agency=request.user.agency_id,
    )
    finding = request.method == "POST" and "find_person" in request.POST
    if request.method == "GET":
        case_services.case_view_record(user=request.user, referral=referral, page="raise a disagreement")
    elif finding:
        form = _found_form(referral, request.POST, sees_case=sees_case, own_agency=request.user.agency_id)
    elif form.is_valid():
        try:
            disagreement = services.disagreement_raise(
                acting_user=request.user, referral=referral, data=form.cleaned_data, now=timezone.now()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Disagreement raised: stage 1 has started")
            return redirect("disputes:detail", disagreement_pk=disagreement.pk)
    context = {"referral": referral, "form": form, "sees_case": sees_case}
    return render(request, "disputes/raise.html", context, status=400 if form.errors else 200)


def _detail(request: AuthenticatedRequest, checker: access.DisagreementChecker, form, *, status: int = 200):
    disagreement = checker.disagreement
    now = timezone.now()
    case = ReferralChecker.for_user(request.user, disagreement.referral)
    context = {
        "disagreement": disagreement,
        "checker": checker,
        "referral": disagreement.referral,
        "rows": selectors.stage_rows(checker, now=now),
        "form": form,
        "next_is_discussion": disagreement.is_open and disagreement.stage == StageNumber.DISCUSSION,
        "discussion": _stage_3_discussion(checker),
        "convene_state": checker.convene_state(),
        # A link to the case for who sees it; raising grants no access to it (an agency once invited, after closure).
        "sees_case": case.can_view(),
        "may_reopen": case.can_reopen(),
    }
    return render(request, "disputes/detail.html", context, status=status)


@case_methods(["GET"], _sees_disagreement)
def disagreement_detail(request: AuthenticatedRequest, disagreement_pk: int) -> HttpResponse:
    """A disagreement: what about, who with, each stage with its clock, what was said and the result; the form for the
    current stage for whoever may record it."""
    checker = access.get_disagreement_for_user(request.user, disagreement_pk)
    case_services.case_view_record(user=request.user, referral=checker.disagreement.referral, page="disagreement")
    form = forms.StageForm(allowed=checker.results_allowed()) if checker.can_record() else None
    return _detail(request, checker, form)


@case_methods(["POST"], _sees_disagreement)
def stage_record(request: AuthenticatedRequest, disagreement_pk: int) -> HttpResponse:
    """Record what was said at the current stage and its result: its holder (who raised it may withdraw it)."""
    checker = access.get_disagreement_for_user(request.user, disagreement_pk, write=True)
    form = forms.StageForm(request.POST, allowed=checker.results_allowed())
    if form.is_valid():
        try:
            disagreement = services.stage_record(
                acting_user=request.user,
                checker=checker,
                said=form.cleaned_data["said"],
                result=form.cleaned_data["result"],
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Stage recorded: the disagreement is {_state_words(disagreement)}")
            return redirect("disputes:detail", disagreement_pk=disagreement.pk)
    return _detail(request, checker, form, status=400)


def _state_words(disagreement) -> str:
    if disagreement.is_open:
        return f"now at stage {disagreement.stage} ({disagreement.get_stage_display().lower()})"
    return disagreement.get_status_display().lower()


@case_methods(["GET", "POST"], lambda request, **_kwargs: _practitioner_only(request))
def disagreement_find(request: AuthenticatedRequest) -> HttpResponse:
    """Raise a disagreement about a case by its reference: for a practitioner whose agency referred the case or was
    invited to it and who no longer sees it (closed). A case they may not raise one about reads as no such case."""
    _practitioner_only(request)
    form = forms.FindForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        reference = form.cleaned_data["reference"].strip().upper()
        referral = Referral.objects.filter(reference=reference, partnership_id=request.user.partnership_id or 0).first()
        if referral is not None and access.may_raise(request.user, referral):
            return redirect("disputes:raise", pk=referral.pk)
        form.add_error("reference", "There is no case with this reference that you can raise a disagreement about")
    return render(request, "disputes/find.html", {"form": form}, status=400 if form.errors else 200)


def _practitioner_only(request: AuthenticatedRequest) -> None:
    if not access.may_raise_by_reference(request.user):
        raise Http404("No such page")


def _stage_3_discussion(checker: access.DisagreementChecker):
    stage = next((s for s in checker.stages if s.number == StageNumber.DISCUSSION), None)
    return services.live_discussion(stage) if stage is not None else None


@case_methods(["GET", "POST"], _sees_disagreement)
def stage_convene(request: AuthenticatedRequest, disagreement_pk: int) -> HttpResponse:
    """Convene the strategy discussion of stage 3 (DOMAIN section 7): strategy's convene form with the trigger fixed
    to "a professional disagreement", the child it names chosen (else every child) and the agencies of both parties
    proposed; saved with the link to the stage in one transaction. Who sees the disagreement and may not convene:
    403; once convened (and not cancelled), the page goes to that discussion."""
    checker = access.get_disagreement_for_user(request.user, disagreement_pk)
    disagreement = checker.disagreement
    earlier = _stage_3_discussion(checker)
    if earlier is not None:
        messages.info(request, "A strategy discussion has already been convened to resolve this disagreement")
        if ReferralChecker.for_user(request.user, disagreement.referral).can_view():
            return redirect("strategy:meeting", discussion_pk=earlier.pk)
        return redirect("disputes:detail", disagreement_pk=disagreement.pk)
    if not checker.can_convene():
        raise PermissionDenied("Only children's social care convenes the strategy discussion, on an open case")
    referral, case_checker = get_referral_for_user(request.user, disagreement.referral_id, write=True)
    now = timezone.now()
    form = convene_form(
        request,
        referral,
        now,
        request.POST if request.method == "POST" else None,
        trigger=Trigger.PROFESSIONAL_DISAGREEMENT,
        children=[disagreement.child_id] if disagreement.child_id else None,
        parties=[disagreement.raised_by_agency, disagreement.with_agency],
        identified=checker.current.started_at if checker.current else None,
    )
    if request.method == "POST" and form.is_valid():
        convene = functools.partial(
            services.stage_discussion_convene, acting_user=request.user, checker=checker, now=now
        )
        saved = convene_submitted(request, form, convene, "Strategy discussion convened to resolve the disagreement")
        if saved is not None:
            return saved
    return convene_page(
        request,
        referral,
        case_checker,
        form,
        convened_for=f"{disagreement.get_subject_display().lower()}, raised by {disagreement.raised_by_agency} "
        f"with {disagreement.with_agency}",
        back_url=reverse("disputes:detail", kwargs={"disagreement_pk": disagreement.pk}),
    )
