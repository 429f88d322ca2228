"""An address that only saves a form, opened as a page (a kept link, the `next` of a sign-in after a time-out): a 405
with a page saying so and the way on to the record the address belongs to, not Django's blank 405 (issue 27's walk
of `make run`). The browser journey is in tests/e2e/test_session_timeout.py."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_end_of_a_meeting_opened_as_a_page_says_so_and_links_to_the_meeting(new_discussion, tm_client):
    discussion = new_discussion()
    response = tm_client.get(reverse("strategy:end", kwargs={"discussion_pk": discussion.pk}))
    assert response.status_code == 405 and "POST" in response["Allow"]
    assert response["X-Frame-Options"] == "DENY" and response["Cache-Control"].startswith("max-age=0")  # as any page
    page = response.content.decode()
    assert "This address saves a form" in page and "Nothing has been saved or changed." in page
    meeting = reverse("strategy:meeting", kwargs={"discussion_pk": discussion.pk})
    assert f'href="{meeting}">Go to the strategy discussion</a>' in page
    discussion.refresh_from_db()
    assert discussion.status == "convened"


def test_someone_who_cannot_see_the_record_gets_the_404_as_for_any_of_its_addresses(new_discussion, outsider_client):
    """The page tells nothing a 404 would not: to someone who may not see the discussion, its saving address
    answers 404 as a discussion that does not exist does."""
    discussion = new_discussion()
    seen = outsider_client.get(reverse("strategy:end", kwargs={"discussion_pk": discussion.pk}))
    unknown = outsider_client.get(reverse("strategy:end", kwargs={"discussion_pk": discussion.pk + 10_000}))
    assert seen.status_code == unknown.status_code == 404
    assert "This address saves a form" not in seen.content.decode()


def test_with_debug_on_as_in_make_run_a_discussion_not_seen_answers_the_apps_own_404(
    new_discussion, outsider_client, settings
):
    """`make run` runs with DEBUG on: a record the user may not see answers the page a user of production gets,
    not Django's debug page naming the model and listing every address (a walk of `make run`)."""
    settings.DEBUG = True
    discussion = new_discussion()
    response = outsider_client.get(reverse("strategy:meeting", kwargs={"discussion_pk": discussion.pk}))
    page = response.content.decode()
    assert response.status_code == 404 and '<h1 class="govuk-heading-l">Page not found</h1>' in page
    assert "No Discussion matches" not in page and "URLconf" not in page
