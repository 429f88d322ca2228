"""Issue 26: 60 posts of 15,000 characters by an invited agency made the draft minutes take 10.7 s to print.

Each text of an entry is bounded by the partnership's maximum (on the form and in the service), and a discussion's
information by a number of entries and a total of characters, so what the draft PDF prints is bounded."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from strategy import services
from strategy.models import InformationEntry
from tests.builders import checker

pytestmark = pytest.mark.django_db


def _post(discussion, world, text):
    return {
        "information-agency": world["police_agency"].pk,
        "information-information": text,
        "information-consent": "not_applicable",
    }


def test_an_entry_longer_than_the_partnerships_maximum_is_refused_on_its_field(new_discussion, police_client, world):
    discussion = new_discussion()
    url = reverse("strategy:information", kwargs={"discussion_pk": discussion.pk})
    response = police_client.post(url, _post(discussion, world, "x" * 15_000))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Information shared must be 5,000 characters or fewer" in page
    assert "You can enter up to 5,000 characters" in page
    assert not InformationEntry.objects.filter(discussion=discussion).exists()
    # The partnership sets its own maximum.
    world["partnership"].max_entry_characters = 1_000
    world["partnership"].save()
    response = police_client.post(url, _post(discussion, world, "x" * 1_001))
    assert "Information shared must be 1,000 characters or fewer" in response.content.decode()
    assert police_client.post(url, _post(discussion, world, "x" * 1_000)).status_code == 302


def test_the_service_refuses_a_long_entry_that_skipped_the_form(new_discussion, world):
    discussion = new_discussion()
    with pytest.raises(ValidationError) as exc:
        services.information_add(
            acting_user=world["police"],
            checker=checker(world["police"], discussion),
            agency=world["police_agency"],
            data={"information": "x" * 15_000, "checks_done": "y" * 5_001, "consent": "not_applicable"},
            now=timezone.now(),
        )
    assert set(exc.value.message_dict) == {"information", "checks_done"}
    assert not InformationEntry.objects.filter(discussion=discussion).exists()


def test_a_discussion_holds_a_bounded_amount_of_information(new_discussion, world, monkeypatch):
    discussion = new_discussion()
    police = checker(world["police"], discussion)

    def add(text):
        return services.information_add(
            acting_user=world["police"],
            checker=police,
            agency=world["police_agency"],
            data={"information": text, "consent": "not_applicable"},
            now=timezone.now(),
        )

    monkeypatch.setattr(services, "MAX_INFORMATION_ENTRIES", 5)  # the same rule as 60, in fewer rows
    for _ in range(5):
        add("Invented: a short entry")
    with pytest.raises(ValidationError, match="as much information as its minutes can print"):
        add("Invented: one too many")
    assert InformationEntry.objects.filter(discussion=discussion).count() == 5

    monkeypatch.setattr(services, "MAX_INFORMATION_ENTRIES", 60)
    monkeypatch.setattr(services, "MAX_INFORMATION_CHARACTERS", 7_000)
    add("x" * 5_000)
    with pytest.raises(ValidationError, match="as much information as its minutes can print"):
        add("x" * 5_000)
    assert InformationEntry.objects.filter(discussion=discussion).count() == 6


def test_the_worst_case_the_limits_allow_is_far_below_the_attack():
    # The probe: 60 entries of 15,000 characters (900,000) took 10.7 s; the limits allow at most 150,000 in all.
    assert services.MAX_INFORMATION_CHARACTERS <= 900_000 / 6
    assert services.MAX_INFORMATION_ENTRIES <= 60
