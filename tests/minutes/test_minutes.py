"""Approval and versions, the PDFs read back, the family summary, and who may do what (DOMAIN section 6)."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from pypdf import PdfReader

from minutes import record, services
from minutes.models import DraftDocument, Kind, MinutesVersion, Sends, Source
from referrals.models import CaseView
from strategy import services as strategy_services
from strategy.models import CHILD_RISK_QUESTIONS
from tests import builders
from tests.minutes.conftest import (
    AFTER,
    FOR_FAMILY,
    OPEN_ENTRY,
    SECRET,
    add_later_information,
    minutes_checker,
    pdf_pages,
    pdf_words,
    share_with_family,
)

pytestmark = pytest.mark.django_db


def approve(world, discussion, user=None) -> MinutesVersion:
    user = user or world["tm"]
    return services.minutes_approve(acting_user=user, checker=minutes_checker(user, discussion), now=AFTER)


def test_only_a_team_manager_approves_and_only_after_the_meeting(world, held):
    for name in ("sw", "admin", "police", "hos"):
        with pytest.raises(PermissionDenied):
            approve(world, held, world[name])
    assert not MinutesVersion.objects.exists()
    referral = builders.case(world)
    convened = builders.convene(world, referral)
    with pytest.raises(ValidationError, match="once the meeting has ended"):
        services.minutes_approve(acting_user=world["tm"], checker=minutes_checker(world["tm"], convened), now=AFTER)


def test_approval_freezes_v1_and_a_change_needs_a_new_approval_making_v2(world, held):
    v1 = approve(world, held)
    assert (v1.number, v1.approved_by, v1.approved_at) == (1, world["tm"], AFTER)
    with pytest.raises(ValidationError, match="Nothing has changed since version 1"):
        approve(world, held)
    subject = held.children.order_by("position", "pk").first()
    strategy_services.child_risk_save(
        acting_user=world["tm"],
        checker=builders.checker(world["tm"], held),
        child=subject,
        data={
            **dict.fromkeys(CHILD_RISK_QUESTIONS, "Invented."),
            "worry": "Invented: a changed worry",
            "level": "high",
        },
        version=None,
    )
    held.refresh_from_db()
    changed = record.changed_sections(v1.snapshot, services.live_snapshot(held, now=AFTER))
    assert changed == ["Risk analysis"]
    v2 = approve(world, held)
    assert v2.number == 2

    def robin(snapshot):
        return snapshot["sections"]["risk"]["children"][0]

    assert robin(v2.snapshot)["answers"][0] == ["What harm are we most worried about?", "Invented: a changed worry"]
    assert robin(v2.snapshot)["level"] == "High"
    assert robin(MinutesVersion.objects.get(pk=v1.pk).snapshot)["answers"][0][1] != "Invented: a changed worry"
    with pytest.raises(PermissionError):
        v1.save()


def test_the_page_shows_the_current_version_and_what_changed_since(world, held, tm_client):
    url = f"/discussions/{held.pk}/minutes/"
    page = tm_client.get(url).content.decode()
    assert "Not yet approved" in page and "Approve the record as version 1" in page
    assert tm_client.post(f"/discussions/{held.pk}/minutes/approve/").status_code == 302
    page = tm_client.get(url).content.decode()
    assert "Version 1, approved by" in page and "Nothing: the record is as approved" in page
    assert "Approve the record as version" not in page
    services.recipient_add(
        acting_user=world["tm"],
        checker=minutes_checker(world["tm"], held),
        data=services.RecipientInput(
            name="Invented Parent",
            role="Mother",
            organisation="",
            email="parent@example.org",
            family=True,
            sends=Sends.SUMMARY,
        ),
    )
    page = tm_client.get(url).content.decode()
    assert "Changed</strong> Distribution list" in page and "Approve the record as version 2" in page
    response = tm_client.post(f"/discussions/{held.pk}/minutes/approve/")
    assert response.status_code == 302
    second = tm_client.post(f"/discussions/{held.pk}/minutes/approve/")
    assert second.status_code == 400
    assert "Nothing has changed since version 2 was approved" in second.content.decode()


SECTION_HEADINGS = [f"{n}. {heading}" for n, (_key, heading) in enumerate(record.SECTIONS, start=1)]


def test_the_sections_follow_domain_section_6():
    assert [key for key, _ in record.SECTIONS] == [
        "people",
        "reason",
        "attendance",
        "quoracy",
        "information",
        "risk",
        "decisions",
        "plan",
        "family",
        "actions",
        "deadlines",
        "next_meeting",
        "distribution",
    ]


def test_the_full_pdf_has_every_section_in_order_and_the_marking_on_every_page(world, held, tmp_path):
    version = approve(world, held)
    document = services.documents_ensure(version)[Kind.FULL]
    pages = pdf_pages(bytes(document.pdf), tmp_path)
    assert len(pages) == document.pages >= 2
    text = "\n".join(pages)
    positions = [text.find(heading) for heading in SECTION_HEADINGS]
    assert -1 not in positions, [h for h, p in zip(SECTION_HEADINGS, positions, strict=True) if p == -1]
    assert positions == sorted(positions)
    for number, page in enumerate(pages, start=1):
        assert page.count("OFFICIAL-SENSITIVE") >= 2, f"page {number}: the marking top and bottom"
        assert f"Page {number} of {len(pages)}" in page
        assert held.referral.reference in page
        assert "Version 1, approved by" in page and "DRAFT" not in page
    assert SECRET in text and OPEN_ENTRY in text
    assert "Not to be shared with the family" in text
    assert "Invented: share police" in text and "Invented: records" in text
    for header in ("Action", "Measure of done", "Lead agency", "Person", "Due", "Status"):
        assert header in text
    assert "Not for the family" in pages[0]
    assert "Not decided: nothing is shared with the family." in text


def test_the_full_pdf_shows_what_every_discussion_records_and_everyone_left_out_on_purpose(world, held, tmp_path):
    share_with_family(world, held)
    strategy_services.proceed_save(
        acting_user=world["tm"],
        checker=builders.checker(world["tm"], held),
        agencies=[world["health"].agency],
        reason="Invented: nurse off sick",
        urgency="Invented: today",
        now=AFTER,
        version=None,
    )
    version = approve(world, held)
    text = "\n".join(pdf_pages(bytes(services.documents_ensure(version)[Kind.FULL].pdf), tmp_path))
    assert "Recorded whatever the outcome" in text
    assert "No criminal investigation: No offence disclosed (invented)." in text
    assert "DS Invented" in text and "Not sought" in text
    assert "Considered and not needed: Invented: early help in place." in text
    assert "Left out on purpose" in text and "Proceeded without" in text and "Invented: nurse off sick" in text
    assert "Can decide for" in text
    family = "\n".join(pdf_pages(bytes(services.documents_ensure(version)[Kind.SUMMARY].pdf), tmp_path))
    assert "Recorded whatever the outcome" not in family and "No offence disclosed" not in family
    assert "Left out on purpose" not in family and "manager's reason" not in family


def test_the_family_summary_holds_only_what_the_chair_decided_to_share(world, held, tmp_path):
    share_with_family(world, held)
    version = approve(world, held)
    documents = services.documents_ensure(version)
    assert set(documents) == {Kind.FULL, Kind.SUMMARY}
    pages = pdf_pages(bytes(documents[Kind.SUMMARY].pdf), tmp_path)
    text = " ".join(" ".join(pages).split())
    assert "Family summary" in pages[0] and FOR_FAMILY in text and "Invented Social Worker" in text
    assert "Robin Testchild" in text  # the names were ticked
    assert "24 November 2026" in text  # the date was ticked
    for never in (SECRET, OPEN_ENTRY, "Invented reasoning", "Invented: share police", "Invented: records received"):
        assert never not in text, never
    for number, page in enumerate(pages, start=1):
        assert page.count("OFFICIAL-SENSITIVE") >= 2 and f"Page {number} of {len(pages)}" in page
    full = " ".join(" ".join(pdf_pages(bytes(documents[Kind.FULL].pdf), tmp_path)).split())
    assert "9. What the family is told" in full and FOR_FAMILY in full


def test_unticked_details_stay_out_of_the_family_summary(world, held, tmp_path):
    share_with_family(world, held, include_names=False, include_date=False, for_child="Invented words for the child")
    version = approve(world, held)
    text = " ".join(" ".join(pdf_pages(bytes(services.documents_ensure(version)[Kind.SUMMARY].pdf), tmp_path)).split())
    assert "Robin" not in text and "Testchild" not in text and "Date of the meeting" not in text
    assert FOR_FAMILY in text


@pytest.mark.parametrize("decided", [False, True])
def test_no_family_document_until_the_chair_decides_to_share(world, held, tm_client, decided):
    if decided:
        share_with_family(world, held, sharing="not_yet", not_yet_reason="police")
    version = approve(world, held)
    assert set(services.documents_ensure(version)) == {Kind.FULL}
    assert tm_client.get(f"/discussions/{held.pk}/minutes/v1-summary.pdf").status_code == 404
    assert tm_client.get(f"/discussions/{held.pk}/minutes/draft-summary.pdf").status_code == 404
    page = tm_client.get(f"/discussions/{held.pk}/minutes/").content.decode()
    why = "nothing is shared with the family yet" if decided else "has not decided what the family is told"
    assert f"None to send with version 1: the chair {'decided' if decided else ''}" in page
    assert why in page and 'id="no-family-document"' in page


def test_pdf_metadata_and_file_names_name_no_child(world, held, tm_client):
    approve(world, held)
    response = tm_client.get(f"/discussions/{held.pk}/minutes/v1-full.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition == f'attachment; filename="{held.referral.reference}-minutes-v1-full.pdf"'
    assert "Robin" not in disposition and "Testchild" not in disposition
    from io import BytesIO

    metadata = PdfReader(BytesIO(response.content)).metadata
    assert metadata.title == f"Strategy discussion minutes {held.referral.reference}, version 1 (full version)"
    assert "Testchild" not in str(dict(metadata))
    share_with_family(world, held)
    approve(world, held)
    summary = tm_client.get(f"/discussions/{held.pk}/minutes/v2-summary.pdf")
    assert summary["Content-Disposition"] == f'attachment; filename="{held.referral.reference}-family-summary-v2.pdf"'
    assert PdfReader(BytesIO(summary.content)).metadata.title == f"Family summary {held.referral.reference}, version 2"


def test_a_stored_version_is_byte_identical_after_the_record_changed(world, held, tm_client):
    share_with_family(world, held)
    v1 = approve(world, held)
    first = tm_client.get(f"/discussions/{held.pk}/minutes/v1-summary.pdf").content
    add_later_information(world, held, now=AFTER)
    share_with_family(world, held, for_family="Invented later words for the family")
    approve(world, held)
    again = tm_client.get(f"/discussions/{held.pk}/minutes/v1-summary.pdf").content
    assert again == first
    import hashlib

    assert hashlib.sha256(again).hexdigest() == v1.documents.get(kind=Kind.SUMMARY).sha256
    assert b"Invented later" not in again
    assert CaseView.objects.filter(user=world["tm"], page="minutes v1 (family summary) PDF").count() == 2


def test_a_draft_is_marked_draft_on_every_page(world, held, sw_client, tmp_path):
    url = f"/discussions/{held.pk}/minutes/draft-full.pdf"
    preparing = sw_client.get(url)  # the worker renders it (tests/minutes/test_worker.py runs a real one)
    assert preparing.status_code == 200 and "Preparing the draft PDF" in preparing.content.decode()
    assert not DraftDocument.objects.exists() and not CaseView.objects.filter(page__startswith="minutes draft").exists()
    now = timezone.now()
    draft = services.draft_find(held, now=now, kind=Kind.FULL)
    assert services.draft_render(
        discussion_pk=held.pk, kind=Kind.FULL, now=now, snapshot_sha256_wanted=draft.snapshot_sha256
    )
    response = sw_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert CaseView.objects.filter(user=world["sw"], page="minutes draft (full) PDF").count() == 1
    pages = pdf_pages(response.content, tmp_path)
    for page in pages:
        assert "DRAFT" in page and "OFFICIAL-SENSITIVE" in page
    assert not MinutesVersion.objects.exists()


def test_a_draft_asked_for_before_the_record_changed_is_not_rendered(world, held):
    now = timezone.now()
    asked = services.draft_find(held, now=now, kind=Kind.FULL).snapshot_sha256
    add_later_information(world, held, now=now)
    assert services.draft_find(held, now=now, kind=Kind.FULL).snapshot_sha256 != asked  # the page asks again
    assert not services.draft_render(discussion_pk=held.pk, kind=Kind.FULL, now=now, snapshot_sha256_wanted=asked)
    assert not DraftDocument.objects.exists()


def test_uninvolved_users_get_404_for_the_minutes_and_their_pdfs(world, held, client):
    approve(world, held)
    for name in ("outsider", "analyst", "other_sw", "health"):
        if name == "health":
            continue  # health was invited to this discussion
        client.force_login(world[name])
        for url in ("", "v1-full.pdf", "v1-summary.pdf", "draft-full.pdf"):
            assert client.get(f"/discussions/{held.pk}/minutes/{url}").status_code == 404, (name, url)
        assert client.post(f"/discussions/{held.pk}/minutes/circulate/").status_code == 404


def test_invited_police_read_the_minutes_but_cannot_approve_or_circulate(world, held, police_client):
    approve(world, held)
    assert police_client.get(f"/discussions/{held.pk}/minutes/").status_code == 200
    assert police_client.get(f"/discussions/{held.pk}/minutes/v1-full.pdf").status_code == 200
    assert police_client.post(f"/discussions/{held.pk}/minutes/approve/").status_code == 403
    assert police_client.post(f"/discussions/{held.pk}/minutes/circulate/").status_code == 403


def test_the_distribution_list_is_built_from_the_record_when_the_meeting_ends(world, held):
    recipients = services.recipients(held)  # held: the chair ended the meeting (MeetingEnded), nobody opened a page
    assert {r.added_by for r in recipients} == {world["tm"]}
    assert held.recipients.first().history.earliest().history_change_reason == "Distribution list built from the record"
    by_source: dict[str, list] = {}
    for r in recipients:
        by_source.setdefault(r.source, []).append(r)
    invitees = {r.organisation for r in by_source[Source.INVITEE]}
    assert {"Invented Police", "Invented Health", "Invented CSC"} <= invitees
    assert all(r.sends == Sends.FULL for r in by_source[Source.INVITEE])
    assert [r.organisation for r in by_source[Source.GP]] == ["Invented Surgery"]
    assert [r.organisation for r in by_source[Source.HEALTH]] == ["Invented school nursing team"]
    assert [(r.organisation, r.role) for r in by_source[Source.EDUCATION]] == [
        ("Invented Primary School", "Designated safeguarding lead")
    ]
    again = services.distribution_build(acting_user=world["admin"], discussion=held)  # built once, never again
    assert [r.pk for r in again] == [r.pk for r in recipients]


def test_only_the_chair_chooses_versions_and_family_never_gets_the_full_version(world, held):
    parent = services.recipient_add(
        acting_user=world["admin"],
        checker=minutes_checker(world["admin"], held),
        data=services.RecipientInput(
            name="Invented Parent",
            role="Father",
            organisation="",
            email="dad@example.org",
            family=True,
            sends=Sends.SUMMARY,
        ),
    )
    assert parent.sends == Sends.NONE  # business support cannot choose: the family gets nothing until the chair does
    with pytest.raises(PermissionDenied):
        services.distribution_save(
            acting_user=world["admin"],
            checker=minutes_checker(world["admin"], held),
            emails={},
            choices={parent.pk: Sends.SUMMARY},
        )
    with pytest.raises(ValidationError, match="family summary only"):
        services.distribution_save(
            acting_user=world["tm"],
            checker=minutes_checker(world["tm"], held),
            emails={},
            choices={parent.pk: Sends.FULL},
        )
    services.distribution_save(
        acting_user=world["tm"],
        checker=minutes_checker(world["tm"], held),
        emails={},
        choices={parent.pk: Sends.SUMMARY},
    )
    parent.refresh_from_db()
    assert parent.sends == Sends.SUMMARY
    assert parent.history.first().history_user == world["tm"]


def test_a_bad_email_on_the_distribution_list_is_a_gov_uk_error_and_saves_nothing(world, held, admin_client):
    recipients = services.recipients(held)
    gp = next(r for r in recipients if r.source == Source.GP)
    school = next(r for r in recipients if r.source == Source.EDUCATION)
    response = admin_client.post(
        f"/discussions/{held.pk}/minutes/distribution/",
        {f"email-{gp.pk}": "not an email", f"email-{school.pk}": "dsl@example.org"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and f'href="#id_email-{gp.pk}"' in page
    assert "Enter the email address of GP (Invented Surgery) in the correct format, like name@example.com" in page
    assert 'value="not an email"' in page and 'value="dsl@example.org"' in page
    school.refresh_from_db()
    assert school.email == ""


def test_large_meeting_renders_with_the_action_header_on_every_page_it_spans(tmp_path):
    from minutes import pdf

    data = large_snapshot()
    rendered = pdf.render(data, kind=Kind.FULL, printed="1 December 2026, 10:00")
    pages = pdf_pages(rendered.pdf, tmp_path)
    start = next(i for i, p in enumerate(pages) if "10. Action plan" in p)
    end = next(i for i, p in enumerate(pages) if "11. Deadlines of the case" in p)
    assert end > start + 1, "the action plan spans several pages"
    for page in pages[start : end + 1]:
        assert re.search(r"Action\s+Measure of done\s+Lead", page), "the header row repeats"
    for n in range(60):  # no row cut in half: each action's cells are on one page
        holding = [i for i, p in enumerate(pages) if f"Action {n:02d} to do" in p]
        measured = [i for i, p in enumerate(pages) if f"Measure {n:02d} met" in p]
        assert len(holding) == 1 and holding == measured, n
    text = "\n".join(pages)
    assert all(f"Entry {n:02d} of the invented information" in text for n in range(40))


def large_snapshot() -> dict:
    """10 agencies, 40 information entries, 60 actions, 4 children: the shape `record.snapshot` gives."""
    agencies = [f"Invented Agency {n}" for n in range(10)]
    person = {"name": "Invented Child", "kind": "Child", "facts": [["Date of birth", "1 January 2020 (age 6)"]]}
    return {
        "reference": "DSC-2026-99999",
        "partnership": "Invented Partnership",
        "held": "1 December 2026, 10:00 to 11:30",
        "format": "Virtual meeting",
        "chair": "Invented Chair",
        "sections": {
            "people": {"children": [dict(person, name=f"Invented Child {n}") for n in range(4)], "others": []},
            "reason": {
                "prompted_by": "New referral",
                "urgency": "Standard",
                "reason": "Invented",
                "purpose": "",
                "reconvened": "",
            },
            "attendance": [
                {"agency": a, "person": f"Person {n}", "role": "Lead", "attendance": "Attended", "in_advance": "Yes"}
                for n, a in enumerate(agencies)
            ],
            "quoracy": {"quorate": True, "missing": [], "proceeded_without": [], "reason": "", "urgency": ""},
            "information": [
                {
                    "id": n,
                    "agency": agencies[n % 10],
                    "information": f"Entry {n:02d} of the invented information. " * 6,
                    "checks": "Invented checks",
                    "consent": "Consent not sought",
                    "not_for_family": n % 4 == 0,
                }
                for n in range(40)
            ],
            "risk": [["What harm are we most worried about", "Invented"]],
            "decisions": [
                {
                    "child": f"Invented Child {n}",
                    "decided": ["No further action"],
                    "reasoning": "Invented",
                    "details": [],
                }
                for n in range(4)
            ],
            "plan": [],
            "actions": [
                {
                    "what": f"Action {n:02d} to do. " + "Invented detail of what is to be done. " * 3,
                    "measure": f"Measure {n:02d} met. " + "Invented measure. " * 2,
                    "agency": agencies[n % 10],
                    "person": f"Person {n % 10}",
                    "due": "3 December 2026, 17:00",
                    "status": "Open",
                }
                for n in range(60)
            ],
            "next_meeting": [],
            "distribution": [
                {"name": f"Person {n}", "role": "Lead", "organisation": a, "sends": "Full version"}
                for n, a in enumerate(agencies)
            ],
        },
    }


def test_bad_input_never_gives_a_server_error(world, held, tm_client, client):
    approve(world, held)
    for url in (
        f"/discussions/{held.pk}/minutes/v99999999999999999-full.pdf",
        f"/discussions/{held.pk}/minutes/v1-other.pdf",
        "/discussions/99999999999999999999/minutes/",
        f"/discussions/{held.pk}/minutes/draft-x.pdf",
        f"/discussions/{held.pk}/minutes/draft-family.pdf",
    ):
        assert tm_client.get(url).status_code == 404, url
    remove = tm_client.post(f"/discussions/{held.pk}/minutes/recipients/99999999999999999999/remove/")
    assert remove.status_code in (400, 404)
    bogus = tm_client.post(f"/discussions/{held.pk}/minutes/distribution/", {"sends-1": "bogus", "email-5": "x" * 300})
    assert bogus.status_code == 400
    null = tm_client.post(f"/discussions/{held.pk}/minutes/recipients/add/", {"add-name": "\x00", "add-email": "a@b"})
    assert null.status_code == 400
    assert client.post("/minutes/link/%00/").status_code == 404


def test_a_long_word_typed_in_a_role_or_an_address_stays_on_the_page(world, held, tmp_path):
    """A walk: a role of one long word pushed the attendance table's last columns off the approved PDF, out of the
    record. Every word poppler reads lies within the page's width, the long ones wrapped."""
    from strategy.models import Invitation

    long_word = "Detective" + "x" * 150
    Invitation.objects.filter(discussion=held).update(role=long_word)
    services.recipient_add(
        acting_user=world["tm"],
        checker=minutes_checker(world["tm"], held),
        data=services.RecipientInput(
            name="Invented Designated Safeguarding Lead",
            role="DSL",
            organisation="St-Bartholomews-Church-of-England-Voluntary-Aided-Primary-School-and-Nursery",
            email="safeguarding.lead@st-bartholomews-church-of-england-primary.example.org",
            family=False,
            sends=Sends.FULL,
        ),
    )
    version = approve(world, held)
    width, words = pdf_words(bytes(services.documents_ensure(version)[Kind.FULL].pdf), tmp_path)
    assert words and max(right for _, right in words) <= width
    # Every column still there.
    assert {"Attendance", "Information", "advance", "Can", "decide", "Attended"} <= {word for word, _ in words}
