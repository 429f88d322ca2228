"""Referral pages. Views parse input, call one service or selector, and render."""

import uuid

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
from core.forms import add_service_errors, quiet
from core.presenters import present_deadline_row
from core.templatetags.govuk import error_summary
from core.timescales import DISAGREEMENT_RULES, to_local
from referrals import access, selectors, services, steps
from referrals.deadlines import deadline_move_later
from referrals.forms import (
    GROUP_TITLES,
    START_FIELDS,
    DeadlineMoveForm,
    DraftTask,
    ReferralForms,
    add_another,
    draft_initial,
    referral_part_form,
)
from referrals.lists import render_case_list
from referrals.models import Deadline, DeadlineState, Referral


@require_http_methods(["GET", "HEAD"])
def referral_list(request: AuthenticatedRequest) -> HttpResponse:
    now = timezone.now()
    filterset, page = selectors.referral_list(user=request.user, params=request.GET, now=now)
    rows = selectors.referral_rows(page, now=now)
    drafts = selectors.referral_rows(selectors.drafts_for(request.user), now=now)
    sees_cases = access.can_view_partnership_cases(request.user) or access.may_be_invited(request.user)
    return render_case_list(
        request,
        "referrals/referral_list.html",
        look="referral list" if sees_cases else None,
        referral_ids=[row["referral"].pk for row in (*rows, *drafts)],
        filterset=filterset,
        page=page,
        rows=rows,
        can_log=access.can_log_referral(request.user),
        sees_cases=sees_cases,
        invited_only=access.may_be_invited(request.user),
        is_analyst=request.user.has_role(RoleCode.PARTNERSHIP_ANALYST),
        drafts=drafts,
        sees_every_draft=access.sees_every_draft(request.user),
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
    elif data is not None:
        # The form's own errors and the rules' together: every problem of the form in one round.
        bound.add_rule_problems(
            services.referral_problems(acting_user=request.user, referral=referral, now=now, **bound.partial_kwargs())
        )
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
    initial, people = draft_initial(referral, selectors.referral_people(referral, today=to_local(now).date()))
    return {"initial": initial, "people_initial": people}


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return -1


@require_http_methods(["GET", "HEAD", "POST"])
def referral_create(request: AuthenticatedRequest) -> HttpResponse:
    """Log a referral: start a draft with when it was received and its urgency, then its task list.

    The whole referral posted at once (every field, as the edit page sends) is still logged in one go.
    """
    if not access.can_log_referral(request.user):
        raise PermissionDenied("Only CSC social workers and team managers log referrals")
    if request.method == "POST" and "start" not in request.POST:
        return _form_page(request, referral=None)
    form = referral_part_form(
        request.POST if request.method == "POST" else None,
        fields=START_FIELDS,
        partnership=access.own_partnership(request.user),
        initial={"submission_key": uuid.uuid4()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            draft = services.referral_draft_start(
                acting_user=request.user,
                received_at=form.cleaned_data["received_at"],
                urgency=form.cleaned_data["urgency"],
                submission_key=form.cleaned_data.get("submission_key"),
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc, {"received_at": "received_date"})
        else:
            messages.success(
                request, f"Draft referral {draft.reference} started: its clock runs from when it was received"
            )
            return redirect("referrals:draft", pk=draft.pk)
    return render(
        request,
        "referrals/referral_start.html",
        {"form": form, "has_errors": bool(form.errors)},
        status=400 if form.errors else 200,
    )


def _sees_draft(request: AuthenticatedRequest, pk: int, **_kwargs) -> None:
    _get_draft(request, pk)


def _get_draft(request: AuthenticatedRequest, pk: int) -> tuple[Referral, access.ReferralChecker]:
    """A draft the user may finish (who started it, or a team manager of the partnership); anything else 404."""
    referral, checker = access.get_referral_for_user(request.user, pk)
    if not checker.can_edit_draft():
        raise Http404("No such draft")
    return referral, checker


def _draft_clock(referral: Referral, now):
    deadline = referral.strategy_discussion_deadline()
    return present_deadline_row(deadline, now=now, standard_days=referral.partnership.standard_sd_days, due_soon=False)


def _draft_tasks(referral: Referral, *, now) -> list[DraftTask]:
    """Every task page of a draft as stored (to put the submission's problems on their fields, for their links)."""
    initial, people = draft_initial(referral, selectors.referral_people(referral, today=to_local(now).date()))
    return [DraftTask(task, None, referral=referral, initial=initial, people=people) for task in services.DRAFT_TASKS]


@case_methods(["GET", "POST"], _sees_draft)
def referral_draft(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A draft's task list (the GOV.UK "complete multiple tasks" pattern), its clock, and submitting it.

    Submitting checks everything at once: every problem is listed, linked to its field on its task's page.
    """
    referral, _checker = _get_draft(request, pk)
    now = timezone.now()
    if request.method == "GET":
        services.case_view_record(user=request.user, referral=referral, page="draft referral")
    stale = False
    summary: list[dict] = []
    if request.method == "POST":
        try:
            services.referral_draft_submit(
                acting_user=request.user, referral=referral, expected_version=_int(request.POST.get("version")), now=now
            )
        except services.StaleEditError:
            stale = True
        except ValidationError as exc:
            for task in _draft_tasks(referral, now=now):
                url = reverse("referrals:draft_task", kwargs={"pk": referral.pk, "task": task.task})
                for problem in task.add_problems(exc.message_dict):
                    anchor = f"#{problem['anchor']}" if problem["anchor"] else ""
                    summary.append({"message": f"{task.title}: {problem['message']}", "href": f"{url}?check=1{anchor}"})
        else:
            messages.success(request, f"Referral {referral.reference} logged")
            return redirect("referrals:detail", pk=referral.pk)
    problems = services.referral_draft_problems(referral, now=now)
    with_problems = {services.draft_task_of(key) for key in problems}
    tasks = [
        {
            "slug": task,
            "title": title,
            "status": "completed"
            if task in referral.draft_tasks and task not in with_problems
            else "incomplete"
            if task in referral.draft_tasks
            else "not_started",
            "problem": bool(summary) and task in with_problems,
        }
        for task, title in services.DRAFT_TASK_TITLES.items()
    ]
    return render(
        request,
        "referrals/referral_draft.html",
        {
            "referral": referral,
            "tasks": tasks,
            "done": sum(1 for t in tasks if t["status"] == "completed"),
            "clock": _draft_clock(referral, now),
            "summary": summary,
            "stale": stale,
            "has_errors": bool(summary) or stale,
        },
        status=409 if stale else 400 if summary else 200,
    )


@case_methods(["GET", "POST"], _sees_draft)
def referral_draft_task(request: AuthenticatedRequest, pk: int, task: str) -> HttpResponse:
    """One task of a draft: saved as typed ("Save and continue"), checked in full when the draft is submitted.

    With ?check=1 (the submission's error summary links here) the task's problems show on its fields.
    """
    referral, _checker = _get_draft(request, pk)
    if task not in services.DRAFT_TASKS:
        raise Http404("No such task")
    now = timezone.now()
    adding = f"add_{task}" in request.POST
    data = add_another(request.POST, task) if adding else (request.POST if request.method == "POST" else None)
    initial, people = draft_initial(referral, selectors.referral_people(referral, today=to_local(now).date()))
    page = DraftTask(task, data, referral=referral, initial=initial, people=people)
    stale = False
    summary: list[dict] = []
    if request.method == "GET":
        services.case_view_record(user=request.user, referral=referral, page="draft referral task")
        if request.GET.get("check"):
            summary = page.add_problems(services.referral_draft_problems(referral, now=now))
    elif adding:
        for item in page.all:
            quiet(item)
    elif page.is_valid():
        try:
            services.referral_draft_save(
                acting_user=request.user,
                referral=referral,
                expected_version=_int(request.POST.get("version")),
                task=task,
                now=now,
                **page.service_kwargs(),
            )
        except services.StaleEditError:
            stale = True
        except ValidationError as exc:
            summary = page.add_problems(exc.message_dict)
        else:
            messages.success(request, f"{page.title}: saved in the draft")
            return redirect("referrals:draft", pk=referral.pk)
    has_errors = stale or bool(summary) or (data is not None and not adding and any(_errors(i) for i in page.all))
    if data is not None and not adding and not summary:
        summary = error_summary(*page.all)["errors"]
    return render(
        request,
        "referrals/referral_draft_task.html",
        {
            "referral": referral,
            "page": page,
            "task": task,
            "summary": summary if has_errors or request.GET.get("check") else [],
            "stale": stale,
            "has_errors": has_errors or bool(summary),
            "version": request.POST.get("version") if request.method == "POST" else referral.version,
            "group_title": GROUP_TITLES.get(task, ""),
        },
        status=409 if stale else 400 if has_errors else 200,
    )


def _sees_case(request: AuthenticatedRequest, pk: int, **_kwargs) -> None:
    access.get_referral_for_user(request.user, pk)


@case_methods(["GET"], _sees_case)
def referral_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    referral, checker = access.get_referral_for_user(request.user, pk)
    if checker.draft:
        return redirect("referrals:draft", pk=referral.pk)
    services.case_view_record(user=request.user, referral=referral, page="referral detail")
    context = {
        "referral": referral,
        "checker": checker,
        "can_audit_case": access.can_audit_case(checker),
        **selectors.referral_detail(referral, now=timezone.now()),
        "panels": selectors.CASE_PANELS.drawn(checker, now=timezone.now()),
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
    referral, checker = access.get_referral_for_user(request.user, pk)
    if checker.draft:
        return redirect("referrals:draft", pk=referral.pk)
    referral, _checker = access.get_referral_for_user(request.user, pk, write=True)
    if request.method == "GET":
        services.case_view_record(user=request.user, referral=referral, page="referral edit")
    return _form_page(request, referral=referral)


@case_methods(["GET", "POST"], _sees_case)
def deadline_move(request: AuthenticatedRequest, pk: int, deadline_pk: int) -> HttpResponse:
    """A team manager moves one of the case's open clocks later, with the reason (DOMAIN section 1)."""
    referral, _checker = access.get_referral_for_user(request.user, pk)
    # A disagreement's stage clock is not the case's to move: it ends when the stage is recorded (disputes).
    deadline = (
        Deadline.objects.select_related("child")
        .filter(pk=deadline_pk, referral=referral)
        .exclude(rule__in=DISAGREEMENT_RULES)
        .first()
    )
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
