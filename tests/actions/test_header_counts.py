"""The header's counts stop at 99 ("99+"), so every page costs the same however much a user has waiting."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from actions import context_processors
from actions.models import Alert, AlertStage, Notification

pytestmark = pytest.mark.django_db


def _unread(user, deadline, count: int) -> None:
    now = timezone.now()
    for i in range(count):
        alert = Alert.objects.create(
            deadline=deadline, stage=AlertStage.DUE_SOON, due_at=now + dt.timedelta(minutes=i), raised_at=now
        )
        Notification.objects.create(alert=alert, user=user)


def test_unread_alerts_are_counted_up_to_the_cap_then_shown_with_a_plus(police_action, police_client, monkeypatch):
    user = police_action.person
    Notification.objects.filter(user=user).update(read_at=timezone.now())
    monkeypatch.setattr(context_processors, "HEADER_COUNT_CAP", 3)
    _unread(user, police_action.deadline, 3)
    assert ">3 new<" in police_client.get(reverse("actions:mine")).content.decode()
    _unread(user, police_action.deadline, 1)
    page = police_client.get(reverse("actions:mine")).content.decode()
    assert ">3+ new<" in page and ">4 new<" not in page
