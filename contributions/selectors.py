"""Reads for contributions (issue 31): the meeting page's part, and the minutes' part.

strategy never imports this app: the meeting page's part registers through `strategy.selectors.MEETING_PANELS`
(contributions.apps); minutes sits above and reads `minutes_contributions` directly.
"""

import datetime as dt
from typing import Any

from django.http import Http404

from actions.models import Action
from agencies.models import User
from contributions.models import CONTRIBUTION_PARTS, Contribution, ContributionFile, InformationRequest
from core.presenters import present_deadline_row
from core.timescales import to_local
from strategy.access import DiscussionChecker, get_discussion_for_user
from strategy.models import Discussion, DiscussionAction

# The named parts as the meeting page and the minutes name them (the form asks the author: "Your concerns").
PART_HEADINGS = {
    "known_involvement": "Involvement with the child or family",
    "concerns": "Concerns",
    "risks": "Risks known",
    "strengths": "Strengths and what is going well",
    "family_told": "What the family has been told",
}
assert PART_HEADINGS.keys() == CONTRIBUTION_PARTS.keys()  # noqa: S101 (one name for each part of the form)


def parts(contribution: Contribution) -> list[tuple[str, str]]:
    """The parts written, each with its heading, in the form's order."""
    return [(PART_HEADINGS[key], text) for key in CONTRIBUTION_PARTS if (text := getattr(contribution, key).strip())]


def in_advance(contribution: Contribution, discussion: Discussion) -> bool:
    """Sent before the meeting began (any time, while it has not): information sent in advance."""
    return discussion.held_at is None or contribution.submitted_at <= discussion.held_at


def meeting_contributions_panel(checker: DiscussionChecker, *, now: dt.datetime) -> dict | None:
    """The meeting page's part: each contribution received (attributed, when it arrived, its parts, whether it may be
    shared with the family), and the requests still outstanding with their clocks; for everyone who sees the
    meeting (the checker is only made for them), with the links to ask for information and to invite someone from
    outside the partnership for who may. One query, however many requests. None: draw nothing."""
    discussion = checker.discussion
    requests = list(
        InformationRequest.objects.filter(discussion_id=discussion.pk)
        .select_related("deadline", "contribution")
        .order_by("asked_at", "pk")
    )
    may_ask = checker.can_record_all()
    if not requests and not may_ask:
        return None
    standard_days = discussion.referral.partnership.standard_sd_days
    received = []
    outstanding = []
    for request in requests:
        contribution = getattr(request, "contribution", None)
        if contribution is not None:
            received.append(
                {
                    "contribution": contribution,
                    "parts": parts(contribution),
                    "in_advance": in_advance(contribution, discussion),
                }
            )
        else:
            outstanding.append(
                {
                    "request": request,
                    "clock": present_deadline_row(request.deadline, now=now, standard_days=standard_days),
                }
            )
    if received:  # the files sent with them, in one more query (never their bytes): downloaded, never shown
        files: dict[int, list[ContributionFile]] = {}
        for file in (
            ContributionFile.objects.filter(contribution__request__discussion_id=discussion.pk)
            .only("pk", "contribution_id", "original_name", "size")
            .order_by("pk")
        ):
            files.setdefault(file.contribution_id, []).append(file)
        for row in received:
            row["files"] = files.get(row["contribution"].pk, [])
    return {"discussion": discussion, "received": received, "outstanding": outstanding, "may_ask": may_ask}


def minutes_contributions(discussion: Discussion) -> list[dict[str, Any]]:
    """Each contribution received for the discussion, as the minutes show it (JSON-ready, in words)."""
    contributions = Contribution.objects.filter(request__discussion_id=discussion.pk).order_by("submitted_at", "pk")
    return [
        {
            "author": c.author_name,
            "organisation": c.author_organisation,
            "arrived": to_local(c.submitted_at).strftime("%-d %B %Y, %H:%M"),
            "in_advance": in_advance(c, discussion),
            "parts": [[label, text] for label, text in parts(c)],
            "shareable": c.shareable_with_family,
        }
        for c in contributions
    ]


def action_request_panel(action: Action, user: User, *, now: dt.datetime) -> dict | None:
    """An automatic "Obtain information from ..." action's page (issue 31: the action links to the request that meets
    it): the request made of that agency, if any, and for whoever may ask, the link to ask in writing. Only for who
    sees the discussion that created the action; nothing for any other action."""
    if not action.automatic:
        return None
    discussion_pk = DiscussionAction.objects.filter(action=action).values_list("discussion_id", flat=True).first()
    if discussion_pk is None:
        return None
    try:
        _discussion, checker = get_discussion_for_user(user, discussion_pk)
    except Http404:
        return None
    request = InformationRequest.objects.filter(action=action).select_related("contribution").order_by("-pk").first()
    return {
        "discussion_pk": discussion_pk,
        "request": request,
        "received": request is not None and getattr(request, "contribution", None) is not None,
        "may_ask": checker.can_record_all() and not action.finished,
    }
