"""One list-view logger (referrals.lists.render_case_list): every list of cases records who was shown which cases,
from which list and with which filter, in one row per list."""

import pytest
from django.urls import reverse

from referrals.models import ListLook

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "params", "page"),
    [
        ("actions:mine", {"reference": ""}, "my actions"),
        ("actions:agency", {}, "my agency's actions"),
        ("actions:dashboard", {"tab": "mine"}, "deadlines"),
    ],
)
def test_each_list_of_work_records_the_cases_it_showed(world, police_action, police_client, url, params, page):
    response = police_client.get(reverse(url), params)
    assert response.status_code == 200
    look = ListLook.objects.get(user=world["police"])
    assert look.page == page
    assert look.query == "&".join(f"{k}={v}" for k, v in params.items())
    assert look.referral_ids == [police_action.referral_id]


def test_a_user_shown_no_case_is_not_logged(world, persona_client):
    client = persona_client("analyst")
    assert client.get(reverse("referrals:list")).status_code == 200
    assert not ListLook.objects.filter(user=world["analyst"]).exists()
