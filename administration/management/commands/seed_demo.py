"""Invented demo data: a partnership, its agencies, one user per role, and referrals in different states.

Idempotent: run it as often as you like. No real person appears anywhere here.
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from agencies.models import Agency, AgencyType, Partnership, Role, RoleCode, User
from agencies.services import user_agency_group_sync
from core.timescales import LONDON
from referrals import services
from referrals.models import Concern, ConcernCategory, Referral, Urgency

PARTNERSHIP = "Demo Safeguarding Children Partnership"
NEIGHBOUR = "Neighbouring Safeguarding Children Partnership"

AGENCIES = [
    (PARTNERSHIP, "Demo Children's Social Care", AgencyType.CHILDRENS_SOCIAL_CARE),
    (PARTNERSHIP, "Demo Police", AgencyType.POLICE),
    (PARTNERSHIP, "Demo Health Trust", AgencyType.HEALTH),
    (PARTNERSHIP, "Demo Academy", AgencyType.EDUCATION),
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
    ("admin.demo", "Ada", "Min", "Demo Children's Social Care", [RoleCode.BUSINESS_SUPPORT], "Business support"),
    ("analyst.demo", "Ana", "Lyst", "Demo Children's Social Care", [RoleCode.PARTNERSHIP_ANALYST], "Analyst"),
    ("outsider.police", "Owen", "Sider", "Neighbouring Police", [RoleCode.POLICE_OFFICER], "Police constable"),
]

ADMIN_PERMISSION_MODELS = ("user", "agency", "partnership", "closureday")


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
                )
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
            "referrer_name": "Sol Hartley",
            "referrer_agency": agencies["Demo Academy"],
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
                    education_setting="Demo Academy",
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
                    education_setting="Demo Academy",
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
                _child("Theo", "Okonjo", years(13), relationship="Subject child (different family)"),
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
            "held_after": dt.timedelta(hours=5),
        },
        {
            "received_at": now - dt.timedelta(days=21),
            "referrer_name": "Sol Hartley",
            "referrer_agency": agencies["Demo Academy"],
            "concerns": ["emotional"],
            "urgency": Urgency.STANDARD,
            "summary": "Pupil described frightening arguments at home; parents engaged with early help.",
            "children": [_child("Isla", "Penrose", years(10), relationship="Subject child")],
            "household": [],
            "held_after": dt.timedelta(days=2),
            "closed": True,
        },
    ]


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
            created = self._referral_rows(agencies, users, now)
        self.stdout.write(f"demo data ready: {len(users)} users, {created} referrals created")

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
                defaults={"first_name": first, "last_name": last, "agency": agencies[agency], "job_title": title},
            )
            if created:
                user.set_password(settings.DEMO_PASSWORD)
                user.email = f"{username}@example.invalid"
                user.save()
            user.roles.set(Role.objects.filter(code__in=roles))
            user_agency_group_sync(user)
            users[username] = user
        # Who is told when someone's deadline is overdue: a social worker's team manager.
        for username in ("sw.demo", "admin.demo"):
            if users[username].line_manager_id is None:
                users[username].line_manager = users["tm.demo"]
                users[username].save()
        if users["tm.demo"].line_manager_id is None:
            users["tm.demo"].line_manager = users["hos.demo"]
            users["tm.demo"].save()
        admin = users["admin.demo"]
        if not admin.is_staff:
            admin.is_staff = True
            admin.save()
        admin.user_permissions.set(
            Permission.objects.filter(
                content_type__app_label="agencies", content_type__model__in=ADMIN_PERMISSION_MODELS
            )
        )
        return users

    def _referral_rows(self, agencies: dict[str, Agency], users: dict[str, User], now: dt.datetime) -> int:
        partnership = agencies["Demo Children's Social Care"].partnership
        if Referral.objects.filter(partnership=partnership).exists():
            return 0
        social_worker = users["sw.demo"]
        rows = _referrals(now, agencies)
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
            if "held_after" in row:
                services.referral_record_discussion_held(
                    acting_user=users["tm.demo"], referral=referral, held_at=row["received_at"] + row["held_after"]
                )
            if row.get("closed"):
                services.referral_close(
                    acting_user=users["tm.demo"], referral=referral, now=row["received_at"] + dt.timedelta(days=3)
                )
        return len(rows)
