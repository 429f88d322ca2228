"""The timeliness report's facts and counts for the benchmark's generated cases (issue 29).

bench/generate.py writes the cases with SQL and no history of their changes, so the report's task
(`reports.services.report_refresh`) would find nothing to build. Here the database writes every case's facts
itself, one ``INSERT ... SELECT`` per kind of fact, with the same meanings as `reports.facts.facts_build` (each
statement names the function it mirrors; tests/bench/test_report_facts.py checks that the two make the same
facts of the same generated cases); then `reports.services.counts_rebuild` counts every partnership-month that has
facts, as the app does. `report_facts_write` is run by bench/pages.py on a benchmark database that has no facts
yet, or facts written by another version of this file (it keeps the cases: no 2 million referrals made again).

The generator makes no professional disagreements (issue 30 came after it), so no statement writes that kind.

A London month is `date_trunc('month', moment AT TIME ZONE 'Europe/London')` (`core.timescales.month_of`); real
hours are the UTC difference (`elapsed_hours`); working days from the concern to the meeting are read from a
table of each partnership calendar's working days, made by `core.timescales.is_working_day` (so bank holidays and
closure days are the engine's own).
"""

import datetime as dt
import time
from collections.abc import Callable

from django.db import connection, transaction

from agencies.models import Partnership
from agencies.selectors import partnership_calendar
from core.timescales import Calendar, Rule, is_working_day, to_local
from referrals.models import DeadlineState, ReferralStatus
from reports.facts import CLOCK_KINDS, MOVER_ROLES, OTHER_OUTCOME, OUTCOMES
from reports.models import Fact, FactKind
from reports.services import counts_rebuild
from strategy.models import Attendance, DiscussionStatus, InvitationStatus

COLUMNS = (
    "partnership_id, kind, referral_id, month, urgency, agency_id, category, state, due_at, on_time, hours, "
    "working_days, police_present, health_present, flag, second_flag, times"
)
# Where a fact has no value of a column: a blank text, a null of the column's type, or the default `times`.
BLANK = {
    "agency_id": "NULL::bigint",
    "category": "''",
    "state": "''",
    "due_at": "NULL::timestamptz",
    "on_time": "NULL::boolean",
    "hours": "NULL::float8",
    "working_days": "NULL::integer",
    "police_present": "NULL::boolean",
    "health_present": "NULL::boolean",
    "flag": "NULL::boolean",
    "second_flag": "NULL::boolean",
    "times": "1",
}


def _month(moment: str) -> str:
    """core.timescales.month_of: the first day of the London month."""
    return f"date_trunc('month', {moment} AT TIME ZONE 'Europe/London')::date"


def _local_day(moment: str) -> str:
    return f"({moment} AT TIME ZONE 'Europe/London')::date"


def _hours(start: str, end: str) -> str:
    """core.timescales.elapsed_hours: real hours, never negative (seconds as a double, then / 3600, as Python)."""
    return f"greatest(extract(epoch FROM {end} - {start})::float8, 0) / 3600"


def _running(moment: str) -> str:
    """How many working days of the case's partnership's calendar fall from the first day of the table to the London
    day of the moment (`_working_days`: a running count per calendar, one calendar after another in one array)."""
    group = "(%(groups)s::int[])[d.partnership_id]"
    return f"(%(counts)s::int[])[{group} * %(length)s + ({_local_day(moment)} - %(first)s::date) + 1]"


def _original_due(clock: str) -> str:
    """reports.facts._original_due."""
    return f"coalesce({clock}.original_due_at, {clock}.due_at)"


def _select(partnership: str, kind: str, referral: str, month: str, urgency: str, **values: str) -> str:
    """A SELECT list in COLUMNS' order (each an SQL expression): the values given, every other column blank."""
    unknown = set(values) - set(BLANK)
    if unknown:
        raise ValueError(f"not a column of a fact: {unknown}")
    rest = ", ".join(values.get(name, blank) for name, blank in BLANK.items())
    return f"SELECT {partnership}, {kind}, {referral}, {month}, {urgency}, {rest}"


# The cases facts_build reads: every referral but drafts.
CASES = f"referrals_referral r WHERE r.status <> '{ReferralStatus.DRAFT}'"
# reports.facts._Case.held: the discussions held and ended, with their case's partnership.
HELD = f"""(SELECT d.*, r.partnership_id, r.urgency AS referral_urgency
    FROM strategy_discussion d JOIN referrals_referral r ON r.id = d.referral_id
    WHERE r.status <> '{ReferralStatus.DRAFT}' AND d.held_at IS NOT NULL AND d.status = '{DiscussionStatus.ENDED}') d"""
# _Case.invitations: the agencies invited (not proposals declined or withdrawn).
INVITED = f"i.status = '{InvitationStatus.INVITED}'"


def _statements() -> dict[str, str]:
    """One SELECT per kind of fact (the working days' parameters from `_working_days`)."""
    outcome = " ".join(
        f"WHEN {' OR '.join(f'c.{field}' for field in fields)} THEN '{name}'" for name, fields in OUTCOMES
    )
    s47 = "(c.s47 OR c.s47_continued)"
    clock_kind = " ".join(f"WHEN '{rule}' THEN '{kind}'" for rule, kind in CLOCK_KINDS.items())
    clock_rules = ", ".join(f"'{rule}'" for rule in CLOCK_KINDS)
    mover = " ".join(
        f"""WHEN EXISTS (SELECT 1 FROM agencies_user_roles u WHERE u.user_id = c.moved_by_id AND u.role_id = '{role}')
        THEN '{role}'"""
        for role in MOVER_ROLES
    )
    attended = f"i.attendance = '{Attendance.ATTENDED}'"
    return {
        # _referral_facts: every case in the month it was received, with the referring agency.
        FactKind.REFERRAL: _select(
            "r.partnership_id",
            f"'{FactKind.REFERRAL}'",
            "r.id",
            _month("r.received_at"),
            "r.urgency",
            agency_id="r.referrer_agency_id",
        )
        + f" FROM {CASES}",
        # _referral_facts: closed with no discussion held (whatever its status), in the month it closed.
        FactKind.CLOSED: _select(
            "r.partnership_id",
            f"'{FactKind.CLOSED}'",
            "r.id",
            _month("r.closed_at"),
            "r.urgency",
            category="r.closure_outcome",
        )
        + f""" FROM {CASES} AND r.status = '{ReferralStatus.CLOSED}' AND r.closed_at IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM strategy_discussion h
                            WHERE h.referral_id = r.id AND h.held_at IS NOT NULL)""",
        # _discussion_facts: against the clock's original due moment; hours and working days from the concern.
        FactKind.DISCUSSION: _select(
            "d.partnership_id",
            f"'{FactKind.DISCUSSION}'",
            "d.referral_id",
            _month("d.held_at"),
            "d.urgency",
            state="k.state",
            due_at=_original_due("k"),
            on_time=f"d.held_at <= {_original_due('k')}",
            hours=_hours("d.concern_identified_at", "d.held_at"),
            working_days=f"""CASE WHEN {_local_day("d.held_at")} <= {_local_day("d.concern_identified_at")} THEN 0
                ELSE {_running("d.held_at")} - {_running("d.concern_identified_at")} END""",
            police_present="coalesce(p.police, false)",
            health_present="coalesce(p.health, false)",
            flag="k.times_moved > 0",
        )
        + f""" FROM {HELD}
            JOIN referrals_deadline k ON k.id = d.deadline_id
            LEFT JOIN (
                SELECT i.discussion_id, bool_or(a.agency_type = 'police') AS police,
                       bool_or(a.agency_type = 'health') AS health
                FROM strategy_invitation i JOIN agencies_agency a ON a.id = i.agency_id
                WHERE {INVITED} AND {attended} GROUP BY i.discussion_id
            ) p ON p.discussion_id = d.id""",
        # _discussion_facts: each agency invited, its attendance (no answer yet: no response), gone ahead without.
        FactKind.INVITATION: _select(
            "d.partnership_id",
            f"'{FactKind.INVITATION}'",
            "d.referral_id",
            _month("d.held_at"),
            "d.urgency",
            agency_id="i.agency_id",
            category=f"""CASE WHEN i.attendance = '{Attendance.INVITED}' THEN '{Attendance.NO_RESPONSE}'
                ELSE i.attendance END""",
            flag="w.discussion_id IS NOT NULL",
        )
        + f""" FROM {HELD} JOIN strategy_invitation i ON i.discussion_id = d.id AND {INVITED}
            LEFT JOIN (SELECT DISTINCT discussion_id, agency_id FROM strategy_discussion_proceeded_without) w
                ON w.discussion_id = d.id AND w.agency_id = i.agency_id""",
        # _discussion_facts: each child's main outcome, s47, and an s47 authorised before the meeting ended.
        FactKind.DECISION: _select(
            "d.partnership_id",
            f"'{FactKind.DECISION}'",
            "d.referral_id",
            _month("d.held_at"),
            "d.urgency",
            category=f"CASE {outcome} ELSE '{OTHER_OUTCOME}' END",
            flag=s47,
            second_flag=f"CASE WHEN {s47} THEN coalesce(c.s47_authorised_at <= d.ended_at, false) END",
        )
        + f" FROM {HELD} JOIN strategy_childdecision c ON c.discussion_id = d.id",
        # _discussion_facts: the minutes clock, in the month the discussion ended.
        FactKind.MINUTES: _select(
            "d.partnership_id",
            f"'{FactKind.MINUTES}'",
            "d.referral_id",
            _month("d.ended_at"),
            "d.urgency",
            state="m.state",
            due_at=_original_due("m"),
            on_time=f"m.met_at <= {_original_due('m')}",
            hours=f"CASE WHEN m.met_at IS NOT NULL THEN {_hours('m.starts_at', 'm.met_at')} END",
        )
        + f" FROM {HELD} JOIN referrals_deadline m ON m.id = d.minutes_deadline_id",
        # _clock_facts: conference, assessment and action clocks, in the month first due; met on time or late.
        "clock": _select(
            "r.partnership_id",
            f"CASE c.rule {clock_kind} END",
            "r.id",
            _month(_original_due("c")),
            "r.urgency",
            agency_id=f"CASE WHEN c.rule = '{Rule.ACTION}' THEN c.agency_id END",
            state="c.state",
            due_at=_original_due("c"),
            on_time=f"CASE WHEN c.state = '{DeadlineState.MET}' THEN c.met_at <= {_original_due('c')} END",
        )
        + f""" FROM referrals_deadline c JOIN referrals_referral r ON r.id = c.referral_id
            WHERE r.status <> '{ReferralStatus.DRAFT}' AND c.rule IN ({clock_rules})""",
        # _clock_facts: any clock a person moved later, in the month of the last move, by the mover's role.
        FactKind.MOVED: _select(
            "r.partnership_id",
            f"'{FactKind.MOVED}'",
            "r.id",
            _month("c.moved_at"),
            "r.urgency",
            category=f"CASE {mover} ELSE 'other' END",
            times="c.times_moved",
        )
        + f""" FROM referrals_deadline c JOIN referrals_referral r ON r.id = c.referral_id
            WHERE r.status <> '{ReferralStatus.DRAFT}' AND c.times_moved > 0 AND c.moved_at IS NOT NULL""",
    }


def _working_days(cursor) -> dict:
    """A running count of working days (`core.timescales.is_working_day`) over the days the held discussions span,
    for each partnership calendar, and each partnership's calendar: working_days_between(a, b) is the count at b's
    London day less the count at a's, when b's day is after a's (the day of a is day 0)."""
    cursor.execute(
        "SELECT min(least(concern_identified_at, held_at)), max(greatest(concern_identified_at, held_at)) "
        "FROM strategy_discussion WHERE held_at IS NOT NULL"
    )
    earliest, latest = cursor.fetchone()
    first = to_local(earliest).date() if earliest else dt.date(2000, 1, 1)
    last = to_local(latest).date() if latest else first
    length = (last - first).days + 1
    keys: dict[tuple, int] = {}
    calendars: list[Calendar] = []
    partnerships = list(Partnership.objects.order_by("pk"))
    groups = [0] * max([p.pk for p in partnerships] + [1])  # by partnership key (1-based, as SQL arrays)
    for partnership in partnerships:
        calendar = partnership_calendar(partnership)
        key = (calendar.jurisdiction, calendar.closure_days)
        if key not in keys:
            keys[key] = len(calendars)
            calendars.append(calendar)
        groups[partnership.pk - 1] = keys[key]
    counts: list[int] = []
    for calendar in calendars:
        running = 0
        for offset in range(length):
            running += is_working_day(first + dt.timedelta(days=offset), calendar)
            counts.append(running)
    return {"groups": groups, "counts": counts, "length": length, "first": first}


# From this many referrals the fact table's secondary indexes are dropped while it loads and built again after (as
# bench/generate.py does), which needs the table's owner.
REBUILD_INDEXES_FROM = 200_000


def facts_insert(*, log: Callable[[str], None] = lambda line: None) -> dict[str, int]:
    """Write the facts of every case in the database (its existing case facts removed first); rows per kind.
    Facts with no referral (the demo's past months) are left alone."""
    made: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("DELETE FROM reports_fact WHERE referral_id IS NOT NULL")
        params = _working_days(cursor)
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
        if superuser:  # no foreign-key checks queued for millions of rows: each key is read from its row
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SELECT count(*) FROM referrals_referral")
        dropped: list[tuple[str, str]] = []
        if cursor.fetchone()[0] >= REBUILD_INDEXES_FROM:
            cursor.execute(
                """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
                WHERE i.indrelid = 'reports_fact'::regclass AND NOT i.indisprimary"""
            )
            dropped = cursor.fetchall()
            for name, _ in dropped:
                cursor.execute(f"DROP INDEX {name}")
        for kind, select in _statements().items():
            start = time.perf_counter()
            cursor.execute(f"INSERT INTO reports_fact ({COLUMNS}) {select}", params)
            made[str(kind)] = cursor.rowcount
            log(f"  facts, {kind}: {cursor.rowcount:,} rows in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        for _, definition in dropped:
            cursor.execute(definition)
        if dropped:
            log(f"  facts, {len(dropped)} indexes built again in {time.perf_counter() - start:.1f} s")
        if superuser:
            cursor.execute("SET LOCAL session_replication_role = origin")
        cursor.execute("ANALYZE reports_fact")
    return made


def report_facts_write(*, now: dt.datetime, log: Callable[[str], None] = lambda line: None) -> dict:
    """Every case's facts by SQL, then the counts of every partnership-month that has facts (the app's own
    `counts_rebuild`); how many rows and how long each step took."""
    start = time.perf_counter()
    made = facts_insert(log=log)
    facts_seconds = time.perf_counter() - start
    start = time.perf_counter()
    touched = set(Fact.objects.values_list("partnership_id", "month").distinct())
    cells = counts_rebuild(touched, now=now)
    cells_seconds = time.perf_counter() - start
    log(f"  cells: {cells:,} for {len(touched):,} partnership-months in {cells_seconds:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reports_cell")
    return {
        "facts": made,
        "fact_rows": sum(made.values()),
        "cells": cells,
        "partnership_months": len(touched),
        "facts_seconds": round(facts_seconds, 1),
        "cells_seconds": round(cells_seconds, 1),
    }
