"""Inviting a named person from outside the partnership (issue 31): who may, the form's errors, what is kept."""

import pytest

from contributions.models import ExternalInvitee
from tests.contributions.conftest import GP_EMAIL

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Invented Headteacher",
    "organisation": "Invented Independent School",
    "role": "Designated safeguarding lead",
    "email": "dsl@example.org",
    "kind": "school",
}


def test_the_chair_invites_a_school_from_outside_the_partnership_and_it_is_kept_with_its_history(
    world, asked_discussion, tm_client
):
    url = f"/discussions/{asked_discussion.pk}/external-invitees/add/"
    assert tm_client.get(url).status_code == 200
    response = tm_client.post(url, FORM)
    assert response.status_code == 302 and response["Location"] == f"/discussions/{asked_discussion.pk}/requests/"
    invitee = ExternalInvitee.objects.get(discussion=asked_discussion)
    assert (invitee.name, invitee.organisation, invitee.role, invitee.email, invitee.kind) == tuple(FORM.values())
    assert invitee.added_by == world["tm"] and invitee.removed_at is None
    created = invitee.history.get()
    assert (created.history_user, created.history_change_reason) == (
        world["tm"],
        "Invited from outside the partnership",
    )
    page = tm_client.get(f"/discussions/{asked_discussion.pk}/requests/").content.decode()
    assert "Invented Headteacher, Designated safeguarding lead (Invented Independent School: a school)" in page


def test_an_empty_or_wrong_form_says_what_to_fix_in_the_summary_keeps_what_was_typed_and_saves_nothing(
    asked_discussion, gp, tm_client
):
    url = f"/discussions/{asked_discussion.pk}/external-invitees/add/"
    page = tm_client.post(url, {"kind": "nonsense"})
    assert page.status_code == 400
    text = page.content.decode()
    assert 'class="govuk-error-summary"' in text
    for message in (
        "Enter the person&#x27;s full name",
        "Enter the organisation they work for",
        "Enter their role",
        "Enter their email address",
        "Select the kind of organisation",
    ):
        assert message in text
    wrong = tm_client.post(url, {**FORM, "email": "not an address"})
    assert wrong.status_code == 400
    assert "Enter an email address in the correct format, like name@example.com" in wrong.content.decode()
    assert 'value="Invented Headteacher"' in wrong.content.decode()
    twice = tm_client.post(url, {**FORM, "email": GP_EMAIL.upper()})
    assert twice.status_code == 400
    assert "Dr Invented Practitioner is already invited with this email address" in twice.content.decode()
    assert list(ExternalInvitee.objects.filter(discussion=asked_discussion)) == [gp]


@pytest.mark.parametrize(
    ("persona", "get", "post"),
    [
        ("sw", 200, 302),
        ("tm", 200, 302),
        ("hos", 403, 403),  # CSC readers
        ("admin", 403, 403),
        ("police", 404, 403),  # invited: the page is no page of theirs (issue 26), the change refused
        ("health", 404, 403),
        ("analyst", 404, 404),
        ("outsider", 404, 404),
    ],
)
def test_only_whoever_may_invite_to_the_discussion_adds_someone_and_who_may_not_see_it_gets_404(
    asked_discussion, persona_client, persona, get, post
):
    client = persona_client(persona)
    url = f"/discussions/{asked_discussion.pk}/external-invitees/add/"
    assert client.get(url).status_code == get
    assert client.post(url, FORM).status_code == post
    assert ExternalInvitee.objects.filter(discussion=asked_discussion).count() == (1 if post == 302 else 0)
