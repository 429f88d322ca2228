"""Where the work of a clock is done: the page a queue row or an alert links to, so "what is due" is one click
from the place to act on it."""

from django.urls import reverse

from core.timescales import Rule
from referrals import steps
from referrals.access import ReferralChecker
from referrals.models import Deadline

SD_RULES = {Rule.SD_SAME_DAY, Rule.SD_IMMEDIATE_ACTION, Rule.SD_STANDARD, Rule.SD_COMPLEX, Rule.SD_MISSING_CHILD}


def place_to_act(deadline: Deadline, checker: ReferralChecker) -> str:
    """The page for this clock: the minutes to approve or circulate, the meeting to hold or end, the discussion's
    requests for information, the action, the step that meets it; else the case's deadlines."""
    rule = Rule(deadline.rule)
    minutes_of = getattr(deadline, "minutes_of", None)
    if rule is Rule.MINUTES_CIRCULATED and minutes_of is not None:
        return reverse("minutes:minutes", kwargs={"discussion_pk": minutes_of.pk})
    meeting = getattr(deadline, "meeting_of", None) or (
        getattr(deadline, "discussion", None) if rule in SD_RULES else None
    )
    if meeting is not None:
        return reverse("strategy:meeting", kwargs={"discussion_pk": meeting.pk})
    if rule is Rule.INFORMATION_REQUEST:
        asked = deadline.information_requests.order_by("pk").first()  # contributions' request for information
        if asked is not None:
            return reverse("contributions:requests", kwargs={"discussion_pk": asked.discussion_id})
    action = getattr(deadline, "action", None)
    if action is not None:
        return reverse("actions:detail", kwargs={"action_pk": action.pk})
    if deadline.state == "open" and steps.can_record_step(checker, deadline):
        return reverse("strategy:step", kwargs={"pk": deadline.referral_id, "deadline_pk": deadline.pk})
    return reverse("referrals:detail", kwargs={"pk": deadline.referral_id}) + "#deadlines"
