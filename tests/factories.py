"""Factories for invented test data, in one place."""

import datetime as dt
from typing import Any

import factory
from django.utils import timezone

from agencies.models import Agency, AgencyType, Partnership, User
from agencies.services import user_agency_group_sync
from referrals import services
from referrals.models import Referral, Urgency
from referrals.rules import proposed_urgency

TEST_PASSWORD = "a-long-test-password-2026"


class PartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partnership
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Test Partnership {n}")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("partnership", "name")

    partnership = factory.SubFactory(PartnershipFactory)
    agency_type = AgencyType.CHILDRENS_SOCIAL_CARE
    name = factory.Sequence(lambda n: f"Test Agency {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    agency = factory.SubFactory(AgencyFactory)
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        if create and extracted:
            self.roles.set(extracted)
        self.save()
        if create:
            user_agency_group_sync(self)


def child(first: str = "Robin", last: str = "Testchild", **extra: Any) -> dict[str, Any]:
    """An invented eight-year-old (by the test's clock, so never too old whatever the date)."""
    today = timezone.localdate()
    born = dt.date(today.year - 8, today.month, min(today.day, 28)) - dt.timedelta(days=7)
    return {"first_name": first, "last_name": last, "date_of_birth": born, **extra}


def make_referral(
    *, acting_user: User, children: list[dict] | None = None, now: dt.datetime | None = None, **overrides: Any
) -> Referral:
    """A referral saved through the real service, so its deadline comes from the engine.

    Logged (`now`) an hour after it was received unless told otherwise, so a test may give any
    receipt time, however far from the real clock.
    """
    data = {
        "received_at": timezone.now() - dt.timedelta(hours=1),
        "referrer_name": "Invented Referrer",
        "referrer_agency": None,
        "referrer_organisation": "Test School",
        "referrer_contact": "01632 960001",
        "urgency": Urgency.STANDARD,
        "immediate_action_taken": False,
        "immediate_action_agency": None,
        "immediate_action_details": "",
        "concern_summary": "An invented concern for a test.",
    }
    concerns = overrides.pop("concerns", ["neglect"])
    if "urgency" not in overrides:
        # As a social worker logs it: same day where the concern calls for it (serious injury, forensic evidence).
        data["urgency"] = proposed_urgency(concerns, non_mobile_injury=overrides.get("non_mobile_infant_injury")) or (
            Urgency.STANDARD
        )
    household = overrides.pop("household", [])
    data.update(overrides)
    others = overrides.pop("others", [])
    data.update(overrides)
    return services.referral_create(
        acting_user=acting_user,
        data=data,
        concerns=concerns,
        children=children if children is not None else [child()],
        household=household,
        others=others,
        now=now or data["received_at"] + dt.timedelta(hours=1),
    )
