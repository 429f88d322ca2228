"""Factories for invented test data, in one place."""

import datetime as dt
from typing import Any

import factory
from django.utils import timezone

from agencies.models import Agency, AgencyType, Partnership, User
from referrals import services
from referrals.models import Referral, Urgency

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


def child(first: str = "Robin", last: str = "Testchild", **extra: Any) -> dict[str, Any]:
    return {"first_name": first, "last_name": last, "date_of_birth": dt.date(2018, 5, 1), **extra}


def make_referral(*, acting_user: User, children: list[dict] | None = None, **overrides: Any) -> Referral:
    """A referral saved through the real service, so its deadline comes from the engine."""
    data = {
        "received_at": timezone.now() - dt.timedelta(hours=1),
        "referrer_name": "Invented Referrer",
        "referrer_agency": "Test School",
        "referrer_contact": "01632 960001",
        "urgency": Urgency.STANDARD,
        "immediate_action_taken": False,
        "immediate_action_agency": None,
        "immediate_action_details": "",
        "concern_summary": "An invented concern for a test.",
    }
    concerns = overrides.pop("concerns", ["neglect"])
    household = overrides.pop("household", [])
    data.update(overrides)
    return services.referral_create(
        acting_user=acting_user,
        data=data,
        concerns=concerns,
        children=children if children is not None else [child()],
        household=household,
    )
