"""Issue 26, one answer per method: no access is 404 whatever the method; access and a wrong method is 405;
what an invited agency may not see is 404, never 403."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["audit:auth_events", "audit:user_looks"])
def test_the_audit_pages_answer_404_to_anyone_without_access_whatever_the_method(world, persona_client, name):
    url = reverse(name, kwargs={"user_pk": world["sw"].pk} if name == "audit:user_looks" else {})
    for persona in ("sw", "police", "outsider"):
        client = persona_client(persona)
        for method in ("get", "post", "put", "patch", "delete"):
            assert getattr(client, method)(url).status_code == 404, f"{persona} {method}"
    auditor = persona_client("hos")
    assert auditor.get(url).status_code == 200
    for method in ("post", "put", "patch", "delete"):
        assert getattr(auditor, method)(url).status_code == 405, method


def test_an_invited_agency_gets_404_for_a_page_of_the_case_it_may_not_open(world, persona_client, invited_referral):
    police = persona_client("police")
    assert police.get(reverse("referrals:detail", args=[invited_referral.pk])).status_code == 200
    for name in ("referrals:edit", "strategy:convene", "strategy:close_case"):
        response = police.get(reverse(name, args=[invited_referral.pk]))
        assert response.status_code == 404, name
        assert invited_referral.reference not in response.content.decode()
    # CSC staff who may read the case but not edit it are told so (403); a change the police may not make stays 403.
    assert persona_client("hos").get(reverse("referrals:edit", args=[invited_referral.pk])).status_code == 403
    assert police.post(reverse("referrals:edit", args=[invited_referral.pk]), {}).status_code == 403


@pytest.fixture
def invited_referral(world, new_discussion):
    return new_discussion().referral
