"""Pages people work from: an action, my actions, my agency's actions, and the deadlines dashboard."""

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from actions import forms, selectors, services
from actions.access import ActionChecker, get_action_for_user
from actions.models import Action, Notification
from agencies.models import Agency, User
from agencies.types import AuthenticatedRequest
from core.decorators import case_methods
from core.forms import add_service_errors
from core.timescales import to_local
from referrals import access as case_access
from referrals import services as case_services
from referrals.lists import render_case_list


def _list(request: AuthenticatedRequest, *, which: str) -> HttpResponse:
    now = timezone.now()
    filterset, page = selectors.action_list(user=request.user, which=which, params=request.GET, now=now)
    rows = selectors.action_rows(page, now=now)
    return render_case_list(
        request,
        "actions/action_list.html",
        look="my actions" if which == "mine" else "my agency's actions",
        referral_ids=[row["action"].referral_id for row in rows],
        filterset=filterset,
        page=page,
        rows=rows,
        which=which,
        title="My actions" if which == "mine" else "My agency's actions",
    )


@require_http_methods(["GET", "HEAD"])
def my_actions(request: AuthenticatedRequest) -> HttpResponse:
    return _list(request, which="mine")


@require_http_methods(["GET", "HEAD"])
def agency_actions(request: AuthenticatedRequest) -> HttpResponse:
    if request.user.agency_id is None:
        raise Http404("You are not a member of an agency")
    return _list(request, which="agency")


def _agencies_offered(action: Action, checker: ActionChecker) -> list[Agency]:
    """The agencies offered to lead an action: for the chair, the partnership's that can see the case (the service
    refuses another); for anyone else, its own."""
    if not checker.can_move_agency():
        return [action.lead_agency]
    return case_access.agencies_seeing_case(action.referral.partnership.agencies.order_by("name"), action.referral)


def _people(action: Action, agencies: list[Agency]) -> list[User]:
    return list(
        User.objects.practitioners()
        .filter(agency__in=agencies)
        .select_related("agency")
        .order_by("agency__name", "first_name", "last_name")
    )


def _page(
    request: AuthenticatedRequest, action: Action, checker: ActionChecker, *, bound: dict[str, Any] | None = None
) -> HttpResponse:
    bound = bound or {}
    now = timezone.now()
    agencies = _agencies_offered(action, checker)
    local_due = to_local(action.due_at)
    as_agreed = action.agreed or services.agreed(action)
    agreed_due = to_local(dt.datetime.fromisoformat(as_agreed["due_at"]))
    context = {
        "agreed_due": agreed_due,
        "agreed_form": bound.get("agreed")
        or forms.AgreedForm(
            prefix="agreed",
            initial={
                "what": as_agreed["what"],
                "measure": as_agreed["measure"],
                "due_date": agreed_due.date(),
                "due_time": agreed_due.strftime("%H:%M"),
            },
        ),
        "action": action,
        "checker": checker,
        "may_move_due": checker.can_move_due(now),
        "row": selectors.action_rows([action], now=now)[0],
        "panels": selectors.ACTION_PANELS.drawn(action, request.user, now=now),
        "status_form": bound.get("status") or forms.StatusForm(prefix="status", initial={"status": action.status}),
        "due_form": bound.get("due")
        or forms.DueForm(prefix="due", initial={"due_date": local_due.date(), "due_time": local_due.strftime("%H:%M")}),
        "reassign_form": bound.get("reassign")
        or forms.ReassignForm(
            prefix="reassign",
            agencies=agencies,
            people=_people(action, agencies),
            initial={
                "lead_agency": action.lead_agency_id,
                "person": action.person_id,
                "contact_name": "" if action.person_id else action.contact_name,  # a listed person: no typed name
            },
        ),
        "history": list(action.history.select_related("history_user").order_by("-history_date")[:20]),
        "error_forms": list(bound.values()),
        "has_errors": bool(bound),
    }
    return render(request, "actions/action_detail.html", context, status=400 if bound else 200)


def _sees_action(request: AuthenticatedRequest, action_pk: int, **_kwargs) -> None:
    get_action_for_user(request.user, action_pk)


@case_methods(["GET"], _sees_action)
def action_detail(request: AuthenticatedRequest, action_pk: int) -> HttpResponse:
    action, checker = get_action_for_user(request.user, action_pk)
    case_services.case_view_record(user=request.user, referral=action.referral, page="action")
    return _page(request, action, checker)


def _save(
    request: AuthenticatedRequest,
    action: Action,
    checker: ActionChecker,
    form: Form,
    save: Callable[[dict[str, Any]], str],
    rename: dict[str, str | None] | None = None,
) -> HttpResponse:
    """One form of the action page posted: saved through its service (`save` says what was done), or the page again
    with what was typed and the service's errors on it."""
    if form.is_valid() and (form.cleaned_data.get("due_at") or "due_date" not in form.fields):
        try:
            done = save(form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc, rename)
        else:
            messages.success(request, done)
            return redirect("actions:detail", action_pk=action.pk)
    return _page(request, action, checker, bound={form.prefix or "": form})


@case_methods(["POST"], _sees_action)
def action_status(request: AuthenticatedRequest, action_pk: int) -> HttpResponse:
    action, checker = get_action_for_user(request.user, action_pk, write=True)

    def save(data: dict[str, Any]) -> str:
        saved = services.action_set_status(
            acting_user=request.user, checker=checker, status=data["status"], note=data["note"], now=timezone.now()
        )
        return f"Action marked {saved.get_status_display().lower()}"

    return _save(request, action, checker, forms.StatusForm(request.POST, prefix="status"), save)


@case_methods(["POST"], _sees_action)
def action_due(request: AuthenticatedRequest, action_pk: int) -> HttpResponse:
    action, checker = get_action_for_user(request.user, action_pk, write=True)

    def save(data: dict[str, Any]) -> str:
        services.action_change_due(
            acting_user=request.user, checker=checker, due_at=data["due_at"], reason=data["reason"], now=timezone.now()
        )
        return "Due date changed"

    form = forms.DueForm(request.POST, prefix="due")
    return _save(request, action, checker, form, save, {"due": "due_date"})


@case_methods(["POST"], _sees_action)
def action_correct_agreed(request: AuthenticatedRequest, action_pk: int) -> HttpResponse:
    """The chair corrects what was agreed at the meeting: the minutes' action plan then needs a new version."""
    action, checker = get_action_for_user(request.user, action_pk, write=True)
    if not checker.can_correct_agreed():
        raise PermissionDenied("Only the chair corrects what was agreed at the meeting")

    def save(data: dict[str, Any]) -> str:
        services.action_correct_agreed(
            acting_user=request.user,
            checker=checker,
            what=data["what"],
            measure=data["measure"],
            due_at=data["due_at"],
            reason=data["reason"],
            now=timezone.now(),
        )
        return "What was agreed is corrected: the minutes need the chair's approval again"

    form = forms.AgreedForm(request.POST, prefix="agreed")
    return _save(request, action, checker, form, save, {"due": "due_date"})


@case_methods(["POST"], _sees_action)
def action_reassign(request: AuthenticatedRequest, action_pk: int) -> HttpResponse:
    action, checker = get_action_for_user(request.user, action_pk, write=True)
    agencies = _agencies_offered(action, checker)
    form = forms.ReassignForm(request.POST, prefix="reassign", agencies=agencies, people=_people(action, agencies))
    if not checker.can_move_agency():
        form.fields["lead_agency"].error_messages["invalid_choice"] = "Only the chair moves an action to another agency"

    def save(data: dict[str, Any]) -> str:
        services.action_reassign(
            acting_user=request.user,
            checker=checker,
            lead_agency=data["lead_agency"],
            person=data.get("person"),
            contact_name=data.get("contact_name", ""),
        )
        return "Action reassigned"

    return _save(request, action, checker, form, save)


@require_http_methods(["GET", "HEAD"])
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    """Every open deadline the user may see, by tab: red overdue, amber due soon, green otherwise."""
    tabs = selectors.dashboard_tabs(request.user)
    tab = request.GET.get("tab") or "mine"
    if tab not in tabs:
        raise Http404("No such tab")
    now = timezone.now()
    filterset, page = selectors.deadline_list(user=request.user, tab=tab, params=request.GET)
    rows = selectors.deadline_rows(page, now=now)
    return render_case_list(
        request,
        "actions/dashboard.html",
        look="deadlines",
        referral_ids=[row["deadline"].referral_id for row in rows],
        filterset=filterset,
        page=page,
        rows=rows,
        tabs=[(key, selectors.TABS[key]) for key in tabs],
        tab=tab,
    )


@require_http_methods(["GET", "HEAD"])
def notifications(request: AuthenticatedRequest) -> HttpResponse:
    """The user's alerts, newest first: what is due soon or overdue, with a link to the case."""
    page, visible = selectors.notification_list(user=request.user, params=request.GET)
    return render(request, "actions/notifications.html", {"page": page, "visible": visible})


def _own_notification(request: AuthenticatedRequest, notification_pk: int, **_kwargs) -> Notification:
    notification = (
        Notification.objects.filter(pk=notification_pk, user=request.user)
        .select_related("alert__deadline__action")
        .first()
    )
    if notification is None:
        raise Http404("No such notification")
    return notification


@case_methods(["POST"], _own_notification)
def notification_read(request: AuthenticatedRequest, notification_pk: int) -> HttpResponse:
    """Mark it read and go to what it is about (the action, or the case), if the user may still see it."""
    notification = _own_notification(request, notification_pk)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at=None).update(read_at=timezone.now())
    alert = notification.alert
    deadline = alert.deadline
    if deadline is None:
        # An alert about no deadline: its own page (a disagreement, the report, the rota), which checks access itself.
        return redirect(alert.link if alert.link.startswith("/") and not alert.link.startswith("//") else "/")
    if not case_access.referrals_visible_to(request.user).filter(pk=deadline.referral_id).exists():
        messages.info(request, "Marked as read. You can no longer see that case.")
        return redirect("actions:notifications")
    # Where the work of the clock is done (the minutes, the meeting, the action, the step): the home page's
    # address for it, which checks the case again and knows every app's pages.
    return redirect("work:act", deadline_pk=deadline.pk)
