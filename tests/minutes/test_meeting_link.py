"""The meeting page's link to its minutes says what the reader may do there (a walk: police and health read
"approve, download and circulate" where they may only download)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "words"),
    [
        ("tm", "Minutes: approve, download and circulate"),
        ("admin", "Minutes: download and circulate"),
        ("sw", "Minutes: download and circulate"),
        ("police", "Minutes: read and download"),
    ],
)
def test_the_minutes_link_is_worded_for_who_reads_it(held, persona_client, persona, words):
    page = persona_client(persona).get(f"/discussions/{held.pk}/").content.decode()
    assert f'<a class="govuk-link" href="/discussions/{held.pk}/minutes/">{words}</a>' in page


def test_a_meeting_not_ended_has_no_minutes_link(world, persona_client):
    from tests import builders

    discussion = builders.convene(world)
    assert (
        f"/discussions/{discussion.pk}/minutes/"
        not in persona_client("tm").get(f"/discussions/{discussion.pk}/").content.decode()
    )
