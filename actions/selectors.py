"""Reads for the pages people work from: their actions and their open deadlines (DOMAIN sections 4 and 5).

Every query starts from the access policy and is bounded by its page: the sort keys are on the
row listed (an action's status and due moment; a deadline's stored due moment), so a page
costs the same whatever the number of rows.
"""

import datetime as dt

import django_filters
from django.db.models import QuerySet

from actions.access import actions_visible_to
from actions.models import Action, ActionStatus
from agencies.models import RoleCode, User
from core.presenters import RULE_NAMES, present_deadline
from core.timescales import Rule, to_local
from referrals.access import referrals_visible_to
from referrals.models import Deadline, DeadlineState
from referrals.selectors import normalise_reference

UNFINISHED = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


class ActionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label="Status",
        choices=ActionStatus.choices,
        empty_label="Any status",
        error_messages={"invalid_choice": "Select a status from the list"},
    )
    reference = django_filters.CharFilter(
        label="Case reference",
        method="filter_reference",
        max_length=30,
        help_text="For example, DSC-2026-00017",
        error_messages={"max_length": "Case reference must be 30 characters or fewer"},
    )
    due = django_filters.ChoiceFilter(
        label="Due",
        choices=[("overdue", "Overdue"), ("today", "Due today"), ("week", "In the next 7 days"), ("later", "Later")],
        empty_label="Any time",
        method="filter_due",
        error_messages={"invalid_choice": "Select when it is due from the list"},
    )

    class Meta:
        model = Action
        fields: list[str] = []

    def __init__(self, *args, now: dt.datetime, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.now = now

    def filter_reference(self, queryset: QuerySet[Action], name: str, value: str) -> QuerySet[Action]:
        if not value.strip():
            return queryset
        reference = normalise_reference(value)
        return queryset.filter(referral__reference=reference) if reference else queryset.none()

    def filter_due(self, queryset: QuerySet[Action], name: str, value: str) -> QuerySet[Action]:
        now = self.now
        local = to_local(now)
        end_of_today = local.replace(hour=23, minute=59, second=59, microsecond=0)
        unfinished = queryset.filter(status__in=UNFINISHED)
        if value == "overdue":
            return unfinished.filter(due_at__lt=now)
        if value == "today":
            return unfinished.filter(due_at__gte=now, due_at__lte=end_of_today)
        if value == "week":
            return unfinished.filter(due_at__gte=now, due_at__lte=now + dt.timedelta(days=7))
        if value == "later":
            return unfinished.filter(due_at__gt=now + dt.timedelta(days=7))
        return queryset


def _actions(queryset: QuerySet[Action], params, now: dt.datetime) -> ActionFilter:
    """Unfinished first (so the overdue ones lead), then by due moment."""
    ordered = queryset.select_related("referral", "child", "lead_agency", "person", "deadline").order_by(
        "finished", "due_at", "id"
    )
    return ActionFilter(params, queryset=ordered, now=now)


def my_actions(*, user: User, params, now: dt.datetime) -> ActionFilter:
    """Actions the user is the named person for, on cases they may see."""
    return _actions(actions_visible_to(user).filter(person=user), params, now)


def agency_actions(*, user: User, params, now: dt.datetime) -> ActionFilter:
    """Actions led by the user's agency, on cases they may see."""
    return _actions(actions_visible_to(user).filter(lead_agency_id=user.agency_id or 0), params, now)


def action_rows(page, *, now: dt.datetime) -> list[dict]:
    return [
        {
            "action": action,
            "deadline": present_deadline(
                rule=Rule.ACTION,
                due_at=action.deadline.due_at,
                state=action.deadline.state,
                met_at=action.deadline.met_at,
                stopped_at=action.deadline.stopped_at,
                due_soon_at=action.deadline.due_soon_at,
                now=now,
                standard_days=3,
            ),
        }
        for action in page
    ]


# --- The deadlines dashboard ---------------------------------------------------------------------------------

TABS = {
    "mine": "Mine",
    "team": "My team's",
    "agency": "My agency's",
}


def dashboard_tabs(user: User) -> list[str]:
    """Mine for everyone; my team's for team managers; my agency's for heads of service and leads."""
    tabs = ["mine"]
    if user.has_role(RoleCode.TEAM_MANAGER):
        tabs.append("team")
    if user.has_role(RoleCode.HEAD_OF_SERVICE):
        tabs.append("agency")
    return tabs


class DeadlineFilter(django_filters.FilterSet):
    rule = django_filters.ChoiceFilter(
        label="Deadline",
        choices=list(RULE_NAMES.items()),
        empty_label="Every kind",
        error_messages={"invalid_choice": "Select a kind of deadline from the list"},
    )
    reference = django_filters.CharFilter(
        label="Case reference",
        method="filter_reference",
        max_length=30,
        help_text="For example, DSC-2026-00017",
        error_messages={"max_length": "Case reference must be 30 characters or fewer"},
    )

    class Meta:
        model = Deadline
        fields: list[str] = []

    def filter_reference(self, queryset: QuerySet[Deadline], name: str, value: str) -> QuerySet[Deadline]:
        if not value.strip():
            return queryset
        reference = normalise_reference(value)
        return queryset.filter(referral__reference=reference) if reference else queryset.none()


def open_deadlines(*, user: User, tab: str, params) -> DeadlineFilter:
    """The open deadlines of one tab, soonest (so overdue) first, on cases the user may see."""
    base = Deadline.objects.filter(state=DeadlineState.OPEN, partnership_id=user.partnership_id or 0)
    if tab == "team":
        base = base.filter(responsible__line_manager=user)
    elif tab == "agency":
        base = base.filter(agency_id=user.agency_id or 0)
    else:
        base = base.filter(responsible=user)
    visible = base.filter(referral__in=referrals_visible_to(user))
    ordered = visible.select_related("referral", "child", "responsible", "agency", "action").order_by("due_at", "pk")
    return DeadlineFilter(params, queryset=ordered)


def deadline_rows(page, *, now: dt.datetime) -> list[dict]:
    return [
        {
            "deadline": deadline,
            "name": RULE_NAMES.get(deadline.rule, deadline.rule),
            "action": getattr(deadline, "action", None),
            "view": present_deadline(
                rule=deadline.rule,
                due_at=deadline.due_at,
                state=deadline.state,
                due_soon_at=deadline.due_soon_at,
                now=now,
                standard_days=3,
            ),
        }
        for deadline in page
    ]


def overdue_deadlines(user: User, now: dt.datetime) -> QuerySet[Deadline]:
    """The user's own overdue deadlines (one range of the open-deadline index)."""
    return Deadline.objects.filter(state=DeadlineState.OPEN, responsible=user, due_at__lt=now)


def overdue_count(user: User, now: dt.datetime) -> int:
    """How many of the user's own deadlines are overdue."""
    return overdue_deadlines(user, now).count()
