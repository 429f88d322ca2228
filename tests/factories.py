"""Factories for the invented partnership's rows (partnerships, agencies, users); cases, discussions and
actions are built through the services by tests/builders.py."""

from typing import Any

import factory

from agencies.models import Agency, AgencyType, Partnership, User
from agencies.services import user_agency_group_sync

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
