"""Factories for the invented partnership's rows (partnerships, agencies, users); cases, discussions and
actions are built through the services by tests/builders.py."""

from typing import Any

import factory
from django.contrib.auth.hashers import make_password

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
    # Hashed as the user is made (with the tests' fast hasher), so the row is inserted once: setting it after the
    # insert saved the user a second time, with a second history row and a "password changed" sign-in event.
    password = factory.LazyFunction(lambda: make_password(TEST_PASSWORD))

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        if create and extracted:
            self.roles.set(extracted)
        if create:
            user_agency_group_sync(self)
