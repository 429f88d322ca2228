"""The family document and the archival minutes (DOMAIN section 6, issue 24).

* The family summary of the demo's held discussion holds no run of five words from the information shared, the
  risk analysis, the enquiry plan, the decisions' reasoning or the actions (PDF text read back with pypdf).
* Nothing goes to the family until the chair decides to share: circulating a family summary that does not exist
  is refused, with why.
* The superseded family version of the minutes: kept for CSC, marked superseded; its in-date links withdrawn,
  saying so, and the withdrawal in the circulation log.
* Approved minutes and the family summary are tagged PDF/A-3a: a structure tree with headings and tables, marked,
  with the document's language.
* Every deadline of the case is in the minutes as it stood at approval; a clock met later does not make a version
  out of date.
"""

import datetime as dt
import hashlib
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from pypdf import PdfReader

from agencies.models import User
from core.timescales import LONDON
from minutes import legacy, record, services
from minutes.models import (
    Circulation,
    ExternalDownload,
    HistoricalRecipient,
    Kind,
    MinutesDocument,
    MinutesVersion,
    Recipient,
    Sends,
)
from referrals.models import DeadlineState
from strategy.models import ChildRisk, Discussion, EnquiryPlanItem, InformationEntry
from tests.minutes.conftest import AFTER, minutes_checker, share_with_family

pytestmark = pytest.mark.django_db

DEMO_MOMENT = dt.datetime(2026, 12, 2, 10, 30, tzinfo=LONDON)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower().replace("\u2019", "'"))


def runs_of_five(text: str) -> set[tuple[str, ...]]:
    found = words(text)
    return {tuple(found[i : i + 5]) for i in range(len(found) - 4)}


def addresses(world, discussion) -> None:
    """Every recipient on the distribution list gets an email address (users on their account)."""
    services.distribution_save(
        acting_user=world["admin"],
        checker=minutes_checker(world["admin"], discussion),
        emails={r.pk: f"r{r.pk}@example.org" for r in discussion.recipients.filter(user=None)},
    )
    for recipient in discussion.recipients.exclude(user=None).select_related("user"):
        recipient.user.email = f"{recipient.user.username}@example.org"
        recipient.user.save()


def approve(world, discussion):
    return services.minutes_approve(
        acting_user=world["tm"], checker=minutes_checker(world["tm"], discussion), now=AFTER
    )


# --- The demo's family summary ---------------------------------------------------------------------------------


@pytest.fixture
def demo_discussion(demo_at):
    demo_at(DEMO_MOMENT)
    return Discussion.objects.get(referral__people__first_name="Mia")


def test_the_demo_family_summary_repeats_nothing_of_the_record_five_words_at_a_time(demo_discussion):
    client = Client()
    client.force_login(User.objects.get(username="tm.demo"))
    response = client.get(f"/discussions/{demo_discussion.pk}/minutes/v1-summary.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    family = runs_of_five(text)
    summary = demo_discussion.family_summary
    # The extraction reads the document: what the chair decided to share is there, five words at a time.
    assert runs_of_five(summary.for_family) <= family and runs_of_five(summary.outcome) <= family
    sources: dict[str, list[str]] = {
        "information shared": [
            f"{e.information} {e.checks_done}" for e in InformationEntry.objects.filter(discussion=demo_discussion)
        ],
        "risk analysis": [demo_discussion.risk_review]
        + [
            " ".join(answer for _q, answer in risk.answers())
            for risk in ChildRisk.objects.filter(discussion=demo_discussion)
        ],
        "enquiry plan": [
            f"{i.answer} {i.not_needed_because}" for i in EnquiryPlanItem.objects.filter(discussion=demo_discussion)
        ],
        "decisions' reasoning": [
            f"{d.reasoning} {d.reconvene_rationale} {d.no_conference_reason} {d.police_decision_maker}"
            for d in demo_discussion.decisions.all()
        ],
        "actions": [
            f"{a.what} {a.measure} {a.completion_note} {a.cancel_reason}" for a in demo_discussion.agreed_actions.all()
        ],
    }
    for name, texts in sources.items():
        assert texts, name
        for source in texts:
            shared = family & runs_of_five(source)
            assert not shared, f"the family summary repeats the {name}: {sorted(shared)[:3]}"
    for never in ("Craig Pellow", "ABE", "police national computer", "OFFICIAL-SENSITIVE minutes"):
        assert never.lower() not in text.lower()


# --- Nothing shared until the chair decides --------------------------------------------------------------------


def _parent(world, discussion) -> Recipient:
    return services.recipient_add(
        acting_user=world["tm"],
        checker=minutes_checker(world["tm"], discussion),
        data=services.RecipientInput(
            name="Invented Parent",
            role="Mother",
            organisation="",
            email="mum@example.org",
            family=True,
            sends="summary",
        ),
    )


@pytest.mark.parametrize("decided", [False, True])
def test_circulating_a_family_summary_that_does_not_exist_is_refused_with_why(world, held, admin_client, decided):
    addresses(world, held)
    parent = _parent(world, held)
    if decided:
        share_with_family(world, held, sharing="not_yet", not_yet_reason="police")
    approve(world, held)
    with pytest.raises(ValidationError) as exc:
        services.minutes_circulate(acting_user=world["admin"], checker=minutes_checker(world["admin"], held), now=AFTER)
    message = exc.value.message_dict[f"sends-{parent.pk}"][0]
    assert "There is no family summary to send Invented Parent in version 1" in message
    assert ("could jeopardise a police investigation" if decided else "has not decided") in message
    response = admin_client.post(f"/discussions/{held.pk}/minutes/circulate/")
    assert response.status_code == 400 and "There is no family summary to send" in response.content.decode()
    assert not Circulation.objects.exists()
    held.minutes_deadline.refresh_from_db()
    assert held.minutes_deadline.state == DeadlineState.OPEN


def test_once_shared_and_approved_the_family_get_the_summary_and_never_the_minutes(world, held):
    services.distribution_save(
        acting_user=world["tm"],
        checker=minutes_checker(world["tm"], held),
        emails={},
        choices={r.pk: Sends.NONE for r in held.recipients.all()},
    )
    parent = _parent(world, held)
    share_with_family(world, held)
    approve(world, held)
    sent = services.minutes_circulate(
        acting_user=world["admin"], checker=minutes_checker(world["admin"], held), now=AFTER
    )
    assert [(c.recipient_id, c.kind) for c in sent] == [(parent.pk, Kind.SUMMARY)]


# --- The superseded family version -----------------------------------------------------------------------------


@pytest.fixture
def legacy_family(world, held, settings):
    """A version approved before the family summary: its family PDF stored and emailed to a parent as a link."""
    version = approve(world, held)
    services.documents_ensure(version)
    old_pdf = b"%PDF-1.7 invented stored family version"
    MinutesDocument.objects.create(
        version=version,
        kind=Kind.FAMILY,
        pdf=old_pdf,
        sha256=hashlib.sha256(old_pdf).hexdigest(),
        size=len(old_pdf),
        pages=1,
        rendered_at=AFTER,
    )
    parent = _parent(world, held)
    tokens = {"in_date": "invented-in-date-token", "used": "invented-used-token", "expired": "invented-expired-token"}
    rows = {}
    for name, token in tokens.items():
        rows[name] = Circulation.objects.create(
            recipient=parent,
            version=version,
            kind=Kind.FAMILY,
            sent_at=AFTER,
            sent_by=world["admin"],
            emailed_at=AFTER,
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            expires_at=AFTER + dt.timedelta(days=-1 if name == "expired" else 14),
            used_at=AFTER if name == "used" else None,
        )
    # A recipient who was to be sent the family version (only possible before: now refused for family members).
    gp = held.recipients.get(source="gp")
    Recipient.objects.filter(pk=gp.pk).update(sends="family")
    withdrawn = legacy.withdraw_family_versions(
        circulation_model=Circulation,
        recipient_model=Recipient,
        historical_recipient_model=HistoricalRecipient,
        now=AFTER + dt.timedelta(hours=1),
    )
    return {"version": version, "rows": rows, "tokens": tokens, "pdf": old_pdf, "withdrawn": withdrawn, "gp": gp}


def test_only_the_in_date_unused_family_links_are_withdrawn_and_nothing_circulated_is_rewritten(legacy_family):
    assert legacy_family["withdrawn"] == (1, 1)
    rows = {name: Circulation.objects.get(pk=row.pk) for name, row in legacy_family["rows"].items()}
    assert rows["in_date"].withdrawn_at == AFTER + dt.timedelta(hours=1) and rows["in_date"].withdrawn_by is None
    assert "family summary" in rows["in_date"].withdrawn_reason
    assert rows["used"].withdrawn_at is None and rows["expired"].withdrawn_at is None
    for name, row in rows.items():  # what was sent, when, to whom, stays as it was
        before = legacy_family["rows"][name]
        assert (row.kind, row.sent_at, row.recipient_id, row.version_id) == (
            Kind.FAMILY,
            before.sent_at,
            before.recipient_id,
            before.version_id,
        )
    gp = Recipient.objects.get(pk=legacy_family["gp"].pk)
    assert gp.sends == Sends.NONE
    assert gp.history.first().history_change_reason == legacy.RECIPIENT_REASON


def test_the_withdrawn_link_says_so_and_gives_nothing(world, held, legacy_family, client):
    url = f"/minutes/link/{legacy_family['tokens']['in_date']}/"
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 410
        page = response.content.decode()
        assert "This document has been withdrawn" in page
        child = held.children.get()
        for detail in (held.referral.reference, child.first_name, child.last_name, "Invented Parent"):
            assert detail not in page
        assert response["Content-Type"].startswith("text/html")
    assert not ExternalDownload.objects.exists()
    assert client.get(f"/minutes/link/{legacy_family['tokens']['used']}/").status_code == 404


def test_the_superseded_family_version_stays_readable_to_csc_only_and_the_withdrawal_is_listed(
    world, held, legacy_family, client
):
    url = f"/discussions/{held.pk}/minutes/v1-family.pdf"
    for persona in ("tm", "sw", "hos", "admin"):
        client.force_login(world[persona])
        response = client.get(url)
        assert response.status_code == 200 and response.content == legacy_family["pdf"], persona
        page = client.get(f"/discussions/{held.pk}/minutes/").content.decode()
        assert "Superseded" in page and "Family version of the minutes 1 (PDF, superseded)" in page
        assert "Withdrawn</strong>" in page and "by the system: The family version of the minutes is withdrawn" in page
        assert "1, family version of the minutes (superseded)" in page
    client.force_login(world["police"])
    assert client.get(url).status_code == 404
    assert "Family version of the minutes 1" not in client.get(f"/discussions/{held.pk}/minutes/").content.decode()
    # Nothing renders a family version again, and none is sent.
    assert set(services.version_kinds(legacy_family["version"].snapshot)) == {Kind.FULL}


# --- Tagged, archival PDFs -------------------------------------------------------------------------------------


def structure(content: bytes) -> tuple[dict, list[tuple[str, list]]]:
    """The document catalog, and every structure element as (type, its children's types)."""
    reader = PdfReader(io.BytesIO(content))
    root = reader.trailer["/Root"]
    elements: list[tuple[str, list]] = []

    def kids(node) -> list:
        k = node.get("/K")
        if k is None:
            return []
        k = k if isinstance(k, list) else [k]
        return [c.get_object() for c in k if hasattr(c, "get_object") and isinstance(c.get_object(), dict)]

    def walk(node) -> None:
        node = node.get_object()
        children = kids(node)
        if "/S" in node:
            elements.append((str(node["/S"]), children))
        for child in children:
            walk(child)

    walk(root["/StructTreeRoot"])
    return root, elements


def _th_count(table_children) -> list[int]:
    counts = []
    for part in table_children:
        if part.get("/S") == "/THead":
            for row in part.get("/K") if isinstance(part.get("/K"), list) else [part.get("/K")]:
                row = row.get_object()
                cells = row.get("/K") if isinstance(row.get("/K"), list) else [row.get("/K")]
                counts.append(sum(1 for c in cells if c.get_object().get("/S") == "/TH"))
    return counts


def test_the_approved_minutes_are_a_tagged_pdf_a_a_screen_reader_follows(world, held):
    share_with_family(world, held)
    version = approve(world, held)
    documents = services.documents_ensure(version)
    root, elements = structure(bytes(documents[Kind.FULL].pdf))
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en-GB"
    types = [t for t, _ in elements]
    assert types.count("/H1") == 1 and types.count("/H2") == len(record.SECTIONS)
    assert types.index("/H1") < types.index("/H2")
    tables = [children for t, children in elements if t == "/Table"]
    assert any(_th_count(children) == [6] for children in tables), "the action plan: a table with its 6 headers"
    reader = PdfReader(io.BytesIO(bytes(documents[Kind.FULL].pdf)))
    assert (reader.xmp_metadata.pdfaid_part, reader.xmp_metadata.pdfaid_conformance) == ("3", "A")

    root, elements = structure(bytes(documents[Kind.SUMMARY].pdf))
    assert bool(root["/MarkInfo"]["/Marked"]) and root["/Lang"] == "en-GB"
    types = [t for t, _ in elements]
    assert types.count("/H1") == 1 and types.count("/H2") >= 3 and "/Table" in types


def test_the_renderer_is_the_one_generator_of_both_documents():
    from minutes import pdf

    assert pdf.PDF_VARIANT == "pdf/a-3a"
    assert set(pdf.TEMPLATES) == {Kind.FULL, Kind.SUMMARY}
    with pytest.raises(ValueError):
        pdf.render({"reference": "X", "partnership": "Y", "sections": {}}, kind=Kind.FAMILY)


# --- Deadlines as they stood at approval -----------------------------------------------------------------------


def test_every_deadline_is_in_the_version_as_approved_and_one_met_later_changes_nothing(world, held):
    addresses(world, held)
    v1 = approve(world, held)
    rows = {row["rule"]: row for row in v1.snapshot["sections"]["deadlines"]}
    assert held.referral.deadlines.count() == len(v1.snapshot["sections"]["deadlines"])
    assert rows["Minutes circulated"]["state_words"] == "Open" and rows["Minutes circulated"]["state"] == "open"
    assert rows["Strategy discussion"]["state_words"].startswith("Met 24 November 2026, 10:00")
    assert rows["Action"]["due"] and rows["Action"]["child"] == ""
    text = pdf_text(bytes(services.documents_ensure(v1)[Kind.FULL].pdf))
    assert "11. Deadlines of the case" in text and "Minutes circulated" in text
    services.minutes_circulate(acting_user=world["admin"], checker=minutes_checker(world["admin"], held), now=AFTER)
    live = services.live_snapshot(held, now=AFTER)
    assert {r["rule"]: r for r in live["sections"]["deadlines"]}["Minutes circulated"]["state"] == "met"
    assert record.changed_sections(v1.snapshot, live) == []
    stored = {r["rule"]: r for r in MinutesVersion.objects.get(pk=v1.pk).snapshot["sections"]["deadlines"]}
    assert stored["Minutes circulated"]["state_words"] == "Open"  # the version says what was true when approved


def test_a_version_approved_before_the_family_summary_is_not_out_of_date_for_it():
    """An old snapshot: no family or deadline section, and the enquiry plan's retired "sharing" item."""
    from strategy.models import RETIRED_PLAN_ITEMS

    plan = [{"item": "Other children affected", "answer": "Invented", "not_needed_because": ""}]
    old = {
        "reference": "R",
        "held": "h",
        "format": "f",
        "chair": "c",
        "sections": {"plan": [*plan, {"item": RETIRED_PLAN_ITEMS["sharing"], "answer": "x", "not_needed_because": ""}]},
    }
    new = {**old, "sections": {"plan": plan, "family": dict(record.FAMILY_UNDECIDED), "deadlines": [{"rule": "A"}]}}
    assert record.changed_sections(old, new) == []
    decided = {**new, "sections": {**new["sections"], "family": {"decided": True, "shares": False}}}
    assert record.changed_sections(old, decided) == ["What the family is told"]
