"""Invented demo data: a partnership, its agencies, one user per role, referrals in different states,
strategy discussions on them (upcoming, held, proceeding without an agency), and the actions agreed in them
in every state (overdue, due soon, on track, in progress, done on time or late, cancelled), all through the
real services; and a year of invented report facts before them (reports/demo.py), counted for the timeliness
report with the demo cases' own.

Idempotent: run it as often as you like. No real person appears anywhere here.
"""

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_otp.plugins.otp_totp.models import TOTPDevice

from actions import services as actions
from actions.access import get_action_for_user
from actions.models import Action, ActionStatus
from agencies import two_factor
from agencies.demo import DEMO_TOTP_KEY
from agencies.models import Agency, AgencyType, Partnership, Role, RoleCode, User
from agencies.selectors import partnership_calendar
from agencies.services import user_agency_group_sync
from contributions.demo import ask_gp_before, seed_contributions
from core.timescales import LONDON, Rule, add_working_days, end_of_working_day_after, to_local
from disputes.demo import seed_disagreements
from minutes import record as minutes_record
from minutes import services as minutes_services
from minutes.access import get_minutes_for_user
from minutes.models import Sends
from referrals import services
from referrals.access import ReferralChecker
from referrals.models import ClosureOutcome, Concern, ConcernCategory, Person, PersonKind, Referral, Urgency
from reports.demo import MONTHS, demo_facts_replace
from reports.services import report_rebuild_recent, report_refresh
from strategy import rules
from strategy import services as strategy
from strategy import steps as strategy_steps
from strategy.access import get_discussion_for_user
from strategy.models import (
    Attendance,
    CinSupport,
    Consent,
    Discussion,
    Format,
    InvestigationType,
    InvitationStatus,
    PoliceDecision,
    Protection,
    RiskLevel,
    Trigger,
)

PARTNERSHIP = "Demo Safeguarding Children Partnership"
NEIGHBOUR = "Neighbouring Safeguarding Children Partnership"

AGENCIES = [
    (PARTNERSHIP, "Demo Children's Social Care", AgencyType.CHILDRENS_SOCIAL_CARE),
    (PARTNERSHIP, "Demo Police", AgencyType.POLICE),
    (PARTNERSHIP, "Demo Health Trust", AgencyType.HEALTH),
    (PARTNERSHIP, "Demo Academy", AgencyType.EDUCATION),
    (PARTNERSHIP, "Demo Primary School", AgencyType.EDUCATION),
    (NEIGHBOUR, "Neighbouring Police", AgencyType.POLICE),
]

# username, first name, last name, agency, roles, job title
USERS = [
    ("sw.demo", "Sam", "Walker", "Demo Children's Social Care", [RoleCode.SOCIAL_WORKER], "Social worker"),
    ("tm.demo", "Tara", "Mendes", "Demo Children's Social Care", [RoleCode.TEAM_MANAGER], "Team manager"),
    ("hos.demo", "Hugh", "Ortiz", "Demo Children's Social Care", [RoleCode.HEAD_OF_SERVICE], "Head of service"),
    ("police.demo", "Pat", "Oduya", "Demo Police", [RoleCode.POLICE_OFFICER], "Detective sergeant"),
    ("health.demo", "Helen", "Achebe", "Demo Health Trust", [RoleCode.HEALTH_PRACTITIONER], "Paediatrician"),
    ("school.demo", "Sol", "Hartley", "Demo Academy", [RoleCode.EDUCATION_DSL], "Designated safeguarding lead"),
    ("dsl.demo", "Dana", "Shore", "Demo Primary School", [RoleCode.EDUCATION_DSL], "Designated safeguarding lead"),
    ("admin.demo", "Ada", "Min", "Demo Children's Social Care", [RoleCode.BUSINESS_SUPPORT], "Business support"),
    ("analyst.demo", "Ana", "Lyst", "Demo Children's Social Care", [RoleCode.PARTNERSHIP_ANALYST], "Analyst"),
    ("outsider.police", "Owen", "Sider", "Neighbouring Police", [RoleCode.POLICE_OFFICER], "Police constable"),
    # Line managers (DOMAIN section 7: a disagreement's stage 2 is between them), so that everyone who may raise one
    # has one: the police's and health's strategy discussion leads, and above each lead and DSL someone with no
    # practitioner role (they see only the disagreements their staff are party to, and the alerts about them).
    ("police.lead", "Priya", "Lennart", "Demo Police", [RoleCode.HEAD_OF_SERVICE], "Detective inspector, MASH manager"),
    ("health.lead", "Hana", "Lowrie", "Demo Health Trust", [RoleCode.HEAD_OF_SERVICE], "Head of safeguarding"),
    ("dcs.demo", "Dev", "Carraway", "Demo Children's Social Care", [], "Director of children's services"),
    ("police.supt", "Percy", "Sutcliffe", "Demo Police", [], "Detective superintendent"),
    ("health.dir", "Hollis", "Dray", "Demo Health Trust", [], "Chief nurse"),
    ("head.academy", "Harriet", "Amberley", "Demo Academy", [], "Principal"),
    ("head.primary", "Hector", "Primm", "Demo Primary School", [], "Headteacher"),
    ("outsider.sgt", "Olwen", "Sargant", "Neighbouring Police", [], "Police sergeant"),
    # On the on-call rota out of hours (issue 30), with the head of service as the on-call senior manager.
    ("edt.demo", "Eden", "Tarrant", "Demo Children's Social Care", [RoleCode.SOCIAL_WORKER], "Emergency duty team"),
]

# Who each demo user's line manager is: an overdue deadline is told to them, and a disagreement's stage 2 is theirs.
LINE_MANAGERS = {
    "sw.demo": "tm.demo",
    "admin.demo": "tm.demo",
    "tm.demo": "hos.demo",
    "hos.demo": "dcs.demo",
    "police.demo": "police.lead",
    "police.lead": "police.supt",
    "health.demo": "health.lead",
    "health.lead": "health.dir",
    "school.demo": "head.academy",
    "dsl.demo": "head.primary",
    "outsider.police": "outsider.sgt",
    "edt.demo": "hos.demo",
}

# Checks made without the parents' consent: the team manager's reason, as the demo records it (DOMAIN section 4).
MANAGER_CONSENT_REASON = "Tara Mendes (team manager): seeking consent first could place the child at risk."

ADMIN_PERMISSION_MODELS = ("user", "agency", "partnership", "closureday", "oncall")


def ensure_reference_rows() -> None:
    """The role and concern rows the data migrations create; again here in case a test flushed them."""
    Role.objects.bulk_create([Role(code=code) for code in RoleCode.values], ignore_conflicts=True)
    Concern.objects.bulk_create([Concern(code=code) for code in ConcernCategory.values], ignore_conflicts=True)


def _child(first: str, last: str, born: dt.date | None, **extra) -> dict:
    return {"first_name": first, "last_name": last, "date_of_birth": born, **extra}


# Invented NHS numbers from the range set aside for testing (999...), with valid check digits.
NHS_NUMBERS = ["9990000018", "9990000026", "9990000034", "9990000042", "9990000050", "9990000069"]


def _referrals(now: dt.datetime, agencies: dict[str, Agency]) -> list[dict]:
    """Invented referrals; times are relative to `now` (the seeding moment) so the states are realistic."""
    today = timezone.localdate(now)

    def years(n: int) -> dt.date:  # a birthday n years and a few days ago (never today, never 29 February)
        day = today - dt.timedelta(days=3)
        return dt.date(day.year - n, day.month, min(day.day, 28))

    return [
        {
            "received_at": now - dt.timedelta(hours=2),
            "referrer_name": "Duty nurse, Demo Hospital emergency department",
            "referrer_agency": agencies["Demo Health Trust"],
            "concerns": ["physical"],
            "urgency": Urgency.SERIOUS_RISK,
            "summary": "Four-year-old brought in with bruising to both upper arms; explanation inconsistent.",
            "children": [
                _child(
                    "Mia",
                    "Thornbury",
                    years(4),
                    relationship="Subject child",
                    first_language="English",
                    nhs_number=NHS_NUMBERS[0],
                    in_hospital=True,
                    hospital="Demo Hospital, children's ward",
                    education_status="on_roll",
                    education_setting="Demo Nursery",
                    gp="Demo Street Surgery",
                ),
                _child(
                    "Ella",
                    "Thornbury",
                    years(11),
                    relationship="Half-sister, lives with her father",
                    nhs_number=NHS_NUMBERS[3],
                    education_status="on_roll",
                    education_setting="Demo Primary School",
                    gp="Demo Street Surgery",
                ),
            ],
            "household": [{"first_name": "Jade", "last_name": "Thornbury", "relationship": "Mother"}],
            "others": [
                {
                    "kind": "alleged_abuser",
                    "first_name": "Craig",
                    "last_name": "Pellow",
                    "relationship": "Mother's partner, lives elsewhere",
                }
            ],
        },
        {
            "received_at": now - dt.timedelta(days=1, hours=3),
            "referrer_name": "Dana Shore",
            "referrer_agency": agencies["Demo Primary School"],
            "concerns": ["neglect", "emotional"],
            "urgency": Urgency.STANDARD,
            "summary": "Siblings repeatedly arrive hungry and unkempt; the younger said no adult was home overnight.",
            "children": [
                _child(
                    "Leo",
                    "Brightwater",
                    years(9),
                    relationship="Subject child",
                    education_status="on_roll",
                    education_setting="Demo Primary School",
                    nhs_number=NHS_NUMBERS[1],
                ),
                _child(
                    "Ava",
                    "Brightwater",
                    years(6),
                    relationship="Sibling",
                    disability=True,
                    communication_needs="Uses Makaton signs",
                    education_status="on_roll",
                    education_setting="Demo Primary School",
                    plan="child_in_need",
                ),
            ],
            "household": [{"first_name": "Dean", "last_name": "Brightwater", "relationship": "Father"}],
        },
        {
            "received_at": now - dt.timedelta(days=9),
            "referrer_name": "Anonymous neighbour",
            "referrer_agency": None,
            "referrer_organisation": "Member of the public",
            "concerns": ["neglect"],
            "urgency": Urgency.STANDARD,
            "summary": "Neighbour reports a toddler left alone in a flat for long periods.",
            "children": [_child("Noah", "Fenwick", years(2), relationship="Subject child")],
            "household": [],
        },
        {
            "received_at": now - dt.timedelta(hours=20),
            "referrer_name": "Pat Oduya",
            "referrer_agency": agencies["Demo Police"],
            "concerns": ["cce", "extra_familial"],
            "urgency": Urgency.IMMEDIATE_ACTION,
            "immediate_action_agency": agencies["Demo Police"],
            "immediate_action_details": "Police protection used overnight after the child was found in a known drug "
            "address; placed with an aunt.",
            "summary": "Fifteen-year-old found at an address linked to county lines activity.",
            "children": [
                _child(
                    "Kai",
                    "Marchbank",
                    years(15),
                    relationship="Subject child",
                    first_language="Portuguese",
                    interpreter_needed=False,
                )
            ],
            "household": [{"first_name": "Rosa", "last_name": "Marchbank", "relationship": "Mother"}],
        },
        {
            "received_at": now - dt.timedelta(days=2),
            "referrer_name": "Designated officer (LADO)",
            "referrer_agency": agencies["Demo Children's Social Care"],
            "concerns": ["position_of_trust", "organised"],
            "urgency": Urgency.COMPLEX,
            "summary": "Allegation that a youth football coach has sent sexualised messages to several players.",
            "children": [
                _child("Ruby", "Ashdown", years(12), relationship="Subject child"),
                _child(
                    "Theo",
                    "Okonjo",
                    years(13),
                    relationship="Subject child (different family)",
                    looked_after=True,
                    placement="Foster carers in the area",
                    responsible_authority="Demo Farshire County Council",
                ),
            ],
            "household": [],
            "others": [
                {
                    "kind": "alleged_abuser",
                    "first_name": "Dale",
                    "last_name": "Fernsby",
                    "relationship": "Youth football coach",
                    "works_with_children": True,
                }
            ],
        },
        {
            "received_at": now - dt.timedelta(days=1),
            "referrer_name": "Community midwife",
            "referrer_agency": agencies["Demo Health Trust"],
            "concerns": ["unborn", "emotional"],
            "urgency": Urgency.STANDARD,
            "summary": "Expectant mother discloses ongoing domestic abuse by her partner.",
            "children": [
                {
                    "first_name": "",
                    "last_name": "Caldwell",
                    "unborn": True,
                    "expected_date": today + dt.timedelta(days=90),
                    "relationship": "Unborn child",
                }
            ],
            "household": [
                {"first_name": "Lena", "last_name": "Caldwell", "relationship": "Mother"},
                {"first_name": "Rory", "last_name": "Vance", "relationship": "Mother's partner"},
            ],
        },
        {
            "received_at": now - dt.timedelta(days=4),
            "referrer_name": "Health visitor",
            "referrer_agency": agencies["Demo Health Trust"],
            "concerns": ["non_mobile_injury", "physical"],
            "urgency": Urgency.SERIOUS_RISK,
            "summary": "Three-month-old with a bruise to the cheek seen at a routine visit.",
            "children": [
                _child(
                    "Jacob",
                    "Wren",
                    today - dt.timedelta(days=92),
                    relationship="Subject child",
                    not_yet_mobile=True,
                    nhs_number=NHS_NUMBERS[2],
                    health_visitor_or_school_nurse="Demo health visiting team",
                )
            ],
            "household": [{"first_name": "Megan", "last_name": "Wren", "relationship": "Mother"}],
            "non_mobile_infant_injury": True,
        },
        {
            "received_at": now - dt.timedelta(days=21),
            "referrer_name": "Dana Shore",
            "referrer_agency": agencies["Demo Primary School"],
            "concerns": ["emotional"],
            "urgency": Urgency.STANDARD,
            "summary": "Pupil described frightening arguments at home; parents engaged with early help.",
            "children": [_child("Isla", "Penrose", years(10), relationship="Subject child")],
            "household": [],
            # Closed by the team manager after its discussion was held; its minutes are still to be circulated.
            "closure": (
                ClosureOutcome.EARLY_HELP,
                "Discussion held: no evidence of significant harm. Both parents accepted early help; the early help "
                "worker reviews in six weeks.",
                dt.timedelta(days=3),
            ),
        },
        {
            "received_at": now - dt.timedelta(days=10),
            "referrer_name": "Dana Shore",
            "referrer_agency": agencies["Demo Primary School"],
            "concerns": ["physical", "emotional"],
            "urgency": Urgency.STANDARD,
            "summary": "Pupil said his father shouted at him and pushed him during a handover; parents separated and "
            "in dispute over contact.",
            "children": [_child("Sam", "Ellery", years(7), relationship="Subject child")],
            "household": [{"first_name": "Nina", "last_name": "Ellery", "relationship": "Mother"}],
            # Closed at referral without a discussion (threshold not met), then reopened on new information.
            "closure": (
                ClosureOutcome.THRESHOLD_NOT_MET,
                "One remark during a contact dispute; no injury seen, and Sam told the school he feels safe at both "
                "homes. Signposted to family mediation.",
                dt.timedelta(days=1),
            ),
            "reopen": (
                "The school reports a bruise on Sam's upper arm after a contact weekend, and Sam says his father "
                "grabbed him: the threshold for a strategy discussion is now met.",
                dt.timedelta(hours=3),
            ),
        },
    ]


# --- Strategy discussions, written through the strategy services as the chair and the agencies would --------

CHAIR, CONVENER = "tm.demo", "sw.demo"
# Who speaks for each demo agency in a meeting, and who is named on its actions.
AGENCY_USERS = {
    "Demo Children's Social Care": "sw.demo",
    "Demo Police": "police.demo",
    "Demo Health Trust": "health.demo",
    "Demo Primary School": "dsl.demo",
}

THORNBURY_PLAN = {
    "medical": (
        "Child protection medical by the consultant paediatrician on the ward today; timing agreed with the "
        "police, no forensic medical needed.",
        "",
    ),
    "abe": ("Joint ABE interview led by DS Oduya with the social worker once Mia is discharged.", ""),
    "seeing_child": (
        "The social worker sees Mia on the ward today with the play specialist (at four, with a nurse she trusts).",
        "",
    ),
    "wishes": ("Through play and drawings with the social worker and the ward play specialist.", ""),
    "parents": (
        "The social worker and a police officer see Jade Thornbury on the ward tomorrow; the police see Craig Pellow.",
        "",
    ),
    "further_information": ("Nursery attendance and injury records; GP records for Mia and her mother.", ""),
    "check_consent": ("Sought from Jade Thornbury and given for the health and nursery checks.", ""),
    "medical_consent": ("Jade Thornbury holds parental responsibility and consented to the medical.", ""),
    "other_children": ("Ella Thornbury, half-sister: no further action (see her decision).", ""),
    "social_media": ("", "Nothing suggests an online element."),
    "discharge": (
        "Mia is not discharged to any address Craig Pellow visits: the ward agrees discharge with the social "
        "worker, to her maternal grandmother if needed.",
        "",
    ),
    "criminal": ("Police investigate an assault; Craig Pellow is interviewed after the ABE interview.", ""),
    "interviews": (
        "The police interview Craig Pellow after Mia's ABE interview; the social worker speaks with the maternal "
        "grandmother this week.",
        "",
    ),
    "child_sharing": (
        "On the ward, with the play specialist, in simple words: who is helping her first; more after the medical.",
        "",
    ),
    "s47_lead": (
        "The allocated social worker leads it; it finishes within 15 working days, before any conference.",
        "",
    ),
}

WREN_PLAN = {
    "medical": ("Child protection medical done before the meeting; skeletal survey and bloods tomorrow.", ""),
    "abe": ("", "Jacob is three months old."),
    "seeing_child": ("The social worker sees Jacob at home with the health visitor within 24 hours.", ""),
    "wishes": ("", "Jacob is three months old: his needs are observed at the home visit instead."),
    "parents": ("The social worker and a police officer see Megan Wren at home tomorrow.", ""),
    "further_information": ("Identify Jacob's father and anyone else who cares for him; GP records.", ""),
    "check_consent": ("Sought from Megan Wren and given.", ""),
    "medical_consent": ("Megan Wren consented to the skeletal survey and bloods.", ""),
    "other_children": ("", "No other children live in the household or are cared for there."),
    "social_media": ("", "Nothing suggests an online element."),
    "discharge": ("", "Jacob is not in hospital."),
    "criminal": ("Police decide after the skeletal survey whether to investigate.", ""),
    "interviews": ("The police speak with Jacob's father once he is named; the social worker with the GP.", ""),
    "child_sharing": ("", "Jacob is three months old."),
    "s47_lead": ("The allocated social worker leads it; it finishes within 15 working days.", ""),
}


# What the family is told (DOMAIN section 1), decided by the chair: the family summary is built from this alone.
# Written so that it repeats nothing of the information shared, the risk analysis, the plan, the reasoning or the
# actions (tests/minutes/test_family_document.py compares them, five words at a time).
THORNBURY_FAMILY = {
    "sharing": "share",
    "for_family": "We are worried about the bruises on Mia's arms. Children's social care will make enquiries to "
    "understand how she was hurt, and a doctor will examine her. Mia stays in hospital for now; we will talk "
    "with you about where she goes when she leaves.",
    "for_child": "Mia: the nurses and doctors are looking after you. Sam will come to play and talk with you.",
    "told_by": "Sam Walker, social worker",
    "include_names": True,
    "include_date": True,
    "include_outcome": True,
    "outcome": "Children's social care will make enquiries about Mia. Nothing more is needed for Ella for now.",
}


def _later(moment: dt.datetime, **delta: float) -> dt.datetime:
    """`moment` plus real elapsed time (not wall-clock time, which a clock change would stretch), in London time."""
    return to_local(moment.astimezone(dt.UTC) + dt.timedelta(**delta))


def _hour(moment: dt.datetime) -> dt.datetime:
    """The whole hour at or before `moment`, in London time: a due moment as people agree one."""
    return to_local(moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0))


# A step in an action's life after the meeting: who, the new status, the note (completion or reason), when.
Step = tuple[str, str, str, dt.datetime]


class DemoDiscussions:
    """The demo's strategy discussions: one upcoming, some held, one proceeding without health."""

    def __init__(self, *, agencies: dict[str, Agency], users: dict[str, User], now: dt.datetime) -> None:
        self.agencies, self.users, self.now = agencies, users, now
        self.csc = agencies["Demo Children's Social Care"]
        self.police, self.health = agencies["Demo Police"], agencies["Demo Health Trust"]
        self.school = agencies["Demo Primary School"]
        self.calendar = partnership_calendar(self.csc.partnership)
        self.counts = {"discussions": 0, "actions": 0}

    # Moments, all relative to the seeding moment.

    def working_day(self, days: int, hour: int) -> dt.datetime:
        """`hour` o'clock on working day `days` after the seeding moment's date (in the future for days >= 1)."""
        day = add_working_days(to_local(self.now).date(), days, self.calendar)
        return to_local(dt.datetime.combine(day, dt.time(hour)))

    def due(self, days: int) -> dt.datetime:
        """The end of working day `days` after the seeding moment: when an action agreed in a meeting is due."""
        return end_of_working_day_after(self.now, days, self.calendar)

    def past(self, moment: dt.datetime) -> dt.datetime:
        if moment.astimezone(dt.UTC) > self.now.astimezone(dt.UTC):
            raise CommandError(f"demo data would record {moment:%Y-%m-%d %H:%M} as done: it is after --now")
        return moment

    # The services, as each person would use them.

    def checker(self, username: str, discussion: Discussion):
        return get_discussion_for_user(self.users[username], discussion.pk)[1]

    def invite(self, proposal: str, agency: Agency, role: str, reason: str) -> dict:
        return {
            "agency": agency,
            "person": self.users[AGENCY_USERS[agency.name]],
            "role": role,
            "proposal": proposal,
            "reason": reason,
        }

    def convene(
        self,
        referral: Referral,
        children: list[Person],
        *,
        convened_at: dt.datetime,
        scheduled_at: dt.datetime,
        format: str,
        reason: str,
        purpose: str,
        invitations: list[dict],
        declined: Sequence[dict] = (),
    ) -> Discussion:
        discussion = strategy.discussion_convene(
            acting_user=self.users[CONVENER],
            referral=referral,
            data={
                "trigger": Trigger.NEW_REFERRAL,
                "concern_identified_at": referral.received_at,
                "urgency": referral.urgency,
                "scheduled_at": scheduled_at,
                "format": format,
                "chair": self.users[CHAIR],
                "reason": reason,
                "purpose": purpose,
            },
            children=children,
            invitations=invitations,
            declined=declined,
            now=self.past(convened_at),
        )
        self.counts["discussions"] += 1
        return discussion

    def hold(
        self,
        discussion: Discussion,
        *,
        information: list[tuple[Agency, str, str, str, bool]],
        risk: list[tuple[Person, dict[str, str]]],
        risk_review: str,
        decisions: list[tuple[Person, dict]],
        authorise: tuple[Person, ...] = (),
        plan: dict[str, tuple[str, str]] | None = None,
        child_plans: Sequence[tuple[Person, dict[str, tuple[str, str]]]] = (),
        family: dict | None = None,
        actions: Sequence[dict] = (),
        apologies: tuple[Agency, ...] = (),
        proceed: tuple[str, str] | None = None,
        standing: tuple[dict, dict[Person, dict]] = ({}, {}),
        minutes: int = 45,
    ) -> Discussion:
        """Hold a convened discussion at its scheduled time, record every section, and end it."""
        chair = self.users[CHAIR]
        started = discussion.scheduled_at
        ended = self.past(_later(started, minutes=minutes))
        strategy.discussion_start(acting_user=chair, checker=self.checker(CHAIR, discussion), now=self.past(started))
        checker = self.checker(CHAIR, discussion)
        rows = {
            invitation.pk: (
                Attendance.APOLOGIES if invitation.agency in apologies else Attendance.ATTENDED,
                invitation.agency not in apologies and invitation.agency != self.csc,
            )
            for invitation in discussion.invitations.filter(status=InvitationStatus.INVITED)
        }
        strategy.attendance_save(acting_user=chair, checker=checker, rows=rows, version=None)
        if proceed:
            strategy.proceed_save(
                acting_user=chair,
                checker=self.checker(CHAIR, discussion),
                agencies=list(apologies),
                reason=proceed[0],
                urgency=proceed[1],
                now=_later(started, minutes=2),
                version=None,
            )
        for minute, (agency, text, checks, consent, not_for_family) in enumerate(information, start=1):
            # Each agency adds its own information, as an invited agency does on the meeting page.
            username = AGENCY_USERS[agency.name]
            strategy.information_add(
                acting_user=self.users[username],
                checker=self.checker(username, discussion),
                agency=agency,
                data={
                    "information": text,
                    "checks_done": checks,
                    "consent": consent,
                    "consent_manager_reason": MANAGER_CONSENT_REASON
                    if consent in (Consent.NOT_SOUGHT, Consent.SOUGHT_REFUSED)
                    else "",
                    "not_for_family": not_for_family,
                },
                now=_later(started, minutes=5 * minute),
            )
        checker = self.checker(CHAIR, discussion)
        for child, analysis in risk:
            strategy.child_risk_save(acting_user=chair, checker=checker, child=child, data=analysis, version=None)
        strategy.risk_save(acting_user=chair, checker=checker, data={"risk_review": risk_review}, version=None)
        decided_at = _later(ended, minutes=-10)
        made = {}
        for child, data in decisions:
            made[child.pk] = strategy.decision_save(
                acting_user=chair, checker=checker, child=child, data=data, version=None, now=decided_at
            )
        for child in authorise:
            strategy.decision_authorise_s47(
                acting_user=chair, checker=checker, decision=made[child.pk], now=_later(decided_at, minutes=2)
            )
        if plan is not None:
            strategy.plan_save(acting_user=chair, checker=checker, answers=plan, version=None)
        for child, answers in child_plans:
            strategy.plan_save(acting_user=chair, checker=checker, answers=answers, version=None, child=child)
        if family is not None:
            # The family are told on the day of the meeting, by whoever the chair named.
            strategy.family_summary_save(
                acting_user=chair,
                checker=self.checker(CHAIR, discussion),
                data={"told_on": to_local(started).date(), **family},
                version=None,
                now=decided_at,
            )
        agreed = []
        for action in actions:
            data = {key: value for key, value in action.items() if key != "then"}
            made = strategy.discussion_action_add(
                acting_user=chair, checker=checker, data=data, now=self.agreed_at(discussion, minutes)
            )
            agreed.append((made, action.get("then", ())))
            self.counts["actions"] += 1
        if proceed:
            self.counts["actions"] += len(apologies)  # the automatic "obtain information" actions
        # What every discussion records whatever the outcome: the police decision, legal advice, protection.
        strategy.standing_save(
            acting_user=chair,
            checker=self.checker(CHAIR, discussion),
            data=standing[0],
            children={child.pk: data for child, data in standing[1].items()},
            version=None,
            now=decided_at,
        )
        ended_discussion = strategy.discussion_end(
            acting_user=chair, checker=self.checker(CHAIR, discussion), now=ended
        )
        # After the meeting, each action is worked by its lead (or the chair) as the days go by.
        for made, steps in agreed:
            for username, status, note, at in steps:
                self.work(made, username, status, note, at)
        return ended_discussion

    @staticmethod
    def agreed_at(discussion: Discussion, minutes: int = 45) -> dt.datetime:
        """When the actions of a discussion held at its scheduled time for `minutes` are agreed: near its end."""
        return _later(discussion.scheduled_at, minutes=minutes - 5)

    def work(self, action: Action, username: str, status: str, note: str, at: dt.datetime) -> Action:
        """Set an action's status as `username` would on the action's page, at `at` (before the seeding moment)."""
        user = self.users[username]
        return actions.action_set_status(
            acting_user=user,
            checker=get_action_for_user(user, action.pk)[1],
            status=status,
            note=note,
            now=self.past(at),
        )

    def action(
        self,
        what: str,
        measure: str,
        agency: Agency,
        days: int | None,
        child: Person | None = None,
        *,
        due_at: dt.datetime | None = None,
        then: Sequence[Step] = (),
    ) -> dict:
        """An action for the agency's demo user: due at the end of working day `days` after the seeding moment,
        or at `due_at` (an action agreed days ago may be due, or overdue, before it); `then`, its later steps."""
        return {
            "what": what,
            "measure": measure,
            "lead_agency": agency,
            "person": self.users[AGENCY_USERS[agency.name]],
            "child": child,
            "due_at": due_at if due_at is not None else self.due(days or 0),
            "then": then,
        }

    # The cases.

    def seed(self, cases: dict[str, Referral]) -> dict[str, int]:
        self.thornbury(cases["Thornbury"])
        self.brightwater(cases["Brightwater"])
        self.marchbank(cases["Marchbank"])
        self.ashdown(cases["Ashdown"])
        self.wren(cases["Wren"])
        self.penrose(cases["Penrose"])
        # Fenwick: its deadline passed with no discussion held. Caldwell: not yet convened (police not invited).
        return self.counts

    def _children(self, referral: Referral) -> list[Person]:
        return list(referral.people.filter(kind=PersonKind.CHILD, removed_at=None).order_by("position"))

    def thornbury(self, referral: Referral) -> None:
        """Held: a section 47 enquiry authorised for Mia, no further action for her half-sister Ella."""
        mia, ella = self._children(referral)
        received = referral.received_at
        discussion = self.convene(
            referral,
            [mia, ella],
            convened_at=_later(received, minutes=15),
            scheduled_at=_later(received, minutes=40),
            format=Format.VIRTUAL,
            reason="Unexplained bruising to both upper arms of a four-year-old; the explanation is inconsistent.",
            purpose="Decide whether to start a section 47 enquiry, and plan the medical and Mia's safe discharge.",
            invitations=[
                self.invite("police", self.police, "Police officer", "Core agency: always expected"),
                self.invite(
                    "paediatrician", self.health, "Paediatrician", "Medical implications: Mia Thornbury is in hospital"
                ),
                self.invite(
                    f"school-{ella.pk}", self.school, "Designated safeguarding lead", "Ella attends Demo Primary School"
                ),
            ],
        )
        # Held within the hour: its actions are on track; the school has done one, health and the school are on others.
        ended = _later(self.agreed_at(discussion, 50), minutes=5)
        self.hold(
            discussion,
            standing=(
                {
                    "police_decision": PoliceDecision.INVESTIGATE,
                    "police_decision_maker": "DS Pat Oduya",
                    "legal_advice_sought": True,
                    "legal_advice_outcome": "Legal gateway met if Mia's mother cannot keep her safe from Craig Pellow; "
                    "no application now while Mia is on the ward and her mother agrees to the safety plan.",
                    "protection": Protection.NONE,
                },
                {
                    mia: {
                        "abuse_nature": "Physical: bruising of different ages to both upper arms.",
                        "safe_discharge": "Not before the medical and the ABE interview; to her grandmother's if her "
                        "mother cannot keep Craig Pellow away; the ward tells the social worker before any discharge.",
                    },
                    ella: {
                        "cin_support": CinSupport.NOT_NEEDED,
                        "cin_support_reason": "Ella's father and school meet her needs; her school watches for change.",
                    },
                },
            ),
            information=[
                (
                    self.police,
                    "Craig Pellow was cautioned for assault in 2024; two domestic call-outs to his previous address.",
                    "Police national computer and local intelligence on Jade Thornbury and Craig Pellow",
                    Consent.NOT_SOUGHT,
                    True,
                ),
                (
                    self.health,
                    "Fingertip-pattern bruising of different ages to both upper arms; no medical cause found so far. "
                    "Mia is otherwise well and settled on the ward.",
                    "Hospital and GP records; child protection information sharing",
                    Consent.SOUGHT_GIVEN,
                    False,
                ),
                (
                    self.csc,
                    "Ella was a child in need in 2022 (parental separation), closed. An anonymous caller in 2025 said "
                    "Craig Pellow hit a previous partner's child.",
                    "Children's social care records",
                    Consent.NOT_APPLICABLE,
                    True,
                ),
                (
                    self.school,
                    "Ella attends well and there are no concerns; she stays with her mother some weekends.",
                    "School safeguarding and attendance records",
                    Consent.NOT_APPLICABLE,
                    False,
                ),
            ],
            risk=[
                (
                    mia,
                    {
                        "worry": "Further physical abuse of Mia by an adult in the household.",
                        "impact": "Injury, fear, and harm to Mia's development and sense of safety at home.",
                        "factors": "More likely: Craig Pellow's history of violence. Less likely: a protective "
                        "grandmother nearby, Mia's nursery attendance.",
                        "reduce": "A safe discharge plan, the medical, and an enquiry before Mia returns home.",
                        "level": RiskLevel.HIGH,
                    },
                ),
                (
                    ella,
                    {
                        "worry": "That Ella meets Craig Pellow on weekend stays with her mother.",
                        "impact": "Fear and physical harm, as for her younger half-sister.",
                        "factors": "Less likely: she lives with her father, and her school has no concerns.",
                        "reduce": "Weekend stays away from Craig Pellow while Mia's enquiry goes on; the school alert.",
                        "level": RiskLevel.LOW,
                    },
                ),
            ],
            risk_review="At the ABE planning meeting, within two working days.",
            decisions=[
                (
                    mia,
                    {
                        "s47": True,
                        "police_investigation": True,
                        "investigation_type": InvestigationType.JOINT,
                        "police_decision_maker": "DS Pat Oduya",
                        "reasoning": "Unexplained bruises of different ages, an inconsistent explanation and an adult "
                        "with a history of violence: reasonable cause to suspect significant harm.",
                    },
                ),
                (
                    ella,
                    {
                        "nfa": True,
                        "reasoning": "Ella lives with her father, has no contact with Craig Pellow and her school has "
                        "no concerns; Mia's enquiry will look again if that changes.",
                    },
                ),
            ],
            authorise=(mia,),
            plan=THORNBURY_PLAN,
            child_plans=[(ella, {"medical": ("", "Ella has no injuries reported and was not in the household.")})],
            family=THORNBURY_FAMILY,
            actions=[
                self.action(
                    "Arrange the joint ABE interview with the social worker; interview Craig Pellow afterwards",
                    "The interview date is agreed and recorded on the case",
                    self.police,
                    2,
                    mia,
                ),
                self.action(
                    "Send the child protection medical report to the social worker and the police",
                    "The report is on the case",
                    self.health,
                    3,
                    mia,
                ),
                self.action(
                    "See Mia on the ward and her mother at home; agree the safe discharge plan with the ward",
                    "The visits and the discharge plan are recorded and shared with the ward",
                    self.csc,
                    2,
                    mia,
                ),
                self.action(
                    "Share Ella's attendance and tell the social worker at once of anything she says about home",
                    "Attendance and any disclosure are recorded on the case",
                    self.school,
                    5,
                    ella,
                ),
                self.action(
                    "Ask Ella's form tutor and the school nurse whether Ella has said anything about home",
                    "Their answers are recorded on the case",
                    self.school,
                    1,
                    ella,
                    then=[
                        (
                            "dsl.demo",
                            ActionStatus.DONE,
                            "Both asked: Ella has said nothing of concern. Recorded on her safeguarding file.",
                            _later(ended, minutes=20),
                        )
                    ],
                ),
                self.action(
                    "Make sure Ella knows which adult at school she can talk to, and check in with her each week",
                    "Ella has met her trusted adult; the weekly check-ins are logged",
                    self.school,
                    3,
                    ella,
                    then=[("dsl.demo", ActionStatus.IN_PROGRESS, "", _later(ended, minutes=25))],
                ),
                self.action(
                    "Keep Mia on the ward until the safe discharge plan is agreed with the social worker",
                    "Mia is discharged only under the agreed plan",
                    self.health,
                    2,
                    mia,
                    then=[("health.demo", ActionStatus.IN_PROGRESS, "", _later(ended, minutes=15))],
                ),
            ],
            minutes=50,
        )
        self.approve_minutes(discussion)

    def approve_minutes(self, discussion: Discussion) -> None:
        """The chair approves the minutes (v1) once the actions' first updates are in; business support circulates.

        The GP, school nurse and nursery on the distribution list get invented addresses, so the
        minutes can be circulated from the browser at once.
        """
        discussion.refresh_from_db()
        chair = self.users[CHAIR]
        checker = get_minutes_for_user(chair, discussion.pk)[1]
        recipients = minutes_services.recipients(discussion)
        minutes_services.distribution_save(
            acting_user=self.users["admin.demo"],
            checker=get_minutes_for_user(self.users["admin.demo"], discussion.pk)[1],
            emails={r.pk: f"minutes{n}@example.invalid" for n, r in enumerate(recipients, start=1) if not r.user_id},
        )
        if minutes_record.family_document(minutes_services.live_snapshot(discussion, now=self.now)):
            # The family get the family summary (never the minutes): the chair adds the parent and chooses it.
            minutes_services.recipient_add(
                acting_user=chair,
                checker=checker,
                data=minutes_services.RecipientInput(
                    name="Jade Thornbury",
                    role="Mother",
                    organisation="",
                    email="family1@example.invalid",
                    family=True,
                    sends=Sends.SUMMARY,
                ),
            )
        assert discussion.ended_at is not None  # noqa: S101 (held just now)
        approved_at = min(_later(discussion.ended_at, minutes=40), self.now)
        version = minutes_services.minutes_approve(acting_user=chair, checker=checker, now=approved_at)
        minutes_services.documents_ensure(version)

    def brightwater(self, referral: Referral) -> None:
        """Upcoming: convened, to be held on the next working day; police, health and the school invited."""
        leo, ava = self._children(referral)
        self.convene(
            referral,
            [leo, ava],
            convened_at=_later(referral.received_at, hours=2),
            scheduled_at=self.working_day(1, 10),
            format=Format.VIRTUAL,
            reason="Leo and Ava repeatedly arrive at school hungry and unkempt; Ava said no adult was home overnight.",
            purpose="Share what each agency knows and decide whether a section 47 enquiry is needed.",
            invitations=[
                self.invite("police", self.police, "Police officer", "Core agency: always expected"),
                self.invite("health", self.health, "Health practitioner", "Core agency: always expected"),
                self.invite(f"school-{leo.pk}", self.school, "Designated safeguarding lead", "They made the referral"),
            ],
        )

    def ashdown(self, referral: Referral) -> None:
        """Complex abuse (a football coach): police and health invited; the schools not yet, with the reason."""
        children = self._children(referral)
        convened = _later(referral.received_at, hours=3)
        others = referral.people.exclude(kind__in=[PersonKind.CHILD, PersonKind.HOUSEHOLD])
        proposed = rules.proposals(
            children=children,
            others=others,
            concerns=referral.concerns.values_list("code", flat=True),
            referrer_agency_type=AgencyType.CHILDRENS_SOCIAL_CARE,
            today=to_local(convened).date(),
        )
        declined = [
            {
                "agency": self.school,
                "role": proposal.role,
                "proposal": proposal.key,
                "reason": proposal.reason,
                "decline_reason": "Not at this stage: the police ask that no school is told before the investigation "
                "strategy is agreed; the designated officer will brief the schools afterwards.",
            }
            for proposal in proposed
            if proposal.agency_type == AgencyType.EDUCATION
        ]
        self.convene(
            referral,
            children,
            convened_at=convened,
            scheduled_at=self.working_day(1, 14),
            format=Format.FACE_TO_FACE,
            reason="A youth football coach is alleged to have sent sexualised messages to several players.",
            purpose="Agree the investigation strategy, how other players are identified, and the LADO's part.",
            invitations=[
                self.invite("police", self.police, "Police officer", "Core agency: always expected"),
                self.invite("health", self.health, "Health practitioner", "Core agency: always expected"),
            ],
            declined=declined,
        )

    def marchbank(self, referral: Referral) -> None:
        """Held without health (apologies): proceeding recorded, with the automatic action to get its information."""
        (kai,) = self._children(referral)
        received = referral.received_at
        discussion = self.convene(
            referral,
            [kai],
            convened_at=_later(received, hours=1),
            scheduled_at=_later(received, hours=3),
            format=Format.TELEPHONE,
            reason="Kai was found at an address linked to county lines; police protection was used overnight.",
            purpose="Agree where Kai stays when police protection ends, and the investigation.",
            invitations=[
                self.invite("police", self.police, "Police officer", "Core agency: always expected"),
                self.invite("health", self.health, "Health practitioner", "Core agency: always expected"),
            ],
        )
        # Held last night (about 16 hours before the seeding moment): police have done one action on time, and
        # one is overdue though in progress.
        agreed = self.agreed_at(discussion)
        self.hold(
            discussion,
            standing=(
                {
                    "police_decision": PoliceDecision.INVESTIGATE,
                    "police_decision_maker": "DS Pat Oduya",
                    "police_only_first": True,
                    "police_only_note": "Held at 20:30 between the police and the duty social worker: the police "
                    "asked to plan the disruption of the address before health joined.",
                    "legal_advice_sought": False,
                    "protection": Protection.POLICE_PROTECTION,
                    "protection_details": "Police protection from the night of the referral; ends within 72 hours.",
                },
                {kai: {"abuse_nature": "Criminal exploitation by a county lines network."}},
            ),
            apologies=(self.health,),
            proceed=(
                "Delay would increase the risk: police protection ends within 72 hours and where Kai lives has to be "
                "agreed today.",
                "Same day: Kai is under police protection.",
            ),
            information=[
                (
                    self.police,
                    "The address is linked to a county lines network under investigation; two adults were arrested.",
                    "Police national computer and intelligence on the address",
                    Consent.NOT_SOUGHT,
                    True,
                ),
                (
                    self.csc,
                    "Kai's aunt has agreed to care for him; his mother agrees. Not previously known to CSC.",
                    "Children's social care records",
                    Consent.NOT_APPLICABLE,
                    False,
                ),
            ],
            risk=[
                (
                    kai,
                    {
                        "worry": "Kai is exploited again and harmed by the network.",
                        "impact": "Violence, arrest, missed education and debt bondage.",
                        "factors": "More likely: contact with the network's phone. "
                        "Less likely: his aunt's supervision.",
                        "reduce": "A safety plan, disruption of the address and a trusted adult for Kai.",
                        "level": RiskLevel.MEDIUM,
                    },
                ),
            ],
            risk_review="In two weeks, or at once if Kai goes missing.",
            decisions=[
                (
                    kai,
                    {
                        "s17": True,
                        "police_investigation": True,
                        "investigation_type": InvestigationType.POLICE,
                        "police_decision_maker": "DS Pat Oduya",
                        "reasoning": "The harm is from outside the family and his family protect him: a child in "
                        "need assessment with a contextual safeguarding focus; police investigate the network.",
                    },
                )
            ],
            actions=[
                self.action(
                    "Complete an exploitation screening interview with Kai",
                    "The interview is recorded and shared with the social worker",
                    self.police,
                    2,
                    kai,
                ),
                self.action(
                    "Start the child in need assessment and visit Kai at his aunt's",
                    "The visit and the safety plan are recorded on the case",
                    self.csc,
                    3,
                    kai,
                ),
                self.action(
                    "Make a National Referral Mechanism referral for Kai as a possible victim of exploitation",
                    "The referral is made and its reference recorded on the case",
                    self.police,
                    2,
                    kai,
                    then=[
                        (
                            "police.demo",
                            ActionStatus.DONE,
                            "Referral made to the Single Competent Authority; its reference is on the police record.",
                            _later(agreed, hours=14),
                        )
                    ],
                ),
                self.action(
                    "Serve a child abduction warning notice on the adult who let Kai stay at the address",
                    "The notice is served and recorded",
                    self.police,
                    None,
                    kai,
                    due_at=_hour(_later(agreed, hours=14)),
                    then=[("police.demo", ActionStatus.IN_PROGRESS, "", _later(agreed, hours=1))],
                ),
                self.action(
                    "Agree a safety plan with Kai and his aunt, including what to do if he goes missing",
                    "The safety plan is signed by Kai and his aunt and recorded on the case",
                    self.csc,
                    2,
                    kai,
                    then=[("sw.demo", ActionStatus.IN_PROGRESS, "", _later(agreed, hours=15))],
                ),
            ],
        )

    def wren(self, referral: Referral) -> None:
        """Held for an injured non-mobile infant: a section 47 enquiry, after the medical."""
        (jacob,) = self._children(referral)
        received = referral.received_at
        discussion = self.convene(
            referral,
            [jacob],
            convened_at=_later(received, hours=1),
            scheduled_at=_later(received, hours=5),
            format=Format.VIRTUAL,
            reason="A bruise to the cheek of a three-month-old baby who is not yet mobile.",
            purpose="Share the medical findings and decide on a section 47 enquiry.",
            invitations=[
                self.invite("police", self.police, "Police officer", "Core agency: always expected"),
                self.invite(
                    "paediatrician", self.health, "Paediatrician", "Medical implications: Jacob Wren is an infant"
                ),
            ],
        )
        # The chair asked Jacob's GP practice (outside the partnership) before the meeting; no answer yet, so the
        # request fell due when the meeting was and is overdue (issue 31).
        ask_gp_before(users=self.users, discussion=discussion, at=self.past(_later(received, hours=2)))
        # Held nearly four days before the seeding moment: some actions were done (late), some are overdue,
        # some due soon, and one was cancelled.
        agreed = self.agreed_at(discussion)
        self.hold(
            discussion,
            standing=(
                {
                    "police_decision": PoliceDecision.INVESTIGATE,
                    "police_decision_maker": "DS Pat Oduya",
                    "legal_advice_sought": True,
                    "legal_advice_outcome": "Awaited: legal planning meeting once the skeletal survey is known.",
                    "protection": Protection.NONE,
                },
                {jacob: {"abuse_nature": "Physical: a bruise to the cheek of a non-mobile baby."}},
            ),
            information=[
                (
                    self.health,
                    "7 mm bruise to the left cheek; no bleeding disorder known. Skeletal survey and bloods booked.",
                    "Child protection medical; GP and health visiting records",
                    Consent.SOUGHT_GIVEN,
                    False,
                ),
                (
                    self.police,
                    "No police record for Megan Wren; Jacob's father is not yet named.",
                    "Police national computer",
                    Consent.NOT_SOUGHT,
                    False,
                ),
            ],
            risk=[
                (
                    jacob,
                    {
                        "worry": "An inflicted injury to a baby who cannot move away from harm.",
                        "impact": "Serious injury; babies are the most vulnerable to physical harm.",
                        "factors": "More likely: an unexplained bruise, carers not yet known. Less likely: mother "
                        "engaged with the health visitor.",
                        "reduce": "The skeletal survey, knowing who cares for Jacob, and a safety plan at home.",
                        "level": RiskLevel.HIGH,
                    },
                ),
            ],
            risk_review="When the skeletal survey results are known.",
            decisions=[
                (
                    jacob,
                    {
                        "s47": True,
                        "investigation_type": InvestigationType.JOINT,
                        "medical_done_at": _later(received, hours=3),
                        "reasoning": "Bruising to a non-mobile baby without an explanation: reasonable cause to "
                        "suspect significant harm.",
                    },
                )
            ],
            authorise=(jacob,),
            plan=WREN_PLAN,
            actions=[
                self.action(
                    "Send the skeletal survey results to the social worker and the police",
                    "The results are on the case",
                    self.health,
                    1,
                    jacob,
                ),
                self.action(
                    "Identify Jacob's father and anyone else who cares for him, and complete their checks",
                    "Names and checks are recorded on the case",
                    self.police,
                    3,
                    jacob,
                ),
                self.action(
                    "Visit the home with the social worker and check who lives at and visits the address",
                    "Everyone living at or visiting the address is named and checked on police systems",
                    self.police,
                    None,
                    jacob,
                    due_at=_hour(_later(agreed, days=2)),
                ),
                self.action(
                    "Take a statement from the health visitor who saw the bruise",
                    "The statement is on the police record and summarised on the case",
                    self.police,
                    None,
                    jacob,
                    due_at=_hour(_later(agreed, days=1)),
                    then=[
                        (
                            "police.demo",
                            ActionStatus.DONE,
                            "Statement taken at the health visitors' base; summary added to the case.",
                            _later(agreed, days=1, hours=20),
                        )
                    ],
                ),
                self.action(
                    "Speak to the neighbour who reported hearing Jacob cry for long periods overnight",
                    "The neighbour's account is recorded and shared with the social worker",
                    self.police,
                    None,
                    jacob,
                    due_at=_hour(_later(self.now, hours=8)),
                    then=[("police.demo", ActionStatus.IN_PROGRESS, "", _later(agreed, days=2))],
                ),
                self.action(
                    "Send the written child protection medical report to the social worker and the police",
                    "The report is on the case",
                    self.health,
                    None,
                    jacob,
                    due_at=_hour(_later(agreed, days=1)),
                    then=[
                        (
                            "health.demo",
                            ActionStatus.DONE,
                            "Report sent by secure email and added to the case.",
                            _later(agreed, days=2, hours=1),
                        )
                    ],
                ),
                self.action(
                    "Share the health visiting and GP records for Jacob and his mother",
                    "The records are summarised on the case",
                    self.health,
                    None,
                    jacob,
                    due_at=_hour(_later(agreed, days=3)),
                ),
                self.action(
                    "Agree a written safety plan with Megan Wren, including who may care for Jacob",
                    "The safety plan is signed and recorded on the case",
                    self.csc,
                    None,
                    jacob,
                    due_at=_hour(_later(agreed, days=2)),
                ),
                self.action(
                    "Hold a family network meeting to find who can support Megan Wren with Jacob's care",
                    "The meeting is held and its plan recorded on the case",
                    self.csc,
                    None,
                    jacob,
                    due_at=_hour(_later(self.now, hours=8)),
                    then=[("sw.demo", ActionStatus.IN_PROGRESS, "", _later(agreed, days=1))],
                ),
                self.action(
                    "Refer Megan Wren to the parenting support service",
                    "The referral is accepted by the service",
                    self.csc,
                    5,
                    jacob,
                    then=[
                        (
                            CHAIR,
                            ActionStatus.CANCELLED,
                            "The health visitor had already referred Megan Wren; the service has started.",
                            _later(agreed, days=1, hours=2),
                        )
                    ],
                ),
            ],
        )

        # After the meeting, the steps that meet the clocks it opened (DOMAIN section 3): the medical report
        # came with the action that sent it, the assessment was completed, and the conference held.
        self.step(referral, Rule.MEDICAL_REPORT, jacob, "health.demo", _later(agreed, days=2, hours=1))
        self.step(referral, Rule.ASSESSMENT, jacob, "sw.demo", _later(agreed, days=3))
        self.step(referral, Rule.ICPC, jacob, "sw.demo", _later(agreed, days=3, hours=4), outcome="plan")

    def step(
        self, referral: Referral, rule: Rule, child: Person, username: str, at: dt.datetime, outcome: str = ""
    ) -> None:
        """Record the step that meets a clock, on the day it happened, as that person does on the case page."""
        user = self.users[username]
        deadline = referral.deadlines.get(rule=rule, child=child, state="open")
        strategy_steps.deadline_step_record(
            acting_user=user,
            checker=ReferralChecker.for_user(user, referral),
            deadline=deadline,
            data={"on": to_local(self.past(at)).date(), "outcome": outcome},
            now=at,
        )

    def penrose(self, referral: Referral) -> None:
        """Held, then the case was closed: early help."""
        (isla,) = self._children(referral)
        received = referral.received_at
        discussion = self.convene(
            referral,
            [isla],
            convened_at=_later(received, days=1),
            scheduled_at=_later(received, days=2),
            format=Format.VIRTUAL,
            reason="Isla described frightening arguments at home.",
            purpose="Decide whether Isla is at risk of significant harm.",
            invitations=[
                self.invite("police", self.police, "Police officer", "Core agency: always expected"),
                self.invite("health", self.health, "Health practitioner", "Core agency: always expected"),
                self.invite("referrer", self.school, "Designated safeguarding lead", "They made the referral"),
            ],
        )
        self.hold(
            discussion,
            standing=(
                {
                    "police_decision": PoliceDecision.NO_INVESTIGATION,
                    "police_decision_reason": "No offence disclosed: arguments at home, no violence described.",
                    "police_decision_maker": "DS Pat Oduya",
                    "legal_advice_sought": False,
                    "protection": Protection.NONE,
                },
                {isla: {"abuse_nature": "Emotional: frightening arguments between the parents."}},
            ),
            information=[
                (
                    self.school,
                    "Isla is doing well at school; her parents came in together and accepted early help.",
                    "School safeguarding records",
                    Consent.SOUGHT_GIVEN,
                    False,
                ),
                (
                    self.police,
                    "No domestic incidents recorded at the address.",
                    "Police records",
                    Consent.NOT_SOUGHT,
                    False,
                ),
                (self.health, "No concerns from the GP or school nurse.", "GP records", Consent.SOUGHT_GIVEN, False),
            ],
            risk=[
                (
                    isla,
                    {
                        "worry": "Isla's emotional wellbeing if the arguments go on.",
                        "impact": "Anxiety and fear at home.",
                        "factors": "Less likely: both parents engaged and accept help.",
                        "reduce": "Early help with the family's consent.",
                        "level": RiskLevel.LOW,
                    },
                ),
            ],
            risk_review="By the early help worker in six weeks.",
            decisions=[
                (
                    isla,
                    {
                        "early_help": True,
                        "reasoning": "No evidence of significant harm; the parents accept early help.",
                    },
                )
            ],
            minutes=30,
        )
        # The chair approved the minutes, but they were not circulated before the case closed: the duty runs on.
        self.approve_minutes(discussion)


def parse_now(value: str) -> dt.datetime:
    """`--now` as an aware moment; without an offset it is London local time."""
    moment = parse_datetime(value)
    if moment is None:
        raise CommandError(f"--now must be an ISO 8601 date and time, for example 2026-11-24T12:00, not {value!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=LONDON)


class Command(BaseCommand):
    help = "Load invented demo data (idempotent). Refused when DEBUG is off."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now",
            help="The moment the demo's times count from (ISO 8601; default: now). Tests pass their frozen clock.",
        )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo loads users with a published password: it runs only with DEBUG on.")
        now = parse_now(options["now"]) if options.get("now") else timezone.now()
        with transaction.atomic():
            ensure_reference_rows()
            agencies = self._agencies()
            users = self._users(agencies)
            created, counts = self._referral_rows(agencies, users, now)
            past = demo_facts_replace(partnership=agencies["Demo Children's Social Care"].partnership, now=now)
        # The timeliness report at once: the demo cases' own facts (from the history tables, as the task reads
        # them), then every month of the last year counted from its facts, invented and real.
        report_refresh(now=now)
        report_rebuild_recent(now=now, months=MONTHS + 1)
        self.stdout.write(f"demo data ready: {len(users)} users, {created} referrals created")
        self.stdout.write(f"{counts['discussions']} strategy discussions, {counts['actions']} actions created")
        if options["verbosity"] > 1:
            self.stdout.write(f"{past} report facts invented for the last {MONTHS} months and this one")

    def _agencies(self) -> dict[str, Agency]:
        partnerships = {name: Partnership.objects.get_or_create(name=name)[0] for name in (PARTNERSHIP, NEIGHBOUR)}
        agencies = {}
        for partnership, name, agency_type in AGENCIES:
            agencies[name], _ = Agency.objects.get_or_create(
                partnership=partnerships[partnership], name=name, defaults={"agency_type": agency_type}
            )
        return agencies

    def _users(self, agencies: dict[str, Agency]) -> dict[str, User]:
        users = {}
        for username, first, last, agency, roles, title in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "agency": agencies[agency],
                    "job_title": title,
                    "is_demo": True,  # production refuses to run while it is active (agencies/checks.py)
                },
            )
            if not user.is_demo:  # made before the flag
                user.is_demo = True
                user.save(update_fields=["is_demo"])
            if created:
                user.set_password(settings.DEMO_PASSWORD)
                user.email = f"{username}@example.invalid"
                user.save()
            user.roles.set(Role.objects.filter(code__in=roles))
            user_agency_group_sync(user)
            users[username] = user
        for username, manager in LINE_MANAGERS.items():
            if users[username].line_manager_id is None:
                users[username].line_manager = users[manager]
                users[username].save()
        admin = users["admin.demo"]
        if not admin.is_staff:
            admin.is_staff = True
            admin.save()
        admin.user_permissions.set(
            Permission.objects.filter(
                content_type__app_label="agencies", content_type__model__in=ADMIN_PERMISSION_MODELS
            )
        )
        # Those who must use two-factor sign-in get an authenticator with one known, invented key (README;
        # `manage.py demo_code` prints its current code). The demo data, and so this key, exist only with DEBUG on.
        for user in users.values():
            if two_factor.required(user) and two_factor.app_device(user) is None:
                TOTPDevice.objects.create(user=user, name=two_factor.APP_DEVICE, key=DEMO_TOTP_KEY, confirmed=True)
        return users

    def _referral_rows(
        self, agencies: dict[str, Agency], users: dict[str, User], now: dt.datetime
    ) -> tuple[int, dict[str, int]]:
        """The referrals, then the strategy discussions held or planned on them; nothing if already seeded."""
        partnership = agencies["Demo Children's Social Care"].partnership
        if Referral.objects.filter(partnership=partnership).exists():
            return 0, {"discussions": 0, "actions": 0}
        social_worker = users["sw.demo"]
        rows = _referrals(now, agencies)
        cases: dict[str, Referral] = {}
        for row in rows:
            # Each is logged as it was received, so the rules' "now" is that moment (not the seeding moment).
            logged_at = row["received_at"] + dt.timedelta(minutes=5)
            referral = services.referral_create(
                acting_user=social_worker,
                data={
                    "received_at": row["received_at"],
                    "referrer_name": row["referrer_name"],
                    "referrer_agency": row["referrer_agency"],
                    "referrer_organisation": row.get("referrer_organisation", ""),
                    "referrer_contact": "01632 960000",
                    "urgency": row["urgency"],
                    "immediate_action_taken": "immediate_action_agency" in row,
                    "immediate_action_agency": row.get("immediate_action_agency"),
                    "immediate_action_details": row.get("immediate_action_details", ""),
                    "concern_summary": row["summary"],
                    "non_mobile_infant_injury": row.get("non_mobile_infant_injury"),
                },
                concerns=row["concerns"],
                children=row["children"],
                household=row["household"],
                others=row.get("others", []),
                now=logged_at,
            )
            cases[row["children"][0]["last_name"]] = referral
        counts = DemoDiscussions(agencies=agencies, users=users, now=now).seed(cases)
        for row in rows:
            # Closed (and reopened) by the team manager, through the one service each, as the case page does.
            referral = cases[row["children"][0]["last_name"]]
            if "closure" in row:
                outcome, reason, after = row["closure"]
                referral = strategy.case_close(
                    acting_user=users["tm.demo"],
                    referral=referral,
                    outcome=outcome,
                    reason=reason,
                    now=row["received_at"] + after,
                )
            if "reopen" in row:
                reason, before = row["reopen"]
                strategy.case_reopen(acting_user=users["tm.demo"], referral=referral, reason=reason, now=now - before)
        seed_disagreements(cases=cases, users=users, now=now)
        seed_contributions(cases=cases, users=users, now=now)
        return len(rows), counts
