"""Closing and reopening a case (DOMAIN section 1, step 6): one service, a team manager, an outcome and a reason;
closed cases read-only for everyone through the one access policy; reopening with a reason."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from actions.access import get_action_for_user
from actions.models import Action
from agencies.selectors import partnership_calendar
from core.timescales import Rule, due_at, to_local
from minutes.access import get_minutes_for_user
from referrals.access import ReferralChecker, Relationship, referrals_visible_to, relationship
from referrals.models import SD_RULES, Deadline, DeadlineState, Referral, ReferralStatus
from strategy import services
from strategy.access import get_discussion_for_user
from tests.builders import (
    CONVENED,
    ENDED,
    MEETING,
    MONDAY_10AM,
    add_action,
    attend,
    case,
    child,
    convene,
    decide,
    end,
    hold,
    start,
)

pytestmark = pytest.mark.django_db

CLOSED_AT = ENDED + dt.timedelta(days=1)


def close(world, referral: Referral, *, outcome: str = "early_help", reason: str = "Invented reason", now=CLOSED_AT):
    return services.case_close(acting_user=world["tm"], referral=referral, outcome=outcome, reason=reason, now=now)


def held_case(world) -> Referral:
    """A case whose discussion was held, with an open action led by the police."""
    referral = case(world)
    discussion = convene(world, referral)
    start(world, discussion)
    add_action(
        world,
        discussion,
        lead=world["police_agency"],
        person=world["police"],
        what="Invented action",
        due=ENDED + dt.timedelta(days=5),
        now=MEETING,
    )
    discussion.refresh_from_db()
    hold_rest(world, discussion)
    referral.refresh_from_db()
    return referral


def hold_rest(world, discussion) -> None:
    attend(world, discussion)
    for person in discussion.children.all():
        decide(world, discussion, person)
    end(world, discussion)


def infant_case(world) -> Referral:
    return case(
        world,
        concerns=["physical"],
        children=[child("Baby", "Testinfant", date_of_birth=dt.date(2026, 10, 1))],
        non_mobile_infant_injury=True,
    )


# --- The one service -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["sw", "hos", "admin", "police", "outsider", "analyst"])
def test_only_a_team_manager_closes_a_case(world, persona):
    referral = case(world)
    with pytest.raises(PermissionDenied):
        services.case_close(
            acting_user=world[persona], referral=referral, outcome="threshold_not_met", reason="Invented", now=CONVENED
        )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.AWAITING_DISCUSSION


@pytest.mark.parametrize(
    ("outcome", "reason", "fields"),
    [
        ("", "Invented reason", {"outcome"}),
        ("closed", "Invented reason", {"outcome"}),
        ("threshold_not_met", "   ", {"reason"}),
        ("", "", {"outcome", "reason"}),
    ],
)
def test_closing_needs_an_outcome_from_the_fixed_list_and_a_reason(world, outcome, reason, fields):
    referral = case(world)
    with pytest.raises(ValidationError) as refused:
        close(world, referral, outcome=outcome, reason=reason, now=CONVENED)
    assert set(refused.value.message_dict) == fields
    referral.refresh_from_db()
    assert (referral.status, referral.closed_at, referral.closure_outcome) == ("awaiting_discussion", None, "")
    assert referral.strategy_discussion_deadline().state == DeadlineState.OPEN


def test_without_a_discussion_held_only_threshold_not_met_at_referral_closes_it(world):
    referral = case(world)
    convene(world, referral)  # convened is not held
    with pytest.raises(ValidationError) as refused:
        close(world, referral, outcome="early_help", now=CONVENED)
    assert "threshold not met at referral" in refused.value.message_dict["outcome"][0]

    close(world, referral, outcome="threshold_not_met", reason="Invented: no harm suspected", now=CONVENED)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CLOSED
    assert (referral.closure_outcome, referral.closure_reason) == ("threshold_not_met", "Invented: no harm suspected")
    assert (referral.closed_at, referral.closed_by) == (CONVENED, world["tm"])
    latest = referral.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (
        world["tm"],
        "Case closed: threshold not met at referral",
    )


def test_an_injured_non_mobile_infant_never_closes_without_a_discussion(world):
    referral = infant_case(world)
    for outcome in ("threshold_not_met", "early_help"):
        with pytest.raises(ValidationError, match="non-mobile infant"):
            close(world, referral, outcome=outcome, now=CONVENED)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.AWAITING_DISCUSSION

    hold(world, convene(world, referral))
    close(world, referral, outcome="nfa_after_assessment")
    referral.refresh_from_db()
    assert (referral.status, referral.closure_outcome) == ("closed", "nfa_after_assessment")


def test_a_case_is_not_closed_while_a_discussion_is_being_held(world):
    referral = case(world)
    start(world, convene(world, referral))
    with pytest.raises(ValidationError, match="being held"):
        close(world, referral, outcome="threshold_not_met", now=MEETING)
    referral.refresh_from_db()
    assert referral.status != ReferralStatus.CLOSED


def test_the_close_page_says_a_meeting_being_held_must_end_first_before_the_form_is_filled(world, tm_client):
    """A walk of `make run`: the page said so only after the form was filled and sent."""
    referral = case(world)
    discussion = start(world, convene(world, referral))
    page = tm_client.get(reverse("strategy:close_case", args=[referral.pk])).content.decode()
    meeting = reverse("strategy:meeting", args=[discussion.pk])
    assert f'A strategy discussion is being held: <a class="govuk-link" href="{meeting}">end it</a>' in page


def test_closing_stops_every_clock_but_the_minutes_and_cancels_unfinished_actions(world):
    referral = held_case(world)
    minutes = Deadline.objects.get(referral=referral, rule=Rule.MINUTES_CIRCULATED)
    action = Action.objects.get(referral=referral)
    assert minutes.state == DeadlineState.OPEN and action.deadline.state == DeadlineState.OPEN

    close(world, referral, outcome="early_help")

    minutes.refresh_from_db()
    assert minutes.state == DeadlineState.OPEN  # the duty to circulate survives closure
    others = Deadline.objects.filter(referral=referral).exclude(rule=Rule.MINUTES_CIRCULATED)
    assert not others.filter(state=DeadlineState.OPEN).exists()
    assert Deadline.objects.get(pk=action.deadline_id).stop_reason == "Case closed"
    action.refresh_from_db()
    assert (action.status, action.cancel_reason) == ("cancelled", "Case closed")


# --- Read-only through the policy ----------------------------------------------------------------------------


def test_a_closed_case_is_read_only_for_everyone_through_the_policy(world):
    referral = held_case(world)
    discussion = referral.discussions.get()
    action = Action.objects.get(referral=referral)
    close(world, referral)
    referral.refresh_from_db()
    for persona in ("sw", "tm", "hos", "admin"):
        checker = ReferralChecker.for_user(world[persona], referral)
        assert checker.relation is Relationship.CSC_CLOSED and checker.can_view() and checker.closed
        assert not (checker.can_edit() or checker.can_contribute() or checker.can_authorise_s47())
        assert not checker.can_close()
        meeting = get_discussion_for_user(world[persona], discussion.pk)[1]
        assert not (meeting.can_record_all() or meeting.can_record_for_own_agency() or meeting.can_chair())
        assert not get_action_for_user(world[persona], action.pk)[1].can_update()
    assert ReferralChecker.for_user(world["tm"], referral).can_reopen()
    assert not ReferralChecker.for_user(world["sw"], referral).can_reopen()
    # The minutes' duty runs on: the chair's approval (a team manager) and circulation by CSC.
    assert get_minutes_for_user(world["tm"], discussion.pk)[1].can_approve()
    assert get_minutes_for_user(world["admin"], discussion.pk)[1].can_circulate()
    assert not get_minutes_for_user(world["admin"], discussion.pk)[1].can_approve()
    assert not get_minutes_for_user(world["hos"], discussion.pk)[1].can_circulate()
    # Invited agencies lose the case.
    assert relationship(world["police"], referral) is Relationship.NONE
    assert not referrals_visible_to(world["police"]).exists()


def test_the_pages_of_a_closed_case_refuse_every_change(world, sw_client, tm_client):
    referral = held_case(world)
    discussion = referral.discussions.get()
    action = Action.objects.get(referral=referral)
    close(world, referral)
    for client in (sw_client, tm_client):
        assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 200
        assert client.get(reverse("referrals:edit", args=[referral.pk])).status_code == 403
        assert client.post(reverse("referrals:edit", args=[referral.pk])).status_code == 403
        assert client.get(reverse("strategy:convene", args=[referral.pk])).status_code == 403
        assert client.post(reverse("strategy:risk", args=[discussion.pk]), {"risk-version": 0}).status_code == 403
        assert client.post(reverse("actions:status", args=[action.pk]), {"status": "done"}).status_code == 403
        assert client.get(reverse("strategy:close_case", args=[referral.pk])).status_code == 403
    closed_again = tm_client.get(reverse("strategy:close_case", args=[referral.pk])).content.decode()
    assert f"{referral.reference} is already closed. Reopen it from the case page" in closed_again
    page = tm_client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "Convene a strategy discussion" not in page and "Edit referral" not in page
    assert "Reopen the case" in page and "Early help" in page and "Invented reason" in page
    assert "Reopen the case" not in sw_client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()


# --- The close page ------------------------------------------------------------------------------------------


def test_the_close_page_is_offered_to_team_managers_only_and_refuses_anyone_else(world, sw_client, tm_client):
    referral = case(world)
    url = reverse("strategy:close_case", args=[referral.pk])
    assert url in tm_client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert url not in sw_client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert sw_client.get(url).status_code == 403
    data = {"outcome": "threshold_not_met", "reason": "Invented"}
    assert sw_client.post(url, data).status_code == 403
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.AWAITING_DISCUSSION


def test_the_close_page_keeps_what_was_typed_with_an_error_summary(world, tm_client):
    referral = case(world)
    url = reverse("strategy:close_case", args=[referral.pk])
    page = tm_client.get(url).content.decode()
    assert "Threshold not met at referral" in page and "Transferred to another authority" in page

    response = tm_client.post(url, {"reason": "Invented: the typed reason"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in page and '<a href="#id_outcome_0">Select the outcome of the case</a>' in page
    assert "Invented: the typed reason" in page

    response = tm_client.post(url, {"outcome": "early_help", "reason": "Invented: the typed reason"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "the only outcome is threshold not met at referral" in page and "Invented: the typed reason" in page
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.AWAITING_DISCUSSION

    response = tm_client.post(url, {"outcome": "threshold_not_met", "reason": "Invented: the typed reason"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.closure_outcome) == ("closed", "threshold_not_met")
    page = tm_client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "Threshold not met at referral" in page and "Invented: the typed reason" in page
    history = tm_client.get(reverse("strategy:history", args=[referral.pk])).content.decode()
    assert "Threshold not met at referral" in history and "Invented: the typed reason" in history


def test_the_close_page_says_why_for_an_injured_non_mobile_infant(world, tm_client):
    referral = infant_case(world)
    response = tm_client.post(
        reverse("strategy:close_case", args=[referral.pk]), {"outcome": "threshold_not_met", "reason": "Invented"}
    )
    assert response.status_code == 400
    assert "cannot be closed without a strategy discussion" in response.content.decode()


# --- Reopening -----------------------------------------------------------------------------------------------


def test_reopening_needs_a_team_manager_and_a_reason(world):
    referral = case(world)
    close(world, referral, outcome="threshold_not_met", now=CONVENED)
    with pytest.raises(PermissionDenied):
        services.case_reopen(acting_user=world["sw"], referral=referral, reason="Invented", now=MEETING)
    with pytest.raises(ValidationError) as refused:
        services.case_reopen(acting_user=world["tm"], referral=referral, reason=" ", now=MEETING)
    assert set(refused.value.message_dict) == {"reason"}
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CLOSED


def test_a_case_closed_without_a_discussion_reopens_awaiting_one_with_a_clock_from_the_reopening(world):
    referral = case(world)
    close(world, referral, outcome="threshold_not_met", now=CONVENED)
    reopened_at = MONDAY_10AM + dt.timedelta(days=2)
    services.case_reopen(
        acting_user=world["tm"], referral=referral, reason="Invented: new information", now=reopened_at
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.AWAITING_DISCUSSION
    assert (referral.reopened_at, referral.reopened_by, referral.reopen_reason) == (
        reopened_at,
        world["tm"],
        "Invented: new information",
    )
    clock = referral.strategy_discussion_deadline()
    assert (clock.state, clock.starts_at, clock.rule) == ("open", reopened_at, Rule.SD_STANDARD)
    assert clock.due_at == due_at(Rule.SD_STANDARD, reopened_at, partnership_calendar(world["partnership"]))
    # The clock stopped at closure stays stopped, as history.
    assert referral.deadlines.filter(rule__in=SD_RULES, state=DeadlineState.STOPPED).count() == 1
    # Open again: editable, and closable once more.
    assert ReferralChecker.for_user(world["sw"], referral).can_edit()
    # The case page says what the clock counts from: the reopening, not the referral received (a walk).
    from referrals.selectors import counts_from

    assert counts_from(referral, clock) == f"when the case was reopened, {to_local(reopened_at):%-d %B %Y %H:%M}"
    assert counts_from(referral, referral.deadlines.get(state=DeadlineState.STOPPED, rule__in=SD_RULES)) == (
        "when the referral was received"
    )


def test_a_case_closed_after_its_discussion_reopens_as_held_with_no_clock_restarted(world, police_client):
    referral = held_case(world)
    close(world, referral)
    open_before = set(Deadline.objects.filter(referral=referral, state=DeadlineState.OPEN).values_list("pk", flat=True))
    services.case_reopen(acting_user=world["tm"], referral=referral, reason="Invented", now=CLOSED_AT)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DISCUSSION_HELD
    assert (
        set(Deadline.objects.filter(referral=referral, state=DeadlineState.OPEN).values_list("pk", flat=True))
        == open_before
    )
    assert Action.objects.get(referral=referral).status == "cancelled"
    assert relationship(world["police"], referral) is Relationship.INVITED_READ_ONLY  # the invited agency reads again


def test_the_reopen_page_records_the_reason_and_shows_it(world, sw_client, tm_client):
    referral = case(world)
    close(world, referral, outcome="threshold_not_met", now=CONVENED)
    url = reverse("strategy:reopen_case", args=[referral.pk])
    assert sw_client.get(url).status_code == 403
    assert sw_client.post(url, {"reason": "Invented"}).status_code == 403
    response = tm_client.post(url, {"reason": ""})
    assert response.status_code == 400 and "Enter the reason for reopening the case" in response.content.decode()
    assert tm_client.post(url, {"reason": "Invented: the school called"}).status_code == 302
    page = tm_client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "Reason for reopening" in page and "Invented: the school called" in page
    assert "Convene a strategy discussion" in page
    again = tm_client.get(url)  # open again: nothing to reopen, said as such, not as a role's refusal (a walk)
    assert again.status_code == 403
    assert f"{referral.reference} is open: there is nothing to reopen." in again.content.decode()
    assert "Your role does not allow this" not in again.content.decode()
    assert "Your role does not allow this" in sw_client.get(url).content.decode()  # the social worker's is the role


def test_the_closed_case_page_says_the_minutes_can_still_be_circulated_only_when_they_are_owed(world, tm_client):
    """A walk: a case closed with no discussion ever held said "Its minutes can still be approved and circulated"."""
    never_held = case(world)
    close(world, never_held, outcome="threshold_not_met", now=CONVENED)
    page = tm_client.get(f"/referrals/{never_held.pk}/").content.decode()
    assert "This case was closed" in page and "Its minutes can still be approved" not in page
    held = held_case(world)
    close(world, held)
    page = tm_client.get(f"/referrals/{held.pk}/").content.decode()
    assert "Its minutes can still be approved and circulated." in page
