"""A professional disagreement as plain data, for those who see a stage-3 discussion (its meeting page) and for its
minutes (issue 30): what it is about, who raised it with whom (name, role and agency, as the minutes name
attendees), the outcome sought, each stage with who held it and its result, and stage 3's result once recorded.

What the stages said at 1 and 2 stays on the disagreement's page, for those party to it; stage 3's is what the
discussion concluded, so its minutes carry it.
"""

import datetime as dt
from typing import Any

from agencies.models import RoleCode, User
from disputes.models import Disagreement, Stage, StageNumber
from minutes.record import when
from strategy.models import Discussion

ROLE_NAMES = dict(RoleCode.choices)


def person_words(user: User | None, *, name: str = "", agency: object = None) -> str:
    """ "Name, role, agency": the roles in the order of the list of roles."""
    if user is None:
        return ", ".join(str(part) for part in (name, agency) if part)
    roles = " and ".join(label for code, label in RoleCode.choices if code in user.role_codes())
    return ", ".join(str(part) for part in (user, roles, agency or user.agency) if part)


def _result(stage: Stage) -> str:
    if not stage.result:
        return "Open"
    return f"{stage.get_result_display()} on {when(stage.ended_at)}"


def summary(disagreement: Disagreement, stages: list[Stage]) -> dict[str, Any]:
    """The disagreement and its stages so far, in words (JSON-ready: the minutes store it)."""
    about = disagreement.get_subject_display()
    if disagreement.child_id:
        about += f": {disagreement.child.full_name}"  # type: ignore[union-attr]
    if disagreement.action_id:
        about += f": {disagreement.action.what}"  # type: ignore[union-attr]
    third = next((s for s in stages if s.number == StageNumber.DISCUSSION), None)
    if third is not None and third.result:
        result = f"{_result(third)}, recorded by {third.recorded_by}: {third.said}"
    else:
        result = "Not yet recorded"
    return {
        "subject": about,
        "raised_by": person_words(disagreement.raised_by, agency=disagreement.raised_by_agency),
        "raised_at": when(disagreement.raised_at),
        "with": person_words(disagreement.with_person, name=disagreement.with_name, agency=disagreement.with_agency),
        "outcome_sought": disagreement.outcome_sought,
        "immediate_risk": "Yes" if disagreement.immediate_risk else "No",
        "status": disagreement.get_status_display()
        if not disagreement.is_open
        else f"Open at stage {disagreement.stage}",
        "stages": [
            {
                "stage": f"{stage.number}. {stage.get_number_display()}",
                "held_by": person_words(stage.holder) if stage.holder_id else "Nobody named",
                "started": when(stage.started_at),
                "result": _result(stage),
            }
            for stage in stages
        ],
        "result": result,
    }


def convened_stage(discussion: Discussion) -> Stage | None:
    """The stage 3 this discussion was convened for, with its disagreement loaded, if any."""
    return (
        Stage.objects.filter(discussion=discussion, number=StageNumber.DISCUSSION)
        .select_related(
            "disagreement__raised_by__agency",
            "disagreement__raised_by_agency",
            "disagreement__with_agency",
            "disagreement__with_person__agency",
            "disagreement__child",
            "disagreement__action",
        )
        .first()
    )


def stages_of(disagreement: Disagreement) -> list[Stage]:
    return list(disagreement.stages.select_related("holder__agency", "recorded_by").order_by("number"))


def minutes_part(discussion: Discussion, *, now: dt.datetime) -> dict[str, Any] | None:
    """The minutes of a stage-3 discussion include the disagreement and its result (issue 30); no other minutes
    mention any disagreement. Snapshotted with the minutes: a result recorded after a version was approved is in the
    next version (the minutes page shows the reason for the discussion changed), never in one already approved."""
    stage = convened_stage(discussion)
    if stage is None:
        return None
    return summary(stage.disagreement, stages_of(stage.disagreement))
