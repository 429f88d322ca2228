"""The partnership's administrator as Django admin staff, signed in (one definition for the admin tests)."""

import pytest
from django.contrib.auth.models import Permission
from django.http import HttpRequest
from django.test import Client

from tests.factories import TEST_PASSWORD


@pytest.fixture
def staff(world):
    """Business support (`admin`) as staff with every permission on the agencies app."""
    admin = world["admin"]
    admin.is_staff = True
    admin.email = "admin@example.invalid"
    admin.save()
    admin.user_permissions.set(Permission.objects.filter(content_type__app_label="agencies"))
    return admin


@pytest.fixture
def staff_client(staff, settings) -> Client:
    """`staff` signed in with a password (and its second factor); the links the admin sends point at the test
    server."""
    settings.SITE_URL = "http://testserver"
    client = Client()
    assert client.login(request=HttpRequest(), username=staff.username, password=TEST_PASSWORD)
    return client
