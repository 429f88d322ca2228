"""Reads about partnerships and agencies."""

from agencies.models import Partnership
from core.timescales import Calendar


def partnership_calendar(partnership: Partnership) -> Calendar:
    """The partnership's working-day calendar for the timescale engine (one query for closure days)."""
    return Calendar(
        jurisdiction=partnership.jurisdiction,
        end_of_day=partnership.end_of_working_day,
        standard_days=partnership.standard_sd_days,
        closure_days=frozenset(partnership.closure_days.values_list("date", flat=True)),
        minutes_hours=partnership.minutes_hours,
        meeting_hours=partnership.meeting_not_ended_hours,
        disagreement_stage_1_days=partnership.disagreement_stage_1_days,
        disagreement_stage_2_days=partnership.disagreement_stage_2_days,
        disagreement_stage_3_days=partnership.disagreement_stage_3_days,
    )
