"""How deadlines and times read on every app's pages: in words as well as colour (WCAG 1.4.1).

Presenters take stored values and `now`; they never compute a deadline (the engine in
`core.timescales` does, once, when it is stored).
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from core.timescales import describe_rule, describe_time_left, is_due_today, is_overdue

SD_RULE_IDS = ("SD_SAME_DAY", "SD_IMMEDIATE_ACTION", "SD_STANDARD", "SD_COMPLEX", "SD_MISSING_CHILD")

# Each rule of DOMAIN section 3 as pages name it (the case page, the dashboard and its filter, the timeline).
RULE_NAMES = {
    "SD_SAME_DAY": "Strategy discussion (same day)",
    "SD_IMMEDIATE_ACTION": "Strategy discussion (1 working day)",
    "SD_STANDARD": "Strategy discussion",
    "SD_COMPLEX": "Strategy discussion (complex)",
    "SD_MISSING_CHILD": "Strategy discussion (child missing)",
    "MINUTES_CIRCULATED": "Minutes circulated",
    "ICPC": "Initial child protection conference",
    "MEDICAL_REPORT": "Medical report",
    "ASSESSMENT": "Assessment",
    "ACTION": "Action",
    "RECONVENE": "Reconvene the discussion",
    "RISK_REVIEW": "Risk review",
    "MEETING_NOT_ENDED": "Meeting started and not ended",
    "DISAGREEMENT_STAGE_1": "Disagreement, stage 1 (practitioners)",
    "DISAGREEMENT_STAGE_2": "Disagreement, stage 2 (line managers)",
    "DISAGREEMENT_STAGE_3": "Disagreement, stage 3 (a strategy discussion)",
    "INFORMATION_REQUEST": "Information requested",
}

# What each clock asks someone to do, as an alert or a work queue says it ("what is due").
RULE_TASKS = {
    "SD_SAME_DAY": "Hold the strategy discussion (same day)",
    "SD_IMMEDIATE_ACTION": "Hold the strategy discussion (1 working day)",
    "SD_STANDARD": "Hold the strategy discussion",
    "SD_COMPLEX": "Hold the strategy discussion (complex)",
    "SD_MISSING_CHILD": "Hold the strategy discussion (child missing)",
    "MINUTES_CIRCULATED": "Approve and circulate the minutes",
    "ICPC": "Hold the initial child protection conference",
    "MEDICAL_REPORT": "Get the medical report",
    "ASSESSMENT": "Complete the assessment",
    "ACTION": "Complete the action",
    "RECONVENE": "Reconvene the strategy discussion",
    "RISK_REVIEW": "Review the risk",
    "MEETING_NOT_ENDED": "End the meeting that was started",
    "DISAGREEMENT_STAGE_1": "Respond to a professional disagreement (stage 1)",
    "DISAGREEMENT_STAGE_2": "Resolve a professional disagreement between line managers (stage 2)",
    "DISAGREEMENT_STAGE_3": "Hold a strategy discussion to resolve a professional disagreement (stage 3)",
    "INFORMATION_REQUEST": "Information asked of someone who cannot attend",
}


def shortened(words: str, most: int = 80) -> str:
    """At most `most` characters, cut at a word with "…" when cut (it was cut mid-word with no mark: a walk)."""
    words = " ".join(words.split())
    if len(words) <= most:
        return words
    cut = words[: most - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


def in_sentence(words: str) -> str:
    """A label as it reads mid-sentence: "Police officer" becomes "police officer"; a role typed with capitals of its
    own ("DC Child Protection", "Detective Constable, CAIT") is left as typed (it read "dc child protection": a
    walk)."""
    if not words or any(letter.isupper() for letter in words[1:]):
        return words
    return words[0].lower() + words[1:]


def rule_task(rule: str) -> str:
    return RULE_TASKS.get(rule, RULE_NAMES.get(rule, rule))


@dataclass(frozen=True)
class DeadlineView:
    """One deadline as a page shows it: when, how long is left, and its state in words."""

    rule: str
    due_at: dt.datetime
    state: str  # open, met or stopped
    met_at: dt.datetime | None
    stopped_at: dt.datetime | None
    text: str
    timescale: str
    overdue: bool
    due_today: bool
    due_soon: bool = False

    @property
    def met(self) -> bool:
        return self.state == "met"

    @property
    def stopped(self) -> bool:
        return self.state == "stopped"

    @property
    def met_late(self) -> bool:
        return self.met_at is not None and self.met_at > self.due_at

    @property
    def met_label(self) -> str:
        """A discussion is held, an action done, any other clock met."""
        if self.rule in SD_RULE_IDS:
            return "Held"
        return "Done" if self.rule == "ACTION" else "Met"

    @property
    def overdue_by(self) -> str:
        return self.text.removeprefix("Overdue ")

    @property
    def status_words(self) -> str:
        """The state in words, for a screen reader or a black-and-white printout."""
        if self.met:
            return f"{self.met_label} late" if self.met_late else self.met_label
        if self.stopped:
            return "Stopped"
        if self.overdue:
            return "Overdue"
        if self.due_today:
            return "Due today"
        if self.due_soon:
            return "Due soon"
        return "Open"

    @property
    def rag(self) -> str:
        """Red overdue, amber due soon (DOMAIN section 5), green otherwise; always shown with the words."""
        if self.overdue:
            return "red"
        if self.due_soon or self.due_today:
            return "amber"
        return "green"


def present_deadline(
    *,
    rule: str,
    due_at: dt.datetime,
    state: str,
    now: dt.datetime,
    standard_days: int,
    met_at: dt.datetime | None = None,
    stopped_at: dt.datetime | None = None,
    due_soon_at: dt.datetime | None = None,
) -> DeadlineView:
    open_ = state == "open"
    return DeadlineView(
        rule=rule,
        due_at=due_at,
        state=state,
        met_at=met_at,
        stopped_at=stopped_at,
        text=describe_time_left(due_at, now),
        timescale=describe_rule(rule, standard_days),
        overdue=open_ and is_overdue(due_at, now),
        due_today=open_ and is_due_today(due_at, now),
        due_soon=open_ and due_soon_at is not None and due_soon_at <= now,
    )


def present_deadline_row(
    deadline: Any, *, now: dt.datetime, standard_days: int = 3, due_soon: bool = True
) -> DeadlineView:
    """A stored deadline (referrals.Deadline) as a page shows it; `due_soon`: amber once its due-soon moment has
    passed (the lists of work), not only on the day (a case's own clocks)."""
    return present_deadline(
        rule=deadline.rule,
        due_at=deadline.due_at,
        state=deadline.state,
        met_at=deadline.met_at,
        stopped_at=deadline.stopped_at,
        due_soon_at=deadline.due_soon_at if due_soon else None,
        now=now,
        standard_days=standard_days,
    )


def _whole_months(born: dt.date, day: dt.date) -> int:
    """Whole calendar months from `born` to `day` (born on the 31st: a month is up on the last day of a shorter one)."""
    months = (day.year - born.year) * 12 + day.month - born.month
    if day.day < born.day:
        next_day = day + dt.timedelta(days=1)
        if next_day.month == day.month:  # not the last day of the month, so the month is not yet up
            months -= 1
    return months


def describe_age(born: dt.date, day: dt.date) -> str:
    """A child's age on `day` as a practitioner says it: "3 days", "7 weeks", "14 months", then whole years ("9").

    The one place ages are worded (case page, meeting page, minutes). Under two a year count says nothing ("0"
    for a bruised non-mobile infant is the age that matters most): under 13 weeks in weeks (under a week in
    days), under two years in months.
    """
    days = (day - born).days
    if days < 0:
        return "not yet born"
    if days < 7:
        return f"{days} day" if days == 1 else f"{days} days"
    if days < 13 * 7:
        weeks = days // 7
        return f"{weeks} week" if weeks == 1 else f"{weeks} weeks"
    months = _whole_months(born, day)
    if months < 24:
        return f"{months} months"
    return str(day.year - born.year - ((day.month, day.day) < (born.month, born.day)))
