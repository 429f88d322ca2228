"""PDF files sent with a contribution (issue 31, part 2): each parsed whole with pypdf and refused when it is not a
PDF, is over 10 MB, is encrypted, or holds JavaScript, a launch action or an embedded file; one bad file refuses
the whole submission with the text kept; a good one is stored and downloaded only as an attachment, by people who
see the meeting, each download logged as a look at the case. The PDFs are made here, in memory, with pypdf."""

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, StreamObject, TextStringObject

from contributions import pdf_check
from contributions.models import Contribution, ContributionFile
from referrals.models import CaseView
from tests.contributions.conftest import ASKED, FILLED, ask, token_in, verify

pytestmark = pytest.mark.django_db


def _bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _writer() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    return writer


def plain() -> bytes:
    return _bytes(_writer())


def encrypted() -> bytes:
    writer = _writer()
    writer.encrypt(user_password="invented", algorithm="RC4-128")
    return _bytes(writer)


def _open_action(action: dict) -> bytes:
    writer = _writer()
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(
        DictionaryObject({NameObject(key): value for key, value in action.items()})
    )
    return _bytes(writer)


def with_javascript() -> bytes:
    """A JavaScript open action."""
    return _open_action({"/S": NameObject("/JavaScript"), "/JS": TextStringObject("app.alert('invented');")})


def with_embedded_file() -> bytes:
    writer = _writer()
    writer.add_attachment("invented.txt", b"Invented attachment")
    return _bytes(writer)


def with_launch_action() -> bytes:
    return _open_action({"/S": NameObject("/Launch"), "/F": TextStringObject("invented.exe")})


def with_escaped_javascript_name() -> bytes:
    """`/J#61vaScript` is `/JavaScript` to a reader: the raw bytes do not show it, the parse does."""
    data = with_javascript()
    assert b"/JavaScript" in data
    escaped = data.replace(b"/JavaScript", b"/J#61vaScript")
    assert b"/JavaScript" not in escaped
    return escaped


def over_10_mb() -> bytes:
    """A PDF with one 11 MB stream (zeros: made in a moment)."""
    writer = _writer()
    stream = StreamObject()
    stream.set_data(b"\0" * (11 * 1024 * 1024))
    writer._add_object(stream)
    return _bytes(writer)


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda: b"Invented notes, not a PDF at all.\n", "is not a PDF"),
        (encrypted, "is protected with a password"),
        (with_javascript, "contains JavaScript"),
        (with_escaped_javascript_name, "contains JavaScript"),
        (with_embedded_file, "contains embedded files"),
        (with_launch_action, "contains a launch action"),
        (lambda: plain()[:200], "could not be read as a PDF"),
    ],
    ids=["text", "encrypted", "javascript", "escaped-javascript", "embedded", "launch", "truncated"],
)
def test_each_kind_of_bad_file_is_refused_by_the_check(make, why):
    with pytest.raises(pdf_check.Refused, match=why):
        pdf_check.check(make())


def test_a_plain_pdf_passes_the_check():
    pdf_check.check(plain())


@pytest.fixture
def verified(world, asked_discussion, gp, client, mailoutbox, time_machine, django_capture_on_commit_callbacks):
    """The GP asked on Monday at 14:00 and this client through the code: returns the request and its token."""
    time_machine.move_to(ASKED, tick=False)
    request = ask(world, asked_discussion, f"external-{gp.pk}", django_capture_on_commit_callbacks)
    token = token_in(mailoutbox[-1].body)
    verify(client, token, mailoutbox, django_capture_on_commit_callbacks)
    return request, token


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


@pytest.mark.parametrize(
    ("name", "make", "why"),
    [
        ("notes.pdf", lambda: b"Invented notes renamed .pdf\n", "The file notes.pdf is not a PDF"),
        ("locked.pdf", encrypted, "The file locked.pdf is protected with a password"),
        ("script.pdf", with_javascript, "The file script.pdf contains JavaScript"),
        ("attached.pdf", with_embedded_file, "The file attached.pdf contains embedded files"),
        ("launch.pdf", with_launch_action, "The file launch.pdf contains a launch action"),
        ("big.pdf", over_10_mb, "The file big.pdf must be 10 MB or smaller"),
    ],
    ids=["renamed-text", "encrypted", "javascript", "embedded", "launch", "over-10-mb"],
)
def test_one_bad_file_refuses_the_whole_submission_says_which_and_why_and_keeps_the_text(
    verified, client, name, make, why
):
    request, token = verified
    response = client.post(
        f"/contribute/{token}/", {**FILLED, "pdfs": [upload("good.pdf", plain()), upload(name, make())]}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and why in page and 'href="#id_pdfs"' in page
    assert FILLED["concerns"] in page  # the text typed is kept
    assert not Contribution.objects.exists() and not ContributionFile.objects.exists()
    request.refresh_from_db()
    assert request.submitted_at is None


def test_more_than_5_files_are_refused(verified, client):
    _request, token = verified
    files = [upload(f"file-{n}.pdf", plain()) for n in range(6)]
    response = client.post(f"/contribute/{token}/", {**FILLED, "pdfs": files})
    assert response.status_code == 400 and "Select 5 files or fewer" in response.content.decode()
    assert not Contribution.objects.exists()


def test_a_bad_file_is_named_with_the_text_s_own_errors(verified, client):
    _request, token = verified
    response = client.post(f"/contribute/{token}/", {"shareable_with_family": "no", "pdfs": [upload("x.pdf", b"x")]})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Write at least one part of your contribution" in page and "The file x.pdf is not a PDF" in page


def test_a_good_file_is_stored_and_downloaded_as_an_attachment_by_the_chair_and_logged(
    verified, world, asked_discussion, client, persona_client
):
    _request, token = verified
    content = plain()
    sent = client.post(
        f"/contribute/{token}/", {**FILLED, "pdfs": [upload('../../Invented "report"\x07.pdf', content)]}
    )
    assert sent.status_code == 302
    stored = ContributionFile.objects.get()
    assert stored.contribution == Contribution.objects.get()
    assert stored.original_name == "Invented report.pdf"  # its last part, printable, no quotes
    assert (stored.size, stored.sha256, bytes(stored.pdf)) == (
        len(content),
        hashlib.sha256(content).hexdigest(),
        content,
    )
    assert stored.uploaded_at == ASKED
    assert stored.history.get().history_change_reason.startswith("Sent through the secure link by")

    chair = persona_client("tm")
    listed = chair.get(f"/discussions/{asked_discussion.pk}/requests/").content.decode()
    url = f"/discussions/{asked_discussion.pk}/contribution-files/{stored.pk}/"
    assert url in listed and "Invented report.pdf" in listed
    looks = CaseView.objects.count()
    response = chair.get(url)
    assert response.status_code == 200 and response.content == content
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="contribution-{stored.contribution_id}-file-{stored.pk}.pdf"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert CaseView.objects.count() == looks + 1
    look = CaseView.objects.latest("pk")
    assert (look.user, look.referral, look.page) == (
        world["tm"],
        asked_discussion.referral,
        f"contribution file {stored.pk} (PDF)",
    )


def test_someone_who_does_not_see_the_meeting_gets_404_and_nothing_is_logged(
    verified, client, asked_discussion, persona_client
):
    _request, token = verified
    assert client.post(f"/contribute/{token}/", {**FILLED, "pdfs": [upload("a.pdf", plain())]}).status_code == 302
    stored = ContributionFile.objects.get()
    looks = CaseView.objects.count()
    for persona in ("outsider", "analyst", "other_sw"):
        response = persona_client(persona).get(f"/discussions/{asked_discussion.pk}/contribution-files/{stored.pk}/")
        assert response.status_code == 404, persona
    # Signed out, the file is not served either (the sign-in page instead).
    from django.test import Client

    assert Client().get(f"/discussions/{asked_discussion.pk}/contribution-files/{stored.pk}/").status_code == 302
    assert CaseView.objects.count() == looks


def test_a_file_is_only_found_through_its_own_discussion(verified, client, world, persona_client):
    from tests import builders

    _request, token = verified
    assert client.post(f"/contribute/{token}/", {**FILLED, "pdfs": [upload("a.pdf", plain())]}).status_code == 302
    stored = ContributionFile.objects.get()
    other = builders.convene(world, builders.case(world), scheduled_at=builders.MEETING)
    response = persona_client("tm").get(f"/discussions/{other.pk}/contribution-files/{stored.pk}/")
    assert response.status_code == 404
