"""Reads for the pages people work from: their actions and their open deadlines (DOMAIN sections 4 and 5).

Every query starts from the access policy and is bounded by its page: the sort keys are on the
row listed (an action's finished flag and due moment; a deadline's stored due moment), each list
is read a page at a time from one index by keyset (core.pages) and its count stops at the cap, so
a page costs the same whatever the number of rows.
"""

import datetime as dt

import django_filters
from django.db.models import Q, QuerySet
from django.http import QueryDict

from actions.access import actions_visible_to
from actions.models import Action, ActionStatus, Notification
from agencies.models import RoleCode, User
from core.pages import KeysetPage, keyset_page
from core.panels import Panels
from core.presenters import RULE_NAMES, present_deadline_row
from core.timescales import DISAGREEMENT_RULES, to_local
from referrals.access import referrals_visible_to, visible_cases
from referrals.models import Deadline, DeadlineState, Referral
from referrals.selectors import CaseReferenceFilter, ChoiceFromList, FilterSetAt

# Unfinished first (so the overdue ones lead), then by due moment: the keys of the person and agency indexes
# after their first column.
ACTION_KEYS = ("finished", "due_at", "id")
DEADLINE_KEYS = ("due_at", "id")


class ActionFilter(FilterSetAt):
    status = ChoiceFromList(
        label="Status",
        choices=ActionStatus.choices,
        empty_label="Any status",
        method="filter_status",
        choose="a status",
    )
    reference = CaseReferenceFilter()
    due = ChoiceFromList(
        label="Due",
        choices=[("overdue", "Overdue"), ("today", "Due today"), ("week", "In the next 7 days"), ("later", "Later")],
        empty_label="Any time",
        method="filter_due",
        choose="when it is due",
    )

    class Meta:
        model = Action
        fields: list[str] = []

    def filter_status(self, queryset: QuerySet[Action], name: str, value: str) -> QuerySet[Action]:
        if not value:
            return queryset
        finished = value in (ActionStatus.DONE, ActionStatus.CANCELLED)
        return queryset.filter(finished=finished, status=value)  # one range of the list index, then the status

    def filter_due(self, queryset: QuerySet[Action], name: str, value: str) -> QuerySet[Action]:
        now = self.now
        local = to_local(now)
        end_of_today = local.replace(hour=23, minute=59, second=59, microsecond=0)
        unfinished = queryset.filter(finished=False)  # the unfinished range of the index, then due_at within it
        if value == "overdue":
            return unfinished.filter(due_at__lt=now)
        if value == "today":
            return unfinished.filter(due_at__gte=now, due_at__lte=end_of_today)
        if value == "week":
            return unfinished.filter(due_at__gte=now, due_at__lte=now + dt.timedelta(days=7))
        if value == "later":
            return unfinished.filter(due_at__gt=now + dt.timedelta(days=7))
        return queryset


def my_actions(*, user: User, params, now: dt.datetime) -> ActionFilter:
    """Actions the user is the named person for, on cases they may see (index action_person_list)."""
    return ActionFilter(params, queryset=actions_visible_to(user).filter(person=user), now=now)


def agency_actions(*, user: User, params, now: dt.datetime) -> ActionFilter:
    """Actions led by the user's agency, on cases they may see (index action_agency_list)."""
    return ActionFilter(params, queryset=actions_visible_to(user).filter(lead_agency_id=user.agency_id or 0), now=now)


def _listed_actions(page: QuerySet[Action]) -> QuerySet[Action]:
    return page.select_related("referral", "child", "lead_agency", "person", "deadline")


def action_list(*, user: User, which: str, params: QueryDict, now: dt.datetime) -> tuple[ActionFilter, KeysetPage]:
    """ "My actions" or "my agency's actions": the filter form and one page, unfinished first, then by due moment.

    A filter that does not make sense lists nothing (the form shows the error) rather than everything.
    """
    build = my_actions if which == "mine" else agency_actions
    filterset = build(user=user, params=params, now=now)
    results = filterset.qs if filterset.form.is_valid() else filterset.queryset.none()
    page = keyset_page(results, keys=ACTION_KEYS, params=params, decorate=_listed_actions)
    return filterset, page


def action_rows(page, *, now: dt.datetime) -> list[dict]:
    return [
        {
            "action": action,
            "deadline": present_deadline_row(action.deadline, now=now),
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
    rule = ChoiceFromList(
        label="Deadline",
        choices=list(RULE_NAMES.items()),
        empty_label="Every kind",
        choose="a kind of deadline",
    )
    reference = CaseReferenceFilter()

    class Meta:
        model = Deadline
        fields: list[str] = []


def open_deadlines(*, user: User, tab: str, params) -> DeadlineFilter:
    """The open deadlines of one tab, on cases the user may see.

    Mine and my agency's are each one range of a partial index on open deadlines, (responsible, due_at, id)
    and (agency, due_at, id), read in order a page at a time.
    """
    base = Deadline.objects.filter(state=DeadlineState.OPEN, partnership_id=user.partnership_id or 0)
    if tab == "team":
        # No single index range holds several people's deadlines: the page reads each direct report's first
        # page from their own range of the responsible index and merges them (deadline_list, merge_by).
        base = base.filter(responsible__line_manager=user)
    elif tab == "agency":
        # A disagreement's stage clock is for those party to it (disputes.access), not for all the holder's agency.
        base = base.filter(agency_id=user.agency_id or 0).exclude(
            ~Q(responsible=user) & ~Q(responsible__line_manager=user), rule__in=DISAGREEMENT_RULES
        )
    else:
        base = base.filter(responsible=user)
    visible = base.filter(visible_cases(user))
    return DeadlineFilter(params, queryset=visible)


def _listed_deadlines(page: QuerySet[Deadline]) -> QuerySet[Deadline]:
    return page.select_related("referral", "child", "responsible", "agency", "action")


def deadline_list(*, user: User, tab: str, params: QueryDict) -> tuple[DeadlineFilter, KeysetPage]:
    """One tab of the dashboard: the filter form and one page of open deadlines, soonest (so overdue) first."""
    filterset = open_deadlines(user=user, tab=tab, params=params)
    results = filterset.qs if filterset.form.is_valid() else filterset.queryset.none()
    # The team's: each member's first page from their own range of the open-deadline index, merged.
    team = ("responsible_id", list(user.reports.values_list("pk", flat=True))) if tab == "team" else None
    page = keyset_page(results, keys=DEADLINE_KEYS, params=params, decorate=_listed_deadlines, merge_by=team)
    return filterset, page


def deadline_rows(page, *, now: dt.datetime) -> list[dict]:
    return [
        {
            "deadline": deadline,
            "name": RULE_NAMES.get(deadline.rule, deadline.rule),
            "action": getattr(deadline, "action", None),
            "view": present_deadline_row(deadline, now=now),
        }
        for deadline in page
    ]


def overdue_deadlines(user: User, now: dt.datetime) -> QuerySet[Deadline]:
    """The user's own overdue deadlines (one range of the open-deadline index)."""
    return Deadline.objects.filter(state=DeadlineState.OPEN, responsible=user, due_at__lt=now)


def notification_list(*, user: User, params: QueryDict) -> tuple[KeysetPage, set[int]]:
    """The user's alerts, newest first, a page at a time from the (user, -id) index; and which of the page's
    cases they may still see (one query for the page)."""
    page = keyset_page(
        Notification.objects.filter(user=user),
        keys=("id",),
        descending=True,
        params=params,
        decorate=lambda page: page.select_related(
            "alert__deadline__referral", "alert__deadline__child", "alert__deadline__action"
        ),
    )
    visible = set(
        referrals_visible_to(user)
        .filter(pk__in=[n.alert.deadline.referral_id for n in page if n.alert.deadline_id])
        .values_list("pk", flat=True)
    )
    return page, visible


def case_actions(referral: Referral) -> list[Action]:
    """The case page's actions, soonest due first (registered with referrals.selectors at start-up)."""
    return list(
        Action.objects.filter(referral=referral)
        .select_related("lead_agency", "person", "child", "deadline")
        .order_by("due_at", "pk")
    )


# Panels of an action's page that an app above draws (the request for information that meets an automatic "Obtain
# information from ..." action, issue 31): each registers its template and a function of the action and the user
# looking that returns the panel's context, or None to draw nothing. actions never imports those apps.
ACTION_PANELS = Panels()  # each panel a function of the action and the user looking
