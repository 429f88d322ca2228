"""Reads of referrals. Every query starts from the access policy's visible set."""

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import django_filters
from django import forms
from django.db.models import F, OuterRef, Prefetch, QuerySet
from django.http import QueryDict

from agencies.models import User
from core.pages import KeysetPage, keyset_page
from core.panels import Panels
from core.presenters import RULE_NAMES, present_deadline, present_deadline_row
from core.queries import ProbedExists
from core.timescales import DISAGREEMENT_RULES, Rule, to_local
from referrals.access import referrals_visible_to, sees_every_draft
from referrals.models import (
    OTHER_PERSON_KINDS,
    DeadlineState,
    Person,
    PersonKind,
    Referral,
    ReferralQuerySet,
    ReferralStatus,
    Urgency,
    fold_for_search,
)
from referrals.search import (
    COMMON_MATCHES,
    expected_matches,
    partnership_keys,
    within_partnership,
    word_found,
    word_matches,
)

REFERENCE = re.compile(r"[A-Z]{2,10}-\d{4}-\d{1,9}", re.IGNORECASE)


def normalise_reference(value: str) -> str | None:
    """A case reference as stored (DSC-2026-00017) from what was typed (dsc-2026-17), or None if it is not one."""
    value = value.strip().upper()
    if not REFERENCE.fullmatch(value):
        return None
    prefix, year, number = value.split("-")
    return f"{prefix}-{year}-{int(number):05d}"


class CaseReferenceFilter(django_filters.CharFilter):
    """A case's reference however it is typed (dsc-2026-17): the rows of that one case; none for what is no
    reference. The one reference filter of the lists of a case's rows (actions, deadlines)."""

    def __init__(self, field_name: str = "referral__reference", **kwargs: Any) -> None:
        kwargs.setdefault("label", "Case reference")
        kwargs.setdefault("help_text", "For example, DSC-2026-00017")
        kwargs.setdefault("error_messages", {"max_length": "Case reference must be 30 characters or fewer"})
        super().__init__(field_name=field_name, max_length=30, **kwargs)

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if not value or not value.strip():
            return qs
        reference = normalise_reference(value)
        return qs.filter(**{self.field_name: reference}) if reference else qs.none()


class ChoiceFromList(django_filters.ChoiceFilter):
    """A list's filter by one value of a fixed list; a value not in it (an address edited by hand) is refused in
    GOV.UK words: `choose="a status"` says "Select a status from the list"."""

    def __init__(self, *, choose: str, **kwargs: Any) -> None:
        message = f"Select {choose} from the list"  # noqa: S608  # nosec B608 (words, not SQL)
        super().__init__(error_messages={"invalid_choice": message}, **kwargs)


# The list's sorts: a sort key on the referral row, read a page at a time from one index (core.pages). Referrals
# awaiting a strategy discussion come first, then held, then closed; the latest-first sorts keep that by reading
# the reversed rank backwards.
SORTS: dict[str, tuple[tuple[str, ...], bool]] = {
    "deadline": (("list_rank", "sd_due_at", "id"), False),
    "-deadline": (("list_rank_reversed", "sd_due_at", "id"), True),
    "received": (("list_rank", "received_at", "id"), False),
    "-received": (("list_rank_reversed", "received_at", "id"), True),
}
STATUS_RANKS = {
    ReferralStatus.AWAITING_DISCUSSION: 0,
    ReferralStatus.DISCUSSION_HELD: 1,
    ReferralStatus.CLOSED: 2,
}


class FilterSetAt(django_filters.FilterSet):
    """A list's filters that depend on the moment (overdue, due today): the view gives `now`, never the filter."""

    def __init__(self, *args, now: dt.datetime, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.now = now


class ReferralFilter(FilterSetAt):
    """Search by name or reference; filter by status, urgency and overdue; sort (see SORTS)."""

    q = django_filters.CharFilter(
        label="Name or reference",
        method="filter_name_or_reference",
        max_length=100,
        help_text="Of a child or household member",
        error_messages={"max_length": "Name or reference must be 100 characters or fewer"},
    )
    status = ChoiceFromList(
        label="Status",
        choices=ReferralStatus.choices,
        empty_label="Any status",
        method="filter_status",
        choose="a status",
    )
    urgency = ChoiceFromList(
        label="Urgency",
        choices=Urgency.choices,
        empty_label="Any urgency",
        choose="an urgency",
    )
    overdue = django_filters.BooleanFilter(label="Only overdue", method="filter_overdue", widget=forms.CheckboxInput)
    sort = ChoiceFromList(
        label="Sort by",
        choices=[
            ("deadline", "Deadline, soonest first"),
            ("-deadline", "Deadline, latest first"),
            ("received", "Received, oldest first"),
            ("-received", "Received, newest first"),
        ],
        method="filter_sort",
        help_text="Referrals awaiting a strategy discussion always come first",
        choose="a sort order",
        empty_label=None,
        null_label=None,
    )

    class Meta:
        model = Referral
        fields: list[str] = []

    def __init__(self, *args, partnership_id: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.partnership_id = partnership_id or 0  # the search index's keys are tagged with the user's partnership
        self.sorts_matches = False  # set by a name search (filter_name_or_reference)

    @property
    def sort_keys(self) -> tuple[tuple[str, ...], bool]:
        """The keys and direction of the sort asked for (the default when the form is not valid)."""
        chosen = self.form.cleaned_data.get("sort") if self.form.is_valid() else None
        return SORTS[chosen or "deadline"]

    @property
    def searches_by_name(self) -> bool:
        """A name was searched for whose matches are few (or not keyed): they are read by the search index and
        sorted (core.pages). A common one walks the list's own order instead (referrals.search.COMMON_MATCHES)."""
        return self.sorts_matches

    def filter_sort(self, queryset: QuerySet[Referral], name: str, value: str) -> QuerySet[Referral]:
        return queryset  # the page is read in this order by core.pages.keyset_page

    def filter_status(self, queryset: QuerySet[Referral], name: str, value: str) -> QuerySet[Referral]:
        if not value:
            return queryset
        if value == ReferralStatus.DRAFT:
            # Listed with the closed (rank 2, a generated column); the equal ranks let the drafts' own index serve.
            return queryset.filter(status=ReferralStatus.DRAFT, list_rank=2, list_rank_reversed=0)
        rank = STATUS_RANKS[ReferralStatus(value)]
        # Both ranks, so whichever index the sort reads (rank, or reversed rank for latest first) has it as a range.
        return queryset.filter(list_rank=rank, list_rank_reversed=2 - rank)

    def filter_name_or_reference(self, queryset: QuerySet[Referral], name: str, value: str) -> QuerySet[Referral]:
        """Every word must match a first name, last name or alias of one person in the referral, or the reference.

        One match, read one of two ways on PostgreSQL (referrals.search). A search the partnership has few cases
        for is read from the partnership's own keys of the search index, and those few cases sorted. A common one
        ("el", or "li" in a large partnership) walks the list in its order, checking each case, until the page is
        full. A search of several words then checks that one current person of the case has them all.
        """
        if reference := normalise_reference(value):
            return queryset.filter(reference=reference)
        words = fold_for_search(value).split()
        if not words:
            return queryset
        keys = partnership_keys(self.partnership_id, words)
        common = bool(keys) and expected_matches(keys) > COMMON_MATCHES
        self.sorts_matches = not common
        if keys and not common:
            queryset = queryset.filter(within_partnership(self.partnership_id, words))
        for word in words:
            # The referral's search text is its current people's names: one word found in it is found in one of
            # them. Checked on the few matches the index read, or on each case as a common search walks the list.
            queryset = queryset.filter(word_found(word) if common else word_matches(word))
        if len(words) == 1:
            return queryset
        people = Person.objects.filter(referral=OuterRef("pk"), removed_at=None)
        for word in words:
            people = people.filter(word_matches(word))
        return queryset.filter(ProbedExists(people))  # every word in one person's names

    def filter_overdue(self, queryset: ReferralQuerySet, name: str, value: bool) -> ReferralQuerySet:
        if not value:
            return queryset
        return overdue(queryset, self.now)


def overdue(queryset: ReferralQuerySet, now: dt.datetime) -> ReferralQuerySet:
    """Referrals awaiting a strategy discussion whose deadline has passed."""
    return queryset.filter(list_rank=0, list_rank_reversed=2, sd_due_at__lt=now, sd_deadline__state=DeadlineState.OPEN)


# What a listed child shows (its name): a page lists some 50 children, each of 35 columns otherwise.
LISTED_CHILD_FIELDS = ("id", "referral_id", "kind", "position", "first_name", "last_name", "unborn")


def _listed(page: ReferralQuerySet) -> ReferralQuerySet:
    """What a listed row shows: its deadline (one join), its partnership's standard timescale (not the whole
    partnership row for each referral) and its children's names (one prefetch)."""
    return (
        page.with_sd_deadline()
        .annotate(standard_sd_days=F("partnership__standard_sd_days"))
        .prefetch_related(
            Prefetch(
                "people",
                queryset=Person.objects.filter(kind=PersonKind.CHILD, removed_at=None)
                .only(*LISTED_CHILD_FIELDS)
                .order_by("position", "pk"),
                to_attr="children",
            )
        )
    )


def referral_list(*, user: User, params: QueryDict, now: dt.datetime) -> tuple[ReferralFilter, KeysetPage]:
    """The list page: the filter form and one page of referrals, each query one index range at any scale.

    Children are prefetched and the listed deadline joined, so a page costs the same for 5 rows or 5 million.
    A filter that does not make sense lists nothing (the form shows the error) rather than everything.
    """
    visible = referrals_visible_to(user)
    if params.get("status") != ReferralStatus.DRAFT:
        visible = visible.exclude(status=ReferralStatus.DRAFT)  # a draft is listed only when drafts are asked for
    filterset = ReferralFilter(params, queryset=visible, now=now, partnership_id=user.partnership_id)
    results = filterset.qs if filterset.form.is_valid() else Referral.objects.none()
    keys, descending = filterset.sort_keys
    page = keyset_page(
        results,
        keys=keys,
        descending=descending,
        params=params,
        sort_matches=filterset.searches_by_name,
        decorate=_listed,
    )
    return filterset, page


DRAFTS_SHOWN = 20


def drafts_for(user: User, *, limit: int = DRAFTS_SHOWN) -> ReferralQuerySet:
    """The draft referrals a user should see, soonest clock first, at most `limit`: their own, or for a team
    manager every draft of the partnership (DOMAIN section 1: the clock runs from when it was received).

    One range of a partial index (referral_drafts for a team manager, referral_drafts_mine otherwise); each row
    carries its deadline (with_sd_deadline), partnership and children, as the referral list's rows do, so
    `referral_rows` presents them.
    """
    return _listed(drafts_of(user).select_related("created_by").order_by("sd_due_at", "id"))[:limit]


def drafts_of(user: User) -> ReferralQuerySet:
    """Every draft referral the user should see, unordered: their own, or a team manager's whole partnership's."""
    drafts = referrals_visible_to(user).filter(status=ReferralStatus.DRAFT)
    return drafts if sees_every_draft(user) else drafts.filter(created_by=user)


def referral_people(referral: Referral, *, today: dt.date) -> dict[str, list[Person]]:
    """The case's people by list, each carrying `age` on `today`; removed people listed apart, never dropped."""
    people = list(referral.people.select_related("removed_by"))
    for person in people:
        person.age = person.age_words_on(today)
    current = [p for p in people if p.removed_at is None]
    return {
        "children": [p for p in current if p.kind == PersonKind.CHILD],
        "household": [p for p in current if p.kind == PersonKind.HOUSEHOLD],
        "others": [p for p in current if p.kind in OTHER_PERSON_KINDS],
        "removed": [p for p in people if p.removed_at is not None],
    }


# The case page's discussions (with their children and decisions) and actions come from the apps above, which
# register their query at start-up (StrategyConfig.ready, ActionsConfig.ready): this app never looks up a relation
# they own (tests/test_layers.py).
_case_parts: dict[str, Callable[[Referral], list]] = {}


def case_part_register(name: str, query: Callable[[Referral], list]) -> None:
    _case_parts[name] = query


# Panels of the case page an app above draws for the user looking (the open disagreements the user may see): each
# registers its template and a function of the user's checker that returns the panel's context, or None to draw
# nothing.
CASE_PANELS = Panels()  # each panel a function of the user's ReferralChecker


def _case_part(name: str, referral: Referral) -> list:
    query = _case_parts.get(name)
    return query(referral) if query is not None else []


def case_overview(referral: Referral, *, now: dt.datetime) -> dict:
    """The case page's discussions, decisions, actions, every deadline and a timeline: one query each.

    Discussions, decisions and actions belong to the apps above this one: they are read through the queries those
    apps registered, never imported.
    """
    standard_days = referral.partnership.standard_sd_days
    deadlines = list(
        referral.deadlines.select_related("child", "responsible", "agency", "moved_by")
        # A disagreement's clocks are shown with it, to those who may see it (disputes), not to all who read the case.
        .exclude(rule__in=DISAGREEMENT_RULES)
        .order_by("due_at", "pk")
    )
    discussions = _case_part("discussions", referral)
    actions = _case_part("actions", referral)
    rows = [
        {
            "deadline": d,
            "name": RULE_NAMES.get(d.rule, d.rule),
            "view": present_deadline_row(d, now=now, standard_days=standard_days, due_soon=False),
        }
        for d in deadlines
    ]
    timeline: list[tuple[dt.datetime, str]] = [(referral.received_at, "Referral received")]
    if referral.created_at:
        timeline.append((referral.created_at, f"Referral logged by {referral.created_by}"))
    for discussion in discussions:
        when = to_local(discussion.scheduled_at)
        timeline.append((discussion.created_at, f"Strategy discussion convened for {when.day} {when:%b %Y %H:%M}"))
        if discussion.held_at:
            timeline.append((discussion.held_at, "Strategy discussion held"))
        if discussion.ended_at:
            timeline.append((discussion.ended_at, "Strategy discussion ended"))
    for action in actions:
        timeline.append((action.created_at, f"Action agreed: {action.lead_agency}"))
    for d in deadlines:
        if d.met_at:
            timeline.append((d.met_at, f"{RULE_NAMES.get(d.rule, d.rule)} deadline met: {d.met_by.lower()}"))
        if d.moved_at:
            timeline.append((d.moved_at, f"{RULE_NAMES.get(d.rule, d.rule)} deadline moved later by {d.moved_by}"))
        if d.stopped_at:
            timeline.append((d.stopped_at, f"{RULE_NAMES.get(d.rule, d.rule)} deadline stopped: {d.stop_reason}"))
    if referral.closed_at:
        outcome = referral.get_closure_outcome_display().lower() or "no outcome recorded"  # type: ignore[attr-defined]
        timeline.append((referral.closed_at, f"Case closed by {referral.closed_by}: {outcome}"))
    if referral.reopened_at:
        timeline.append((referral.reopened_at, f"Case reopened by {referral.reopened_by}: {referral.reopen_reason}"))
    return {
        "discussions": discussions,
        "actions": actions,
        "deadline_rows": rows,
        # Minutes still owed (their clock open): closing the case leaves that duty, and the page says so only then.
        "minutes_owed": any(d.rule == Rule.MINUTES_CIRCULATED and d.state == DeadlineState.OPEN for d in deadlines),
        "timeline": sorted(timeline, key=lambda item: item[0], reverse=True),
    }


def referral_detail(referral: Referral, *, now: dt.datetime) -> dict:
    """What the detail page shows beside the referral itself: people, concerns, deadlines in words."""
    overview = case_overview(referral, now=now)
    # The strategy discussion deadline is one of the case's deadlines just read (with who holds it), as it is now.
    sd = next(
        (row["deadline"] for row in overview["deadline_rows"] if row["deadline"].pk == referral.sd_deadline_id), None
    )
    if sd is None:
        sd = referral.strategy_discussion_deadline()
    return {
        **overview,
        **referral_people(referral, today=to_local(now).date()),
        "concerns": list(referral.concerns.all()),
        "deadline": present_deadline_row(
            sd, now=now, standard_days=referral.partnership.standard_sd_days, due_soon=False
        ),
        "deadline_row": sd,
        "counts_from": counts_from(referral, sd),
    }


def counts_from(referral: Referral, deadline) -> str:
    """What a strategy discussion clock counts from, in words: the referral received, the case reopened, or the
    moment a later concern was identified (a disagreement, new information). The case page said "from when the
    referral was received" of every clock, one counted from a reopening too (a walk)."""
    started = to_local(deadline.starts_at)
    if deadline.starts_at == referral.received_at:
        return "when the referral was received"
    if referral.reopened_at is not None and deadline.starts_at == referral.reopened_at:
        return f"when the case was reopened, {started:%-d %B %Y %H:%M}"
    return f"when the concern was identified, {started:%-d %B %Y %H:%M}"


def deadline_name(deadline) -> str:
    return RULE_NAMES.get(deadline.rule, deadline.rule)


def referral_rows(page, *, now: dt.datetime) -> list[dict]:
    """Each listed referral with its strategy discussion deadline in words (from with_sd_deadline)."""
    return [
        {
            "referral": r,
            "deadline": present_deadline(
                rule=r.sd_rule,
                due_at=r.sd_due_at,
                state=r.sd_state,
                met_at=r.sd_met_at,
                stopped_at=r.sd_stopped_at,
                now=now,
                standard_days=r.standard_sd_days,  # type: ignore[attr-defined]  # annotated by _listed
            ),
        }
        for r in page
    ]


def list_looks_of_case(referral: Referral):
    """The lists and searches that showed this case: its rows of the list log by case (referrals.models.ListedCase),
    one range of their key (case, moment, list) read newest first, whatever the database."""
    from referrals.models import ListedCase

    return ListedCase.objects.filter(referral=referral)
