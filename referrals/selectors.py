"""Reads of referrals. Every query starts from the access policy's visible set."""

import datetime as dt
import re

import django_filters
from django import forms
from django.db.models import Case, Exists, OuterRef, Prefetch, QuerySet, Value, When

from agencies.models import User
from referrals.access import referrals_visible_to
from referrals.models import Person, PersonKind, Referral, ReferralQuerySet, ReferralStatus, Urgency, fold_for_search

REFERENCE = re.compile(r"(?:REF-?)?0*(\d{1,9})", re.IGNORECASE)


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
        label="Name or reference",
        method="filter_name_or_reference",
        max_length=100,
        help_text="Of a child or household member",
        error_messages={"max_length": "Name or reference must be 100 characters or fewer"},
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

    def filter_name_or_reference(self, queryset: QuerySet[Referral], name: str, value: str) -> QuerySet[Referral]:
        """Every word must match a first name, last name or alias of someone in the referral, or the reference."""
        reference = REFERENCE.fullmatch(value.strip())
        if reference:
            return queryset.filter(pk=int(reference.group(1)))
        words = fold_for_search(value).split()
        if not words:
            return queryset
        people = Person.objects.filter(referral=OuterRef("pk"))
        for word in words:
            people = people.filter(search_text__contains=word)
        return queryset.filter(Exists(people))

    def filter_overdue(self, queryset: ReferralQuerySet, name: str, value: bool) -> ReferralQuerySet:
        if not value:
            return queryset
        return overdue(queryset, self.now)


def overdue(queryset: ReferralQuerySet, now: dt.datetime) -> ReferralQuerySet:
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
    }
