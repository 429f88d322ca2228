"""The case history page: every change, field by field, who and when, newest first, for whoever sees the case."""

import pytest
from django.urls import reverse

from referrals.models import CaseView
from strategy import history

pytestmark = pytest.mark.django_db


def test_history_shows_field_changes_with_who_newest_first(convene, tm_client, world):
    discussion = convene()
    tm_client.post(
        reverse("strategy:risk", kwargs={"discussion_pk": discussion.pk}),
        {"risk-version": "0", "risk-risk_worry": "Invented worry"},
    )
    url = reverse("strategy:history", kwargs={"pk": discussion.referral.pk})
    page = tm_client.get(url).content.decode()
    assert page.index("Risk analysis recorded") < page.index("Strategy discussion convened")
    assert "What harm are we most worried about" in page and "Invented worry" in page
    assert str(world["tm"]) in page
    assert CaseView.objects.filter(user=world["tm"], page="history").exists()


def test_history_is_for_those_who_see_the_case(convene, persona_client, world):
    discussion = convene(invite=[world["police_agency"]])
    url = reverse("strategy:history", kwargs={"pk": discussion.referral.pk})
    assert persona_client("police").get(url).status_code == 200
    for persona in ("health", "outsider", "analyst", "other_sw"):
        assert persona_client(persona).get(url).status_code == 404, persona


def test_history_is_paginated(convene, tm_client, world):
    discussion = convene()
    for n in range(history.PAGE_SIZE + 5):
        tm_client.post(
            reverse("strategy:risk", kwargs={"discussion_pk": discussion.pk}),
            {"risk-version": str(n), "risk-risk_worry": f"Worry {n}"},
        )
    url = reverse("strategy:history", kwargs={"pk": discussion.referral.pk})
    first = tm_client.get(url).content.decode()
    assert "Page 1 of 2" in first and "Worry 29" in first and "Worry 0<" not in first
    second = tm_client.get(url, {"page": 2}).content.decode()
    assert "Page 2 of 2" in second
    assert "Page 2 of 2" in tm_client.get(url, {"page": 9}).content.decode()  # the nearest page, as other lists
