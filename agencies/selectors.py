"""Reads about partnerships and agencies."""

import datetime as dt

from django.db.models import Max

from agencies.models import Duty, OnCall, Partnership, User
from core.timescales import Calendar, to_local


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
        start_of_day=partnership.start_of_working_day,
    )


def on_call_at(partnership: Partnership, moment: dt.datetime) -> list[User]:
    """Who is on call (either duty) for the partnership at `moment`: the active people whose spell covers its London
    date (a rota date is the whole day, midnight to midnight), emergency duty team first."""
    day = to_local(moment).date()
    spells = (
        OnCall.objects.filter(partnership=partnership, starts_on__lte=day, ends_on__gte=day, user__is_active=True)
        .select_related("user")
        .order_by("duty", "starts_on", "pk")
    )
    return list({spell.user.pk: spell.user for spell in spells}.values())


def rota_last_days(partnership: Partnership) -> dict[str, dt.date | None]:
    """The last date each duty of the partnership's rota covers (None: nobody was ever put on it). A spell of someone
    whose account was deactivated covers nothing (they would not be alerted)."""
    last = dict(
        OnCall.objects.filter(partnership=partnership, user__is_active=True)
        .values_list("duty")
        .annotate(last=Max("ends_on"))
        .values_list("duty", "last")
        .order_by()
    )
    return {duty: last.get(duty) for duty in Duty.values}


def partnership_administrators(partnership_id: int) -> list[User]:
    """The partnership's administrators: the active staff users of its agencies (those the admin scopes to it)."""
    return list(
        User.objects.filter(is_active=True, is_staff=True, agency__partnership_id=partnership_id).order_by("pk")
    )
