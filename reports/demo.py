"""The demo's year of report data (issue 29): invented fact rows for the months before the demo's own cases.

The demo's nine cases fill a few days; a report of the last 12 months needs a year. `demo_facts_replace` writes
`Fact` rows with no case behind them (`referral_id` null, so no rebuild of a case touches them) for each of the 12
months before the month of `now` and for this month up to `now`, in bulk, following what each kind means
(reports/facts.py) exactly. They are invented by a `random.Random` seeded from the partnership and the month the
referral came in, so the same `now` always gives the same rows; the proportions are realistic, not anyone's
figures: most discussions within their timescale but not all, police present about 9 in 10 and health about 3 in
4, minutes circulated in about 30 hours with a tail past 48, some conferences, assessments and actions late or
left open, a few clocks moved later by a team manager, some cases closed at referral.

Every due moment comes from the timescale engine (core/timescales.py) with the partnership's calendar; the other
moments are invented offsets from those, all in UTC. Nothing here is a name, a date of birth or a person's words.
"""

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.db import transaction

from agencies.models import Agency, AgencyType, Partnership, RoleCode
from agencies.selectors import partnership_calendar
from core.timescales import (
    Calendar,
    Rule,
    due_at,
    elapsed_hours,
    month_of,
    month_start,
    months_after,
    to_local,
    working_days_between,
)
from disputes.models import DisagreementStatus, Subject
from referrals.models import URGENCY_RULES, ClosureOutcome, DeadlineState, Urgency
from reports.models import Fact, FactKind
from strategy.models import Attendance

MONTHS = 12  # before the month of `now`, which is filled up to `now`
# Months simulated before the first one shown, so that the clocks first due in it (an assessment is 45 working
# days from the referral) have cases behind them.
LEAD_IN = 3
UTC = dt.UTC
T = TypeVar("T")

URGENCIES = (
    (Urgency.STANDARD, 55),
    (Urgency.SERIOUS_RISK, 15),
    (Urgency.IMMEDIATE_ACTION, 12),
    (Urgency.COMPLEX, 10),
    (Urgency.FORENSIC, 8),
)
# A child's main outcome (reports.facts.OUTCOMES), and how often.
OUTCOMES = (("s47", 45), ("s17", 25), ("early_help", 12), ("nfa", 14), ("other", 4))


@dataclass(frozen=True)
class _Agencies:
    """The demo partnership's agencies by what they do here (any of them may be missing: then it is not used)."""

    social_care: Agency | None
    police: Agency | None
    health: Agency | None
    schools: tuple[Agency, ...]

    @classmethod
    def of(cls, partnership: Partnership) -> "_Agencies":
        agencies = list(Agency.objects.filter(partnership=partnership).order_by("name"))

        def first(kind: str) -> Agency | None:
            return next((a for a in agencies if a.agency_type == kind), None)

        return cls(
            social_care=first(AgencyType.CHILDRENS_SOCIAL_CARE),
            police=first(AgencyType.POLICE),
            health=first(AgencyType.HEALTH),
            schools=tuple(a for a in agencies if a.agency_type == AgencyType.EDUCATION),
        )

    def referrers(self) -> list[tuple[Agency | None, int]]:
        """Who refers, and how often (None: a member of the public)."""
        weighted = [(self.police, 25), (self.health, 25), (self.social_care, 10)]
        weighted += [(school, 25 // max(len(self.schools), 1)) for school in self.schools]
        return [(agency, weight) for agency, weight in weighted if agency is not None] + [(None, 15)]

    def leads(self) -> list[tuple[Agency, int]]:
        """Who leads the actions agreed, and how often."""
        weighted = [(self.social_care, 40), (self.police, 25), (self.health, 22)]
        weighted += [(school, 13 // max(len(self.schools), 1) or 1) for school in self.schools]
        return [(agency, weight) for agency, weight in weighted if agency is not None]


def _due(rule: Rule | str, start: dt.datetime, calendar: Calendar) -> dt.datetime:
    """The engine's due moment, in UTC (the invented moments after it are offsets in real time)."""
    return due_at(rule, start, calendar).astimezone(UTC)


def _pick(rng: random.Random, weighted: Sequence[tuple[T, int]]) -> T:
    return rng.choices([value for value, _ in weighted], weights=[weight for _, weight in weighted])[0]


class _Month:
    """The facts of the referrals received in one month, invented from a generator seeded with that month."""

    def __init__(
        self, *, partnership: Partnership, agencies: _Agencies, calendar: Calendar, month: dt.date, now: dt.datetime
    ) -> None:
        self.partnership, self.agencies, self.calendar, self.now = partnership, agencies, calendar, now
        self.last = month_of(now)
        self.first = months_after(self.last, -MONTHS)
        self.rng = random.Random(f"demo-report-{partnership.name}-{month:%Y-%m}")  # noqa: S311 # nosec B311 (invented data)
        self.start = month_start(month).astimezone(UTC)
        self.end = month_start(months_after(month, 1)).astimezone(UTC)
        self.facts: list[Fact] = []

    def fact(self, kind: str, moment: dt.datetime, urgency: str, **fields) -> None:
        """A fact counted in the month of `moment` (the engine's London month), if that month is shown."""
        month = month_of(moment)
        if self.first <= month <= self.last:
            self.facts.append(
                Fact(partnership_id=self.partnership.pk, kind=kind, month=month, urgency=urgency, **fields)
            )

    def received(self) -> dt.datetime:
        """A moment in the month, mostly in office hours on a weekday, sometimes out of hours."""
        rng = self.rng
        span = (self.end - self.start).total_seconds()
        moment = self.start + dt.timedelta(seconds=rng.uniform(0, span))
        local = to_local(moment)
        if rng.random() < 0.85 and local.weekday() < 5:
            local = local.replace(hour=rng.randint(8, 17), minute=rng.randint(0, 59))
        return local.astimezone(UTC)

    def build(self) -> list[Fact]:
        rng = self.rng
        for _ in range(rng.randint(46, 64)):
            received = self.received()
            if received > self.now:
                continue
            urgency = _pick(rng, URGENCIES)
            referrer = _pick(rng, self.agencies.referrers())
            self.fact(FactKind.REFERRAL, received, urgency, agency_id=referrer and referrer.pk)
            what = rng.random()
            if what < 0.80:
                self.discussion(received, urgency)
            elif what < 0.94:
                closed = received + dt.timedelta(hours=rng.uniform(2, 72))
                if closed <= self.now:
                    # With no discussion held the only outcome is threshold not met (DOMAIN section 1).
                    self.fact(FactKind.CLOSED, closed, urgency, category=ClosureOutcome.THRESHOLD_NOT_MET)
            # else: still being looked into, or passed to another service; nothing more to count
        self.disagreements()
        return self.facts

    def disagreements(self) -> None:
        """A few professional disagreements a month: most resolved between practitioners or their managers, some
        withdrawn, the recent ones still open (their own generator: the facts above stay as they were)."""
        rng = random.Random(f"demo-disagreements-{self.partnership.name}-{self.start:%Y-%m}")  # noqa: S311 # nosec B311
        raisers = [(agency, weight) for agency, weight in self.agencies.referrers() if agency is not None]
        for _ in range(rng.randint(4, 8)):
            raised = self.start + dt.timedelta(seconds=rng.uniform(0, (self.end - self.start).total_seconds()))
            if raised > self.now:
                continue
            subject = _pick(rng, DISAGREEMENT_SUBJECTS)
            recent = self.now - raised < dt.timedelta(days=7)
            status, stage = _pick(rng, OPEN_DISAGREEMENTS if recent else ENDED_DISAGREEMENTS)
            agency = _pick(rng, raisers)
            urgency = _pick(rng, URGENCIES)
            self.fact(
                FactKind.DISAGREEMENT, raised, urgency, agency_id=agency.pk, category=subject, state=status, times=stage
            )

    def discussion(self, concern: dt.datetime, urgency: str) -> None:
        rng, calendar = self.rng, self.calendar
        due = _due(URGENCY_RULES[urgency], concern, calendar)
        moved = rng.random() < 0.08
        if moved:
            # A team manager moved the clock later before it fell due (the family away, a key worker ill):
            # the meeting is mostly held after the original deadline, which is what the report counts against.
            moved_at = concern + (due - concern) * rng.uniform(0.2, 0.9)
            times = 2 if rng.random() < 0.15 else 1
            if moved_at <= self.now:
                self.fact(FactKind.MOVED, moved_at, urgency, category=RoleCode.TEAM_MANAGER, times=times)
            late = rng.random() < 0.8
        else:
            late = rng.random() < 0.13
        if late:
            held = due + dt.timedelta(hours=rng.uniform(2, 60))
        else:
            held = concern + (due - concern) * rng.uniform(0.15, 0.98)
        if held > self.now:
            return
        police = self.agencies.police is not None and rng.random() < 0.88
        health = self.agencies.health is not None and rng.random() < 0.75
        self.fact(
            FactKind.DISCUSSION,
            held,
            urgency,
            state=DeadlineState.MET,
            due_at=due,
            on_time=held <= due,
            hours=elapsed_hours(concern, held),
            working_days=working_days_between(concern, held, calendar),
            police_present=police,
            health_present=health,
            flag=moved,
        )
        self.invitations(held, urgency, police=police, health=health)
        ended = held + dt.timedelta(minutes=rng.randint(40, 120))
        self.minutes(ended, urgency)
        for _ in range(_pick(rng, ((1, 55), (2, 30), (3, 15)))):
            self.decision(concern, held, urgency)
        for _ in range(_pick(rng, ((1, 20), (2, 35), (3, 30), (4, 15)))):
            self.action(held, urgency)

    def invitations(self, held: dt.datetime, urgency: str, *, police: bool, health: bool) -> None:
        rng = self.rng
        invited: list[tuple[Agency, bool, bool]] = []  # agency, attended, core (the meeting went ahead without it)
        if self.agencies.police is not None:
            invited.append((self.agencies.police, police, True))
        if self.agencies.health is not None:
            invited.append((self.agencies.health, health, True))
        if self.agencies.schools and rng.random() < 0.55:
            invited.append((rng.choice(self.agencies.schools), rng.random() < 0.7, False))
        for agency, attended, core in invited:
            if attended:
                attendance = Attendance.ATTENDED
            else:
                attendance = Attendance.APOLOGIES if rng.random() < 0.6 else Attendance.NO_RESPONSE
            self.fact(
                FactKind.INVITATION, held, urgency, agency_id=agency.pk, category=attendance, flag=not attended and core
            )

    def minutes(self, ended: dt.datetime, urgency: str) -> None:
        rng = self.rng
        due = _due(Rule.MINUTES_CIRCULATED, ended, self.calendar)
        # Lognormal about 30 hours: about one in six past 48.
        circulated = ended + dt.timedelta(hours=max(rng.lognormvariate(math.log(30), 0.55), 1.5))
        if ended > self.now:
            return
        if circulated <= self.now:
            self.fact(
                FactKind.MINUTES,
                ended,
                urgency,
                state=DeadlineState.MET,
                due_at=due,
                on_time=circulated <= due,
                hours=elapsed_hours(ended, circulated),
            )
        else:
            self.fact(FactKind.MINUTES, ended, urgency, state=DeadlineState.OPEN, due_at=due)

    def decision(self, received: dt.datetime, held: dt.datetime, urgency: str) -> None:
        rng = self.rng
        outcome = _pick(rng, OUTCOMES)
        s47 = outcome == "s47"
        in_meeting = s47 and rng.random() < 0.8
        self.fact(FactKind.DECISION, held, urgency, category=outcome, flag=s47, second_flag=in_meeting if s47 else None)
        if s47:
            # Authorised in the meeting or soon after; no conference when the enquiry finds none is needed.
            due = _due(Rule.ICPC, held, self.calendar)
            stopped = rng.random() < 0.35
            self.clock(FactKind.ICPC, due, urgency, on_time=0.72, started=held, stopped=stopped)
        if outcome in ("s47", "s17"):
            due = _due(Rule.ASSESSMENT, received, self.calendar)
            self.clock(FactKind.ASSESSMENT, due, urgency, on_time=0.76, started=held, stopped=rng.random() < 0.04)

    def action(self, held: dt.datetime, urgency: str) -> None:
        rng = self.rng
        agreed = held + dt.timedelta(days=rng.randint(1, 14))
        due = _due(Rule.ACTION, agreed, self.calendar)
        lead = _pick(rng, self.agencies.leads())
        self.clock(FactKind.ACTION, due, urgency, on_time=0.74, started=held, stopped=rng.random() < 0.04, agency=lead)

    def clock(
        self,
        kind: str,
        due: dt.datetime,
        urgency: str,
        *,
        on_time: float,
        started: dt.datetime,
        stopped: bool,
        agency: Agency | None = None,
    ) -> None:
        """A clock counted in the month it was first due: stopped, met on time, met late, or never met (a few)."""
        rng = self.rng
        if month_of(due) > self.last:
            return
        fields = {"due_at": due, "agency_id": agency and agency.pk}
        if stopped:
            self.fact(kind, due, urgency, state=DeadlineState.STOPPED, **fields)
            return
        roll = rng.random()
        if roll < on_time:
            met = started + (due - started) * rng.uniform(0.3, 1.0)
        elif roll < 0.97:
            met = due + dt.timedelta(hours=rng.uniform(4, 24 * 12))
        else:
            met = None  # never recorded: open and, once due, overdue
        if met is not None and met <= self.now:
            self.fact(kind, due, urgency, state=DeadlineState.MET, on_time=met <= due, **fields)
        else:
            self.fact(kind, due, urgency, state=DeadlineState.OPEN, **fields)


DISAGREEMENT_SUBJECTS = [
    (Subject.THRESHOLD, 5),
    (Subject.DISCUSSION_OUTCOME, 3),
    (Subject.CHILD_DECISION, 3),
    (Subject.S47_OUTCOME, 2),
    (Subject.ACTION, 2),
]
ENDED_DISAGREEMENTS = [
    ((DisagreementStatus.RESOLVED, 1), 12),
    ((DisagreementStatus.RESOLVED, 2), 5),
    ((DisagreementStatus.RESOLVED, 3), 2),
    ((DisagreementStatus.WITHDRAWN, 1), 2),
    ((DisagreementStatus.OPEN, 3), 1),
]
OPEN_DISAGREEMENTS = [((DisagreementStatus.OPEN, 1), 3), ((DisagreementStatus.OPEN, 2), 2)]


def demo_facts(*, partnership: Partnership, now: dt.datetime) -> list[Fact]:
    """The invented facts of the 12 months before the month of `now` and of this month up to `now` (unsaved)."""
    agencies, calendar = _Agencies.of(partnership), partnership_calendar(partnership)
    first = months_after(month_of(now), -MONTHS)
    facts: list[Fact] = []
    for offset in range(-LEAD_IN, MONTHS + 1):
        month = months_after(first, offset)
        facts += _Month(partnership=partnership, agencies=agencies, calendar=calendar, month=month, now=now).build()
    return facts


def demo_facts_replace(*, partnership: Partnership, now: dt.datetime) -> int:
    """The partnership's invented facts (those with no case) replaced by those for `now`; how many."""
    facts = demo_facts(partnership=partnership, now=now)
    with transaction.atomic():
        Fact.objects.filter(partnership=partnership, referral_id=None).delete()
        Fact.objects.bulk_create(facts, batch_size=2_000)
    return len(facts)
