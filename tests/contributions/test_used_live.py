"""Contributions used live (issue 31): on the meeting page (attributed, when, its parts, whether it may be shared
with the family; outstanding requests with their clocks), in the minutes and, only when shareable, in the family
summary; an agency's contribution sent before the meeting counts as its information sent in advance."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from contributions import services
from core.timescales import LONDON
from minutes import pdf, record
from minutes.models import Kind
from referrals.models import Person
from strategy import rules
from tests import builders
from tests.contributions.conftest import ASKED, ask
from tests.minutes.conftest import AFTER, share_with_family

pytestmark = pytest.mark.django_db

SENT = ASKED + dt.timedelta(hours=2)  # Monday 16:00: before the meeting (Tuesday 10:00)


def _external(world, asked_discussion, n: int):
    return services.external_invitee_add(
        acting_user=world["tm"],
        checker=builders.checker(world["tm"], asked_discussion),
        data={
            "name": f"Invented Contact {n}",
            "organisation": f"Invented Organisation {n}",
            "role": "Invented role",
            "email": f"contact{n}@example.org",
            "kind": "other",
        },
        now=ASKED - dt.timedelta(minutes=30),
    )


def _contribute(request, *, shareable: bool, concerns: str, now: dt.datetime = SENT):
    return services.contribution_submit(
        request=request,
        data={
            "concerns": concerns,
            "strengths": "Invented: attends every appointment.",
            "shareable_with_family": shareable,
        },
        now=now,
    )


def _page(user, asked_discussion):
    client = Client()
    client.force_login(user)
    return client.get(f"/discussions/{asked_discussion.pk}/")


def test_a_contribution_is_on_the_meeting_page_attributed_for_the_chair_and_an_invited_agency_and_404_for_others(
    world, asked_discussion, gp, django_capture_on_commit_callbacks
):
    request = ask(world, asked_discussion, f"external-{gp.pk}", django_capture_on_commit_callbacks)
    _contribute(request, shareable=False, concerns="Invented: missed appointments since September.")
    for user in (world["tm"], world["health"]):
        response = _page(user, asked_discussion)
        assert response.status_code == 200
        text = response.content.decode()
        assert "Dr Invented Practitioner, Invented Surgery" in text
        assert "Received 23 November 2026, 16:00: information sent in advance of the meeting" in text
        assert "Concerns" in text and "Invented: missed appointments since September." in text
        assert "Strengths and what is going well" in text
        assert "Not to be shared with the family" in text
    assert _page(world["outsider"], asked_discussion).status_code == 404


def test_the_chair_sees_outstanding_requests_with_their_clocks_and_the_links_to_ask_and_invite(
    world, asked_discussion, gp, django_capture_on_commit_callbacks
):
    ask(world, asked_discussion, f"external-{gp.pk}", django_capture_on_commit_callbacks)
    text = _page(world["tm"], asked_discussion).content.decode()
    assert "Information requested, not yet received" in text
    assert "Dr Invented Practitioner (Invented Surgery): due 24 November 2026, 10:00" in text
    assert f'href="/discussions/{asked_discussion.pk}/requests/ask/"' in text
    assert f'href="/discussions/{asked_discussion.pk}/external-invitees/add/"' in text
    # An invited agency reads the requests, but may not ask.
    health = _page(world["health"], asked_discussion).content.decode()
    assert "Dr Invented Practitioner (Invented Surgery): due" in health
    assert f'href="/discussions/{asked_discussion.pk}/requests/ask/"' not in health


def test_the_meeting_page_reads_the_same_queries_for_one_contribution_as_for_five(
    world, asked_discussion, django_capture_on_commit_callbacks
):
    def queries() -> int:
        client = Client()
        client.force_login(world["tm"])
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/discussions/{asked_discussion.pk}/").status_code == 200
        return len(captured)

    for n in range(1, 6):
        invitee = _external(world, asked_discussion, n)
        _contribute(
            ask(world, asked_discussion, f"external-{invitee.pk}", django_capture_on_commit_callbacks),
            shareable=True,
            concerns=f"Invented concern {n}.",
        )
        if n == 1:
            one = queries()
    assert queries() == one


def test_an_agency_contribution_before_the_meeting_is_its_information_sent_in_advance(
    world, asked_discussion, django_capture_on_commit_callbacks
):
    health = asked_discussion.invitations.get(agency=builders.health_agency(world))
    assert not health.information_sent_in_advance
    request = ask(
        world, asked_discussion, f"invitation-{health.pk}", django_capture_on_commit_callbacks, email="hv@example.org"
    )
    _contribute(request, shareable=True, concerns="Invented: known to the health visitor.")
    health.refresh_from_db()
    assert health.information_sent_in_advance
    assert health.history.first().history_change_reason.startswith("Sent through the secure link by")


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def test_the_minutes_include_each_contribution_and_the_family_summary_only_the_shareable_ones(
    world, asked_discussion, gp, django_capture_on_commit_callbacks
):
    _contribute(
        ask(world, asked_discussion, f"external-{gp.pk}", django_capture_on_commit_callbacks),
        shareable=False,
        concerns="Invented: a confidential concern.",
    )
    school = _external(world, asked_discussion, 1)
    _contribute(
        ask(world, asked_discussion, f"external-{school.pk}", django_capture_on_commit_callbacks),
        shareable=True,
        concerns="Invented: a concern the family knows of.",
    )
    builders.hold(world, asked_discussion)
    share_with_family(world, asked_discussion)
    data = record.snapshot(asked_discussion, now=AFTER)
    minutes = _pdf_text(pdf.render(data, kind=Kind.FULL, printed="now").pdf)
    assert "Written contributions" in minutes
    assert (
        "Dr Invented Practitioner, Invented Surgery" in minutes
        and "Invented Contact 1, Invented Organisation 1" in minutes
    )
    assert "Received 23 November 2026, 16:00: information sent in advance of the meeting" in minutes
    assert "Invented: a confidential concern." in minutes and "Invented: a concern the family knows of." in minutes
    family = _pdf_text(pdf.render(data, kind=Kind.SUMMARY, printed="now").pdf)
    assert "Invented: a concern the family knows of." in family and "From Invented Organisation 1" in family
    assert "confidential" not in family and "Invented Surgery" not in family


# --- Proposals: who outside the partnership to ask (DOMAIN section 4) ------------------------------------------


def test_the_convene_page_proposes_the_placing_authority_the_previous_authority_and_each_childs_gp(world):
    referral = builders.case(
        world,
        children=[
            builders.child(
                "Robin",
                looked_after=True,
                responsible_authority="Invented Faraway Council",
                gp="Invented Surgery",
            ),
            builders.child("Sky", previous_authority="Invented Elsewhere Council", gp="Invented Surgery"),
        ],
    )
    client = Client()
    client.force_login(world["tm"])
    text = client.get(f"/referrals/{referral.pk}/discussions/new/").content.decode().replace("&#x27;", "'")
    assert "From outside the partnership" in text
    assert (
        "Placing authority: Invented Faraway Council: Robin Testchild is a looked-after child placed by them. "
        "Add them as an external contact after convening, and ask for information." in text
    )
    assert (
        "Previous authority: Invented Elsewhere Council: Sky Testchild is new to the area and lived there before"
        in text
    )
    # One practice for both children, with both reasons.
    assert text.count("GP practice: Invented Surgery") == 1
    assert "GP practice: Invented Surgery: Robin Testchild's GP; Sky Testchild's GP" in text


def test_nothing_outside_the_partnership_is_proposed_without_the_data_or_for_an_authority_of_the_partnership(world):

    agencies = [world["csc"]]
    ours = builders.child("Robin", looked_after=True, responsible_authority=world["csc"].name)
    plain = builders.child("Sky")
    children = [Person(kind="child", **fields) for fields in (ours, plain)]
    assert rules.external_contacts(children, agencies=agencies, partnership_name="Invented Partnership") == []
    # Not looked after: the responsible authority recorded proposes nobody.
    stray = Person(kind="child", first_name="Ash", last_name="Testchild", responsible_authority="Invented Far Council")
    assert rules.external_contacts([stray], agencies=agencies) == []


def test_the_childs_task_records_the_previous_local_authority(sw_client, world, time_machine):
    from tests.referrals.test_drafts import CHILD, DETAILS, children, save, start, task_url

    time_machine.move_to(dt.datetime(2026, 11, 24, 12, 0, tzinfo=LONDON), tick=False)
    draft = start(sw_client)
    assert save(sw_client, draft, "details", DETAILS).status_code == 302
    moved = {**CHILD, "previous_authority": "Invented Elsewhere Council"}
    assert save(sw_client, draft, "children", children(moved)).status_code == 302
    child = draft.people.get(first_name="Ellis")
    assert child.previous_authority == "Invented Elsewhere Council"
    assert child.history.first().previous_authority == "Invented Elsewhere Council"
    page = sw_client.get(task_url(draft, "children")).content.decode()
    assert 'value="Invented Elsewhere Council"' in page and "Previous local authority" in page
