"""The meeting page's contents: each section's state, open where the user can act on it, folded where not (issue 25)."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from strategy.models import Discussion

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def meeting_url(discussion: Discussion, query: str = "") -> str:
    return reverse("strategy:meeting", kwargs={"discussion_pk": discussion.pk}) + query


def section_url(discussion: Discussion, section: str) -> str:
    return reverse(f"strategy:{section}", kwargs={"discussion_pk": discussion.pk})


def contents(response) -> dict[str, tuple[str, bool, str]]:
    return {part.key: (part.state, part.is_open, part.hint) for part in response.context["contents"]}


def test_an_invited_police_officer_sees_their_own_sections_open_and_the_rest_folded_with_its_state(
    new_discussion, police_client
):
    discussion = new_discussion()
    response = police_client.get(meeting_url(discussion))
    assert contents(response) == {
        "invite": ("Completed", False, "Read only"),
        "attendance": ("Not started", True, ""),
        "proceed": ("Cannot start yet", False, "Read only"),
        "information": ("Not started", True, ""),
        "risk": ("Not started", False, "Read only"),
        "decision": ("Cannot start yet", False, "Read only"),
        "standing": ("Cannot start yet", False, "Read only"),
        "plan": ("Not started", False, "Read only"),
        "family": ("Cannot start yet", False, "Read only"),
        "action": ("Not started", False, "Read only"),
    }
    page = response.content.decode()
    assert 'id="fold-risk"' in page and 'id="fold-attendance"' not in page
    # The contents come before the sections, each link to its section, read with its state.
    assert page.index('id="contents"') < page.index('id="attendance"')
    assert 'href="#risk" aria-describedby="contents-risk-hint contents-risk-state"' in page


def test_the_chair_finds_what_waits_for_the_start_folded_and_open_once_it_has_started(new_discussion, tm_client):
    discussion = new_discussion()
    before = contents(tm_client.get(meeting_url(discussion)))
    assert before["decision"] == ("Cannot start yet", False, "Start the meeting first")
    assert before["family"] == ("Cannot start yet", False, "Start the meeting first")
    assert {key for key, (_state, is_open, _hint) in before.items() if is_open} == {
        "invite",
        "attendance",
        "information",
        "risk",
        "plan",
        "action",
    }
    tm_client.post(section_url(discussion, "start"))
    after = contents(tm_client.get(meeting_url(discussion)))
    assert after["decision"] == ("Not started", True, "")
    assert after["standing"] == ("Not started", True, "")
    assert after["family"] == ("Not started", True, "")
    assert all(is_open for _state, is_open, _hint in after.values() if _hint == "")


def test_a_background_save_draws_the_contents_again_with_the_new_state(new_discussion, tm_client):
    discussion = new_discussion()
    robin = discussion.children.order_by("position", "pk").first()
    response = tm_client.post(
        section_url(discussion, "risk"),
        {"child": robin.pk, f"risk-{robin.pk}-version": "0", f"risk-{robin.pk}-worry": "Invented worry"},
        headers={"HX-Request": "true"},
    )
    fragment = response.content.decode()
    assert response.status_code == 200 and fragment.lstrip().startswith('<section class="app-section')
    nav = fragment[fragment.index('<nav class="govuk-!-margin-bottom-8" id="contents"') :]
    assert 'hx-swap-oob="true"' in nav.split(">")[0]
    risk_state = re.search(r'id="contents-risk-state">(.*?)</div>', nav, re.S)
    assert risk_state and "In progress" in risk_state.group(1)
    # Its link to every section in full points at the meeting page, not at the section's post address.
    assert f'href="{meeting_url(discussion)}?sections=all#contents"' in nav


def test_a_folded_section_posted_to_comes_back_open_with_its_errors(new_discussion, tm_client):
    discussion = new_discussion()  # not started: the decisions are folded for the chair
    robin = discussion.children.order_by("position", "pk").first()
    response = tm_client.post(
        section_url(discussion, "decision"),
        {"child": robin.pk, f"decision-{robin.pk}-version": "0", f"decision-{robin.pk}-decisions": ["nfa"]},
    )
    assert response.status_code == 400
    assert contents(response)["decision"][1] is True
    assert 'id="fold-decision"' not in response.content.decode()


def test_every_section_in_full_when_asked(new_discussion, police_client):
    discussion = new_discussion()
    response = police_client.get(meeting_url(discussion, "?sections=all"))
    assert all(is_open for _state, is_open, _hint in contents(response).values())
    page = response.content.decode()
    assert '<details class="govuk-details app-fold"' not in page
    assert "Fold the sections you cannot record on" in page


def test_every_table_of_every_page_sits_in_a_named_focusable_scroll_container():
    """At 375 px a table scrolls inside the page (issue 25); the PDFs are printed pages and have none."""
    templates = [
        path
        for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]
        if "pdf" not in path.parts and "node_modules" not in path.parts
    ]
    tables = 0
    for path in templates:
        text = path.read_text()
        # A page that draws its table through the one table include gets that include's scroll container.
        tables += len(re.findall(r"includes/(?:paged_)?table\.html", text))
        lines = text.splitlines()
        for number, line in enumerate(lines):
            if "<table" in line:
                tables += 1
                before = lines[number - 1]
                assert re.search(
                    r'<div class="app-table-scroll" role="region" aria-label="[^"]+" tabindex="0">', before
                ), f"{path.relative_to(ROOT)}:{number + 1}: a table outside a scroll container"
    assert tables >= 19
