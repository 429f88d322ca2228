"""What the family is told (DOMAIN sections 1 and 6): recorded by the chair only, nothing shared until decided,
one home for the rule (the enquiry plan no longer asks it), through the service and through the meeting page."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from strategy import services
from strategy.models import PLAN_ITEMS, EnquiryPlanItem, FamilySharing, FamilySummary, NotYetReason
from tests.builders import (
    MEETING,
    assess,
    attend,
    case,
    checker,
    children_of,
    convene,
    decide,
    end,
    full_plan,
    record_standing,
    start,
)

pytestmark = pytest.mark.django_db

TOLD_ON = MEETING.date() + dt.timedelta(days=1)
SHARE = {
    "sharing": FamilySharing.SHARE,
    "for_family": "Invented: an enquiry has started and the social worker will visit.",
    "for_child": "Invented: grown-ups are making sure you are safe.",
    "told_by": "Invented Social Worker",
    "told_on": TOLD_ON,
    "include_names": True,
    "include_date": True,
    "include_outcome": True,
    "outcome": "Invented: we will check that the children are safe.",
}


def save(world, discussion, data, *, user="tm", version=None):
    return services.family_summary_save(
        acting_user=world[user], checker=checker(world[user], discussion), data=data, version=version, now=MEETING
    )


@pytest.fixture
def started(world):
    discussion = convene(world, case(world))
    start(world, discussion)
    return discussion


def test_nothing_is_shared_until_the_chair_decides(world, started):
    assert not FamilySummary.objects.filter(discussion=started).exists()
    attend(world, started)
    for subject in children_of(started.referral):
        decide(world, started, subject)
    assess(world, started)
    end(world, started)  # the meeting may end undecided: the default stands, nothing is shared
    assert not FamilySummary.objects.filter(discussion=started).exists()


def test_the_chair_records_what_is_shared_by_whom_and_when_with_history(world, started):
    summary = save(world, started, SHARE)
    assert summary.shares and summary.told_on == TOLD_ON and summary.recorded_by == world["tm"]
    assert summary.include_names and summary.outcome.startswith("Invented: we will check")
    started.refresh_from_db()
    assert started.section_versions["family"] == 1
    latest = summary.history.first()
    assert latest.history_user == world["tm"] and latest.history_change_reason == "What the family is told recorded"


def test_nothing_shared_yet_needs_the_reason_and_clears_what_was_to_be_shared(world, started):
    save(world, started, SHARE)
    with pytest.raises(ValidationError) as exc:
        save(world, started, {"sharing": FamilySharing.NOT_YET, "not_yet_reason": NotYetReason.OTHER}, version=1)
    assert exc.value.message_dict == {"not_yet_detail": ["Explain why nothing is shared with the family yet"]}
    summary = save(world, started, {"sharing": FamilySharing.NOT_YET, "not_yet_reason": NotYetReason.POLICE}, version=1)
    assert not summary.shares and summary.not_yet_reason == NotYetReason.POLICE
    assert (summary.for_family, summary.told_by, summary.told_on, summary.include_names) == ("", "", None, False)
    assert summary.history.count() == 2  # the earlier decision is kept in history


def test_sharing_needs_what_who_and_a_date_on_or_after_the_discussion(world, started):
    with pytest.raises(ValidationError) as exc:
        save(world, started, {"sharing": FamilySharing.SHARE, "include_outcome": True})
    assert set(exc.value.message_dict) == {"for_family", "told_by", "told_on", "outcome"}
    with pytest.raises(ValidationError) as exc:
        save(world, started, {**SHARE, "told_on": MEETING.date() - dt.timedelta(days=1)})
    assert "on or after the day of the discussion" in exc.value.message_dict["told_on"][0]
    with pytest.raises(ValidationError) as exc:
        save(world, started, {"sharing": ""})
    assert "sharing" in exc.value.message_dict
    assert not FamilySummary.objects.exists()


@pytest.mark.parametrize("persona", ["sw", "hos", "admin", "police"])
def test_only_the_chair_records_it(world, started, persona):
    with pytest.raises((PermissionDenied, ValidationError)):
        save(world, started, SHARE, user=persona)
    assert not FamilySummary.objects.exists()


def test_a_stale_save_is_refused(world, started):
    save(world, started, SHARE, version=0)
    with pytest.raises(services.StaleSectionError):
        save(world, started, {"sharing": FamilySharing.NOT_YET, "not_yet_reason": NotYetReason.RISK}, version=0)
    assert FamilySummary.objects.get().shares


def test_before_the_meeting_starts_it_cannot_be_recorded(world):
    discussion = convene(world, case(world))
    with pytest.raises(ValidationError, match="Start the meeting"):
        save(world, discussion, SHARE)


def test_the_enquiry_plan_no_longer_asks_what_is_shared_and_an_old_answer_is_kept_but_not_counted(world, started):
    assert "sharing" not in PLAN_ITEMS
    with pytest.raises(ValidationError, match="Unknown enquiry plan item"):
        services.plan_save(
            acting_user=world["tm"],
            checker=checker(world["tm"], started),
            answers={"sharing": ("Invented", "")},
            version=None,
        )
    attend(world, started)
    for subject in children_of(started.referral):
        decide(world, started, subject, s47=True)
    # A row from before the change stays in the database; it neither fills a gap nor is asked.
    EnquiryPlanItem.objects.create(discussion=started, item="sharing", answer="Invented old answer")
    problems = services.end_problems(started)
    assert f"({len(PLAN_ITEMS)} left)" in " ".join(problems)
    full_plan(world, started)
    record_standing(world, started)
    started.refresh_from_db()
    assess(world, started)
    assert services.end_problems(started) == []
    assert EnquiryPlanItem.objects.filter(discussion=started, item="sharing").exists()


# --- Through the meeting page ----------------------------------------------------------------------------------


def url(discussion) -> str:
    return reverse("strategy:family", kwargs={"discussion_pk": discussion.pk})


def form_data(**overrides) -> dict[str, str]:
    data = {
        "family-version": "0",
        "family-sharing": "share",
        "family-for_family": "Invented: an enquiry has started.",
        "family-for_child": "",
        "family-told_by": "Invented Social Worker",
        "family-told_on_0": str(TOLD_ON.day),
        "family-told_on_1": str(TOLD_ON.month),
        "family-told_on_2": str(TOLD_ON.year),
        "family-include_date": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_chair_saves_it_without_javascript_and_with_htmx(world, started, tm_client):
    response = tm_client.post(url(started), form_data())
    assert response.status_code == 302 and response["Location"].endswith("#family")
    page = tm_client.get(response["Location"]).content.decode()
    assert "What the family is told saved at" in page and "Shared with the family" in page
    summary = FamilySummary.objects.get()
    assert summary.include_date and not summary.include_names
    htmx = tm_client.post(
        url(started),
        form_data(**{"family-version": "1", "family-sharing": "not_yet", "family-not_yet_reason": "risk"}),
        HTTP_HX_REQUEST="true",
    )
    assert htmx.status_code == 200
    fragment = htmx.content.decode()
    assert fragment.lstrip().startswith('<section class="app-section') and "Nothing shared yet" in fragment
    assert "It could put the child at greater risk" in fragment


def test_bad_input_gets_an_error_summary_keeps_what_was_typed_and_saves_nothing(world, started, tm_client):
    response = tm_client.post(
        url(started),
        form_data(**{"family-told_by": "", "family-told_on_0": "31", "family-told_on_1": "2"}),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Date they will be told must be a real date" in page
    assert "Invented: an enquiry has started." in page
    missing_who = tm_client.post(url(started), form_data(**{"family-told_by": ""}))
    assert missing_who.status_code == 400
    assert 'href="#id_family-told_by"' in missing_who.content.decode()
    assert "Enter who will tell the family" in missing_who.content.decode()
    assert not FamilySummary.objects.exists()


def test_others_are_refused_as_the_other_sections_refuse_them(world, started, client):
    for persona, status in (("sw", 403), ("hos", 403), ("admin", 403), ("police", 403), ("outsider", 404)):
        client.force_login(world[persona])
        assert client.post(url(started), form_data()).status_code == status, persona
    assert not FamilySummary.objects.exists()


def test_the_meeting_page_shows_the_form_to_the_chair_only(world, started, tm_client, sw_client):
    assert (
        "Save what the family is told" in tm_client.get(reverse("strategy:meeting", args=[started.pk])).content.decode()
    )
    page = sw_client.get(reverse("strategy:meeting", args=[started.pk])).content.decode()
    assert "Save what the family is told" not in page and "Nothing is shared with the family until" in page
