"""Deadline arithmetic for every statutory timescale: DOMAIN.md section 3 ("Timescales").

This is the one module that turns "when the clock started" into "when it is due". It is pure:
no ORM, no settings and no ``now()`` inside; callers pass the moment the clock started, the
partnership's :class:`Calendar` and, where needed, ``now``. Services compute ``due_at`` once and
store it on the row; the watcher and the UI compare stored moments with ``now``.

Clock facts (DOMAIN.md section 3):

- Time zone Europe/London. Results are aware datetimes in London local time.
- A working day is Monday to Friday, not a bank holiday of the partnership's jurisdiction
  (England, Wales, Scotland or Northern Ireland) and not a local closure day.
- "N working days after X": the date of X is day 0 whatever it is (working day or not, before
  or after hours); day 1 is the first working day after that date; due at the end of the
  working day (partnership setting, default 17:00 local) on day N.
- "Same day": 23:59:59 local on the date of X (a calendar day, not a working day).
- "Hours": elapsed time, so 24 hours across a clock change is still 24 real hours.
- "N calendar days": 23:59:59 local on the Nth calendar day after the date of X.
"""

from __future__ import annotations

import bisect
import enum
import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")

JURISDICTIONS = ("ENG", "WLS", "SCT", "NIR")

END_OF_CALENDAR_DAY = time(23, 59, 59)

# The dates the engine counts between. A clock is days or years long; a date far outside this is a typing
# mistake or an attack (31/12/9999 once overflowed Python's calendar), refused with OutOfRange, never computed.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


class OutOfRange(ValueError):
    """A date or moment outside the engine's range (EARLIEST_DATE to LATEST_DATE): nothing is computed from it."""


def _require_in_range(name: str, value: date) -> None:
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise OutOfRange(
            f"{name} {day.isoformat()} is outside the dates the timescale engine counts "
            f"({EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()})"
        )


class Rule(enum.StrEnum):
    """The timescales of DOMAIN.md section 3, by rule id."""

    SD_SAME_DAY = "SD_SAME_DAY"
    SD_IMMEDIATE_ACTION = "SD_IMMEDIATE_ACTION"
    SD_STANDARD = "SD_STANDARD"
    SD_COMPLEX = "SD_COMPLEX"
    SD_MISSING_CHILD = "SD_MISSING_CHILD"
    MINUTES_CIRCULATED = "MINUTES_CIRCULATED"
    ICPC = "ICPC"
    MEDICAL_REPORT = "MEDICAL_REPORT"
    ASSESSMENT = "ASSESSMENT"
    ACTION = "ACTION"
    RECONVENE = "RECONVENE"
    RISK_REVIEW = "RISK_REVIEW"
    MEETING_NOT_ENDED = "MEETING_NOT_ENDED"
    DISAGREEMENT_STAGE_1 = "DISAGREEMENT_STAGE_1"
    DISAGREEMENT_STAGE_2 = "DISAGREEMENT_STAGE_2"
    DISAGREEMENT_STAGE_3 = "DISAGREEMENT_STAGE_3"
    INFORMATION_REQUEST = "INFORMATION_REQUEST"


# Clocks whose due moment a person set (an agreed action date, a reconvene or risk review date): the engine
# never computes them, so a change of the partnership's calendar leaves them where they are.
# A request for information is fixed when it is asked (`information_request_due`): a calendar change leaves it too.
SET_BY_PERSON: frozenset[Rule] = frozenset({Rule.ACTION, Rule.RECONVENE, Rule.RISK_REVIEW, Rule.INFORMATION_REQUEST})


RULE_DESCRIPTIONS: dict[Rule, str] = {
    Rule.SD_SAME_DAY: "Same day",
    Rule.SD_IMMEDIATE_ACTION: "1 working day",
    Rule.SD_STANDARD: "N working days (partnership setting)",
    Rule.SD_COMPLEX: "5 working days",
    Rule.SD_MISSING_CHILD: "24 hours",
    Rule.MINUTES_CIRCULATED: "48 hours",
    Rule.ICPC: "15 working days",
    Rule.MEDICAL_REPORT: "10 calendar days",
    Rule.ASSESSMENT: "45 working days",
    Rule.ACTION: "The due date agreed for the action",
    Rule.RECONVENE: "The date set to reconvene",
    Rule.RISK_REVIEW: "The date set to review the risk",
    Rule.MEETING_NOT_ENDED: "4 hours (partnership setting)",
    Rule.DISAGREEMENT_STAGE_1: "1 working day (partnership setting)",
    Rule.DISAGREEMENT_STAGE_2: "2 working days (partnership setting)",
    Rule.DISAGREEMENT_STAGE_3: "5 working days (partnership setting)",
    Rule.INFORMATION_REQUEST: "Before the meeting, or 1 working day when asked after it",
}


def describe_rule(rule: Rule | str, standard_days: int) -> str:
    """The rule's timescale in words, with the partnership's N for SD_STANDARD ("3 working days")."""
    rule = Rule(rule)
    if rule is Rule.SD_STANDARD:
        return f"{standard_days} working day{'s' if standard_days != 1 else ''}"
    return RULE_DESCRIPTIONS[rule]


_FIXED_WORKING_DAYS: dict[Rule, int] = {
    Rule.SD_IMMEDIATE_ACTION: 1,
    Rule.SD_COMPLEX: 5,
    Rule.ICPC: 15,
    Rule.ASSESSMENT: 45,
}

_ELAPSED_HOURS: dict[Rule, int] = {
    Rule.SD_MISSING_CHILD: 24,
}
# Elapsed hours set by the partnership (DOMAIN section 3): the minutes (default 48) and a meeting left running
# (default 4).
_SETTING_HOURS = (Rule.MINUTES_CIRCULATED, Rule.MEETING_NOT_ENDED)
HOURS_MIN = 1
HOURS_MAX = 240

_CALENDAR_DAYS: dict[Rule, int] = {
    Rule.MEDICAL_REPORT: 10,
}

STANDARD_DAYS_MIN = 1
STANDARD_DAYS_MAX = 10

# A professional disagreement's stages (DOMAIN section 7): the Gloucestershire escalation procedure gives no time for
# them, so each is a partnership setting in working days (defaults 1 for practitioner to practitioner, 2 for the line
# managers, 5 for the strategy discussion held to resolve it: as long as the slowest discussion of section 3, the
# complex one), due at the end of the working day.
DISAGREEMENT_RULES = (Rule.DISAGREEMENT_STAGE_1, Rule.DISAGREEMENT_STAGE_2, Rule.DISAGREEMENT_STAGE_3)
DISAGREEMENT_DAYS_MIN = 1
DISAGREEMENT_DAYS_MAX = 10


@dataclass(frozen=True)
class Calendar:
    """A partnership's working-day settings (DOMAIN.md section 3).

    ``standard_days`` is N for ``SD_STANDARD`` (default 3; some partnerships use 2).
    ``start_of_day`` and ``end_of_day`` are naive local wall-clock times (the working day, for
    :func:`is_out_of_hours`). ``closure_days`` are the partnership's own non-working days, added by an
    administrator, on top of the jurisdiction's bank holidays.
    """

    jurisdiction: str = "ENG"
    end_of_day: time = time(17, 0)
    standard_days: int = 3
    closure_days: frozenset[date] = frozenset()
    minutes_hours: int = 48
    meeting_hours: int = 4
    disagreement_stage_1_days: int = 1
    disagreement_stage_2_days: int = 2
    start_of_day: time = time(9, 0)
    disagreement_stage_3_days: int = 5

    def __post_init__(self) -> None:
        if self.jurisdiction not in JURISDICTIONS:
            raise ValueError(
                f"Unknown jurisdiction {self.jurisdiction!r}. Known jurisdictions: {', '.join(JURISDICTIONS)}"
            )
        if not isinstance(self.end_of_day, time) or self.end_of_day.tzinfo is not None:
            raise ValueError("end_of_day must be a naive time (London local wall-clock time)")
        if not isinstance(self.start_of_day, time) or self.start_of_day.tzinfo is not None:
            raise ValueError("start_of_day must be a naive time (London local wall-clock time)")
        if self.start_of_day >= self.end_of_day:
            raise ValueError("start_of_day must be before end_of_day")
        if (
            isinstance(self.standard_days, bool)
            or not isinstance(self.standard_days, int)
            or not STANDARD_DAYS_MIN <= self.standard_days <= STANDARD_DAYS_MAX
        ):
            raise ValueError(
                f"standard_days must be a whole number from {STANDARD_DAYS_MIN} to {STANDARD_DAYS_MAX}, "
                f"not {self.standard_days!r}"
            )
        for name in ("minutes_hours", "meeting_hours"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not HOURS_MIN <= value <= HOURS_MAX:
                raise ValueError(
                    f"{name} must be a whole number of hours from {HOURS_MIN} to {HOURS_MAX}, not {value!r}"
                )
        for name in ("disagreement_stage_1_days", "disagreement_stage_2_days", "disagreement_stage_3_days"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not DISAGREEMENT_DAYS_MIN <= value <= DISAGREEMENT_DAYS_MAX
            ):
                raise ValueError(
                    f"{name} must be a whole number of working days from {DISAGREEMENT_DAYS_MIN} to "
                    f"{DISAGREEMENT_DAYS_MAX}, not {value!r}"
                )
        # Callers often hold a set or list; a frozenset keeps the calendar hashable.
        closure_days = frozenset(self.closure_days)
        if any(isinstance(day, datetime) or not isinstance(day, date) for day in closure_days):
            raise ValueError("closure_days must contain dates only")
        object.__setattr__(self, "closure_days", closure_days)


DEFAULT_CALENDAR = Calendar()


@functools.lru_cache(maxsize=len(JURISDICTIONS))
def bank_holidays(jurisdiction: str) -> holidays.HolidayBase:
    """The UK bank holidays of one jurisdiction, including substitute days.

    The object expands to further years on demand. It also lists holidays that fall on a
    weekend (Boxing Day on a Saturday as well as its Monday substitute); weekends are excluded
    separately by :func:`is_working_day`.
    """
    if jurisdiction not in JURISDICTIONS:
        raise ValueError(f"Unknown jurisdiction {jurisdiction!r}. Known jurisdictions: {', '.join(JURISDICTIONS)}")
    return holidays.country_holidays("GB", subdiv=jurisdiction)


def is_working_day(day: date, calendar: Calendar) -> bool:
    """Monday to Friday, not a bank holiday of the jurisdiction, not a closure day."""
    if isinstance(day, datetime):
        # A datetime would silently miss closure_days (datetime != date) and hide a timezone bug.
        raise TypeError("is_working_day takes a date, not a datetime: use to_local(moment).date()")
    return day.weekday() < 5 and day not in bank_holidays(calendar.jurisdiction) and day not in calendar.closure_days


def is_out_of_hours(moment: datetime, calendar: Calendar = DEFAULT_CALENDAR) -> bool:
    """Out of hours (DOMAIN section 7: the emergency duty team and the on-call managers): in London, not a working
    day, or before the start of the working day, or at or after its end (17:00 is out of hours, 09:00 is not)."""
    _require_aware("moment", moment)
    local = to_local(moment)
    if not is_working_day(local.date(), calendar):
        return True
    wall = local.time().replace(tzinfo=None)
    return wall < calendar.start_of_day or wall >= calendar.end_of_day


def add_working_days(start: date, days: int, calendar: Calendar) -> date:
    """The date of working day ``days`` counted from ``start`` (DOMAIN.md section 3).

    ``start`` is day 0 whatever it is; day 1 is the first working day after ``start``.
    """
    if isinstance(start, datetime):
        raise TypeError("add_working_days takes a date, not a datetime: use to_local(moment).date()")
    if days < 0:
        raise ValueError(f"days must not be negative, not {days}")
    _require_in_range("start", start)
    if days > MAX_WORKING_DAYS:
        raise OutOfRange(f"days must be at most {MAX_WORKING_DAYS}, not {days}")
    if days == 0:
        return start
    # A lookup in the calendar's precomputed working days, not a walk day by day: a 45-working-day rule costs
    # what a 1-day rule does. Years are tabled in blocks, so the answer never depends on where a block starts.
    first_year = start.year - start.year % WORKING_DAY_BLOCK_YEARS
    if first_year + WORKING_DAY_BLOCK_YEARS + 1 > date.max.year:
        return _walk_working_days(start, days, calendar)  # the last years of the calendar: no table
    table = _working_days(calendar, first_year)
    index = bisect.bisect_right(table, start.toordinal()) + days - 1
    if index < len(table):
        return date.fromordinal(table[index])
    return _walk_working_days(start, days, calendar)  # beyond the table (years ahead): the plain walk


WORKING_DAY_BLOCK_YEARS = 4
MAX_WORKING_DAYS = 2_600  # about ten years of working days: longer than any clock of DOMAIN section 3


@functools.lru_cache(maxsize=256)
def _working_days(calendar: Calendar, first_year: int) -> tuple[int, ...]:
    """The ordinals of every working day from 1 January of `first_year` for a block of years and one more."""
    day = date(first_year, 1, 1)
    end = date(first_year + WORKING_DAY_BLOCK_YEARS + 1, 12, 31)
    days = []
    while day <= end:
        if is_working_day(day, calendar):
            days.append(day.toordinal())
        day += timedelta(days=1)
    return tuple(days)


def _walk_working_days(start: date, days: int, calendar: Calendar) -> date:
    """Day by day: the definition the table must always agree with (tests compare the two)."""
    day = start
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day, calendar):
            remaining -= 1
    return day


def to_local(moment: datetime) -> datetime:
    """``moment`` in Europe/London.

    An aware moment is converted. A naive one is read as London wall-clock time, taking the
    first occurrence (fold=0) of an hour repeated when the clocks go back; a wall-clock time
    skipped when the clocks go forward comes out as the same instant in BST (01:30 -> 02:30).
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=LONDON, fold=0)
    return moment.astimezone(UTC).astimezone(LONDON)


def _local_moment(day: date, wall_time: time) -> datetime:
    return to_local(datetime.combine(day, wall_time))


def _as_rule(rule: Rule | str) -> Rule:
    try:
        return Rule(rule)
    except ValueError:
        raise ValueError(f"Unknown rule {rule!r}. Known rules: {', '.join(Rule)}") from None


def _require_aware(name: str, moment: datetime) -> None:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware; localise it first with to_local()")
    _require_in_range(name, moment)


def due_at(rule: Rule | str, start: datetime, calendar: Calendar = DEFAULT_CALENDAR) -> datetime:
    """When a timescale started at ``start`` falls due, as an aware Europe/London datetime.

    Implements the rule table of DOMAIN.md section 3. ``start`` is the moment the clock
    started (referral received, discussion ended, medical done...); for ``ACTION`` it is the
    agreed due moment itself.
    """
    rule = _as_rule(rule)
    _require_aware("start", start)
    local_start = to_local(start)

    if rule in SET_BY_PERSON:
        return local_start
    if rule is Rule.SD_SAME_DAY:
        return _local_moment(local_start.date(), END_OF_CALENDAR_DAY)
    if rule in _ELAPSED_HOURS or rule in _SETTING_HOURS:
        hours = (
            _ELAPSED_HOURS.get(rule)
            or {Rule.MINUTES_CIRCULATED: calendar.minutes_hours, Rule.MEETING_NOT_ENDED: calendar.meeting_hours}[rule]
        )
        # Real elapsed time: add in UTC so a clock change neither adds nor removes an hour.
        return to_local(start.astimezone(UTC) + timedelta(hours=hours))
    if rule in _CALENDAR_DAYS:
        return _local_moment(local_start.date() + timedelta(days=_CALENDAR_DAYS[rule]), END_OF_CALENDAR_DAY)

    days = {
        Rule.SD_STANDARD: calendar.standard_days,
        Rule.DISAGREEMENT_STAGE_1: calendar.disagreement_stage_1_days,
        Rule.DISAGREEMENT_STAGE_2: calendar.disagreement_stage_2_days,
        Rule.DISAGREEMENT_STAGE_3: calendar.disagreement_stage_3_days,
    }.get(rule) or _FIXED_WORKING_DAYS[rule]
    return _local_moment(add_working_days(local_start.date(), days, calendar), calendar.end_of_day)


def end_of_date(day: date) -> datetime:
    """23:59:59 London time on ``day``: when a clock due "by" a date a person set falls due (reconvene, review)."""
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError("end_of_date takes a date")
    _require_in_range("day", day)
    return _local_moment(day, END_OF_CALENDAR_DAY)


def step_moment(day: date, started: datetime) -> datetime:
    """The moment a step recorded by its date meets its clock: the start of that day, never before the clock began.

    A conference held, a report received, a review done: people record the day, sometimes days later. Counting
    from the start of the day means a step on the due day is on time whenever that day it happened.
    """
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError("step_moment takes a date")
    _require_in_range("day", day)
    _require_aware("started", started)
    return max(_local_moment(day, time(0, 0)), to_local(started))


def end_of_working_day_after(start: datetime, days: int, calendar: Calendar = DEFAULT_CALENDAR) -> datetime:
    """The end of working day ``days`` counted from the date of ``start`` (day 0), e.g. 1: the next working day.

    For clocks set by a rule of their own rather than a row of the table, such as the action to
    obtain a missing agency's information "by the end of the next working day" (DOMAIN section 4).
    """
    _require_aware("start", start)
    return _local_moment(add_working_days(to_local(start).date(), days, calendar), calendar.end_of_day)


def information_request_due(
    asked_at: datetime, meeting_at: datetime, *, meeting_over: bool, calendar: Calendar
) -> datetime:
    """When information asked of someone who cannot attend is due (issue 31): before the meeting's scheduled time
    when asked before it; by the end of the next working day when asked once the meeting is over, or when its
    scheduled time has passed without it ending (it is being held, or is late)."""
    _require_aware("asked_at", asked_at)
    _require_aware("meeting_at", meeting_at)
    if not meeting_over and time_left(meeting_at, asked_at) > timedelta(0):
        return to_local(meeting_at)
    return end_of_working_day_after(asked_at, 1, calendar)


# How long a contributor's link works after their request falls due (issue 31): late information is still wanted.
CONTRIBUTION_LINK_WORKING_DAYS = 5


def contribution_link_ends(due: datetime, calendar: Calendar) -> datetime:
    """The end of the working day 5 working days after a request for information fell due: its link works until
    then (or until the contribution is sent)."""
    return end_of_working_day_after(due, CONTRIBUTION_LINK_WORKING_DAYS, calendar)


def time_left(due: datetime, now: datetime) -> timedelta:
    """Real time from ``now`` until ``due``; negative once overdue.

    In UTC: two moments with the same zone subtract as wall-clock times in Python, an hour out
    across a clock change.
    """
    _require_aware("due", due)
    _require_aware("now", now)
    return due.astimezone(UTC) - now.astimezone(UTC)


def is_overdue(due: datetime, now: datetime) -> bool:
    """True once ``now`` is past ``due`` (at the due moment itself it is still in time)."""
    return time_left(due, now) < timedelta(0)


_UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60))


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def is_due_today(due: datetime, now: datetime) -> bool:
    """Due later today, London time (an overdue deadline is not "due today")."""
    return not is_overdue(due, now) and to_local(due).date() == to_local(now).date()


def describe_time_left(due: datetime, now: datetime) -> str:
    """Human text for the time left, e.g. "3 days 2 hours left" or "Overdue by 5 minutes".

    Elapsed time, truncated to whole minutes, in at most the two largest units (a zero second
    unit is left out: "3 days left"). Within a minute either side of ``due`` it is "Due now".
    """
    delta = time_left(due, now)
    seconds = int(abs(delta).total_seconds())
    if seconds < 60:
        return "Due now"

    counts = []
    for unit, size in _UNITS:
        counts.append((unit, seconds // size))
        seconds %= size
    first = next(index for index, (_, count) in enumerate(counts) if count)
    parts = [_plural(count, unit) for unit, count in counts[first : first + 2] if count]
    text = " ".join(parts)
    return f"Overdue by {text}" if delta < timedelta(0) else f"{text} left"


DEFAULT_DUE_SOON_SHARE = 0.25


def due_soon_at(start: datetime, due: datetime, share_left: float = DEFAULT_DUE_SOON_SHARE) -> datetime:
    """When a deadline becomes "due soon": ``share_left`` of its window (start to due) is left (DOMAIN section 5).

    The default is a quarter (a partnership setting). A window of no length (an action due the
    moment it is agreed) is due soon at once.
    """
    _require_aware("start", start)
    _require_aware("due", due)
    if not 0 < share_left < 1:
        raise ValueError(f"share_left must be between 0 and 1, not {share_left!r}")
    window = max(due.astimezone(UTC) - start.astimezone(UTC), timedelta(0))  # real time, not wall-clock
    return to_local(due.astimezone(UTC) - window * share_left)


def escalation_at(due: datetime, calendar: Calendar = DEFAULT_CALENDAR) -> datetime:
    """When an overdue deadline climbs to the agency's leads: overdue by one working day more (DOMAIN section 5).

    The end of the working day of the first working day after the date it fell due.
    """
    _require_aware("due", due)
    return _local_moment(add_working_days(to_local(due).date(), 1, calendar), calendar.end_of_day)


def retention_start(now: datetime, years: int) -> datetime:
    """The first moment a retention period of ``years`` keeps in full: midnight (London) on the first day of the
    month ``years`` before the month of ``now``. What is older is a whole number of London months, so a month is
    never summarised in part (referrals.retention)."""
    _require_aware("now", now)
    if years < 1:
        raise ValueError("A retention period is at least one year")
    local = to_local(now)
    return _local_moment(date(local.year - years, local.month, 1), time(0, 0))


# --- What the timeliness report counts (reports.facts): elapsed time between two moments, and London months.


def elapsed_hours(start: datetime, end: datetime) -> float:
    """Real hours from ``start`` to ``end`` (an hour is an hour across a clock change); never negative."""
    return max(time_left(end, start).total_seconds(), 0.0) / 3_600


def working_days_between(start: datetime, end: datetime, calendar: Calendar = DEFAULT_CALENDAR) -> int:
    """How many working days after ``start`` ``end`` falls, counted as the clocks count (DOMAIN.md section 3).

    The date of ``start`` is day 0, so a moment on working day N of :func:`add_working_days` gives N; a moment on
    a non-working day counts as the working day before it; ``end`` on or before the date of ``start`` gives 0.
    """
    _require_aware("start", start)
    _require_aware("end", end)
    first, last = to_local(start).date(), to_local(end).date()
    if last <= first:
        return 0
    _require_in_range("start", first)
    _require_in_range("end", last)
    block = first.year - first.year % WORKING_DAY_BLOCK_YEARS
    if last.year <= block + WORKING_DAY_BLOCK_YEARS + 1 and block + WORKING_DAY_BLOCK_YEARS + 1 <= date.max.year:
        table = _working_days(calendar, block)
        return bisect.bisect_right(table, last.toordinal()) - bisect.bisect_right(table, first.toordinal())
    return sum(1 for n in range(1, (last - first).days + 1) if is_working_day(first + timedelta(days=n), calendar))


def month_of(moment: datetime) -> date:
    """The first day of the London month ``moment`` falls in (a report's month)."""
    _require_aware("moment", moment)
    return to_local(moment).date().replace(day=1)


def month_start(month: date) -> datetime:
    """Midnight, London time, at the start of ``month`` (any day of it)."""
    return _local_moment(month.replace(day=1), time(0, 0))


def months_after(month: date, count: int) -> date:
    """The first day of the month ``count`` months after ``month`` (negative: before)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)
