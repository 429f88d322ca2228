"""Reads of referrals. Every query starts from the access policy's visible set."""

import datetime as dt

import django_filters
from django import forms
from django.db.models import Case, Exists, OuterRef, Prefetch, Q, QuerySet, Value, When

from agencies.models import User
from referrals.access import referrals_visible_to
from referrals.models import Person, PersonKind, Referral, ReferralStatus, Urgency


class OpenFirstOrdering(django_filters.OrderingFilter):
    """Sort as asked, but referrals still awaiting a discussion always come before held and closed ones."""

    def filter(self, qs: QuerySet[Referral], value: list[str] | None) -> QuerySet[Referral]:
        ordering = [self.get_ordering_value(param) for param in value or []]
        return qs.annotate(
            closed_last=Case(When(status=ReferralStatus.AWAITING_DISCUSSION, then=Value(0)), default=Value(1))
        ).order_by("closed_last", *ordering, "pk")


class ReferralFilter(django_filters.FilterSet):
    """Search by child's name; filter by status, urgency and overdue; sort by deadline."""

    q = django_filters.CharFilter(
        label="Child's name",
        method="filter_child_name",
        max_length=100,
        error_messages={"max_length": "Child's name must be 100 characters or fewer"},
    )
    status = django_filters.ChoiceFilter(
        label="Status",
        choices=ReferralStatus.choices,
        empty_label="Any status",
        error_messages={"invalid_choice": "Select a status from the list"},
    )
    urgency = django_filters.ChoiceFilter(
        label="Urgency",
        choices=Urgency.choices,
        empty_label="Any urgency",
        error_messages={"invalid_choice": "Select an urgency from the list"},
    )
    overdue = django_filters.BooleanFilter(label="Only overdue", method="filter_overdue", widget=forms.CheckboxInput)
    sort = OpenFirstOrdering(
        label="Sort by",
        fields=(("sd_due_at", "deadline"), ("received_at", "received")),
        field_labels={
            "sd_due_at": "Deadline, soonest first",
            "-deadline": "Deadline, latest first",
            "received_at": "Received, oldest first",
            "-received": "Received, newest first",
        },
        help_text="Referrals awaiting a strategy discussion always come first",
        error_messages={"invalid_choice": "Select a sort order from the list"},
        empty_label=None,
        null_label=None,
    )

    class Meta:
        model = Referral
        fields: list[str] = []

    def __init__(self, *args, now: dt.datetime, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.now = now

    def filter_child_name(self, queryset: QuerySet[Referral], name: str, value: str) -> QuerySet[Referral]:
        words = value.split()
        if not words:
            return queryset
        children = Person.objects.filter(referral=OuterRef("pk"), kind=PersonKind.CHILD)
        for word in words:
            children = children.filter(
                Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(aliases__icontains=word)
            )
        return queryset.filter(Exists(children))

    def filter_overdue(self, queryset: QuerySet[Referral], name: str, value: bool) -> QuerySet[Referral]:
        if not value:
            return queryset
        return overdue(queryset, self.now)


def overdue(queryset: QuerySet[Referral], now: dt.datetime) -> QuerySet[Referral]:
    """Referrals awaiting a strategy discussion whose deadline has passed (queryset from with_sd_deadline)."""
    return queryset.awaiting_discussion().filter(sd_met_at__isnull=True, sd_due_at__lt=now)


def referral_list(*, user: User, params: dict, now: dt.datetime) -> ReferralFilter:
    """The list page's filtered queryset: children prefetched so the page costs the same for 5 rows or 500."""
    queryset = (
        referrals_visible_to(user)
        .with_sd_deadline()
        .select_related("partnership")
        .prefetch_related(
            Prefetch(
                "people",
                queryset=Person.objects.filter(kind=PersonKind.CHILD).order_by("position", "pk"),
                to_attr="children",
            )
        )
    )
    data = params.copy()
    if not data.get("sort"):
        data["sort"] = "deadline"
    return ReferralFilter(data, queryset=queryset, now=now)


def referral_detail(referral: Referral, *, today: dt.date) -> dict:
    """What the detail page shows beside the referral itself; each person carries `age` on `today`."""
    people = list(referral.people.all())
    for person in people:
        person.age = person.age_on(today)
    return {
        "children": [p for p in people if p.kind == PersonKind.CHILD],
        "household": [p for p in people if p.kind == PersonKind.HOUSEHOLD],
        "concerns": list(referral.concerns.all()),
        "deadlines": list(referral.deadlines.select_related("person")),
    }
