"""Pure rules of the strategy discussion record (DOMAIN section 4): who to invite, and whether it is quorate.

No ORM queries here: the services pass in what they loaded, so the rules are tested on plain objects.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from agencies.models import CORE_AGENCY_TYPES, AgencyType
from referrals.models import ConcernCategory, EducationStatus, Person, PersonKind
from strategy.models import Attendance

# Concerns a specialist service knows best (FGM clinic, exploitation or harmful sexual behaviour team).
SPECIALIST_CONCERNS = {
    ConcernCategory.FGM,
    ConcernCategory.HONOUR_BASED,
    ConcernCategory.CSE,
    ConcernCategory.CCE,
    ConcernCategory.EXTRA_FAMILIAL,
    ConcernCategory.CHILD_ON_CHILD,
}
LADO_HINTS = ("lado", "designated officer")
ADULT_SERVICES_HINTS = ("adult",)

MEDICAL_CONCERNS = {
    ConcernCategory.PHYSICAL,
    ConcernCategory.SEXUAL,
    ConcernCategory.FII,
    ConcernCategory.FGM,
    ConcernCategory.NON_MOBILE_INJURY,
}


@dataclass(frozen=True)
class Proposal:
    """An invitee the system proposes, with the reason shown (DOMAIN section 4, who is expected)."""

    key: str
    agency_type: str
    role: str
    reason: str
    core: bool = False
    setting: str = ""  # the child's school, nursery or college as recorded on the referral (free text)
    # Words to find the agency by name when no agency type says what it is (the LADO, adult services).
    name_hints: tuple[str, ...] = ()
    # The one agency this invitee is (the child's setting matched by name, the referrer); None: any of its type.
    agency_id: int | None = None
    # A particular agency that none of the partnership's matches (or not recorded): the user chooses, nothing ticked.
    unmatched: bool = False

    def matches(self, agency) -> bool:
        """Whether `agency` (any object with name and agency_type) can be this invitee."""
        if self.name_hints:
            return any(hint in agency.name.lower() for hint in self.name_hints)
        return agency.agency_type == self.agency_type


def _under_one(child: Person, today: dt.date) -> bool:
    age = child.age_on(today)
    return age is not None and age < 1


def _school_age(child: Person, today: dt.date) -> bool:
    age = child.age_on(today)
    return age is not None and 2 <= age < 19


def _normal(name: str) -> str:
    return " ".join(name.casefold().split())


def _settings(
    children: Sequence[Person], agencies: Sequence, today: dt.date
) -> tuple[dict[str, Proposal], dict[int, str]]:
    """The school, nursery or college of each child on a roll (or of school age with nothing recorded), by key.

    A setting whose name is an education agency of the partnership proposes that agency, keyed by its id; one
    that matches none, or is not recorded, proposes no agency (the user chooses), keyed by the first child's id.
    Two children at one setting propose it once. Keys never hold free text, so they never outgrow their column.
    """
    education = {_normal(a.name): a for a in agencies if a.agency_type == AgencyType.EDUCATION}
    found: dict[str, Proposal] = {}
    by_name: dict[str, str] = {}
    of_child: dict[int, str] = {}  # the key of each child's setting, by the child's place in `children`
    for index, child in enumerate(children):
        if child.unborn or not (
            child.education_status == EducationStatus.ON_ROLL
            or (not child.education_status and _school_age(child, today))
        ):
            continue
        name = child.education_setting.strip()
        agency = education.get(_normal(name)) if name else None
        if agency is not None:
            key = f"school-agency-{agency.pk}"
        elif name and _normal(name) in by_name:
            key = by_name[_normal(name)]
        else:
            key = f"school-child-{child.pk or index}"
            if name:
                by_name[_normal(name)] = key
        of_child[index] = key
        reason = f"{child.full_name} attends {name or 'a school, nursery or college (not yet recorded)'}"
        if key in found:
            found[key] = _with_reason(found[key], reason)
        else:
            found[key] = Proposal(
                key,
                AgencyType.EDUCATION,
                "Designated safeguarding lead",
                reason,
                setting=name,
                agency_id=agency.pk if agency is not None else None,
                unmatched=agency is None,
            )
    return found, of_child


def proposals(
    *,
    children: Sequence[Person],
    others: Iterable[Person],
    concerns: Iterable[str],
    referrer_agency_type: str | None,
    today: dt.date,
    agencies: Sequence = (),
    referrer_agency_id: int | None = None,
) -> list[Proposal]:
    """Every invitee DOMAIN section 4 proposes for a discussion about `children`, core agencies first.

    `agencies`: the partnership's (any objects with pk, name and agency_type), to find each child's setting by
    name. The referring agency, when known by id, is proposed as itself: within the row of its own kind when
    police or health (one row for one agency), and never replaced by another agency of its type.
    """
    settings, setting_of = _settings(children, agencies, today)
    placed: set[str] = set()
    found = [
        Proposal("police", AgencyType.POLICE, "Police officer", "Core agency: always expected", core=True),
        Proposal("health", AgencyType.HEALTH, "Health practitioner", "Core agency: always expected", core=True),
    ]
    concerns = set(concerns)
    medical = sorted(concerns & MEDICAL_CONCERNS)
    names = {
        "hospital": [c for c in children if c.in_hospital],
        "infant": [c for c in children if c.not_yet_mobile or _under_one(c, today)],
    }
    if medical or names["hospital"] or names["infant"]:
        why = (
            "Medical implications: "
            + ", ".join(
                [ConcernCategory(code).label.lower() for code in medical]
                + [f"{c.full_name} is in hospital" for c in names["hospital"]]
                + [f"{c.full_name} is an infant" for c in names["infant"] if c not in names["hospital"]]
            )
            + "; a medical examination may be needed"
        )
        found.append(Proposal("paediatrician", AgencyType.HEALTH, "Paediatrician", why))
    for child in names["hospital"]:
        where = f" ({child.hospital})" if child.hospital else ""
        found.append(
            Proposal(
                f"consultant-{child.pk}",
                AgencyType.HEALTH,
                "Consultant and senior ward nurse",
                f"{child.full_name} is in hospital{where}",
            )
        )
    for index, child in enumerate(children):
        if child.unborn:
            found.append(
                Proposal(f"midwife-{child.pk}", AgencyType.HEALTH, "Midwife", f"{child.full_name} is not yet born")
            )
            continue
        if index in setting_of:
            # On a roll, or of school age with nothing recorded: their school, nursery or college.
            key = setting_of[index]
            if key not in placed:
                placed.add(key)
                found.append(settings[key])
        elif child.education_status in (EducationStatus.NOT_ON_ROLL, EducationStatus.HOME_EDUCATED):
            found.append(
                Proposal(
                    "education-officer",
                    AgencyType.EDUCATION,
                    "Education officer",
                    f"{child.full_name} is not on a school roll",
                )
            )
        if child.looked_after:
            where = f" ({child.placement})" if child.placement else ""
            found.append(
                Proposal(
                    f"carer-{child.pk}",
                    AgencyType.CARE_PROVIDER,
                    "Fostering or residential service, and the carer",
                    f"{child.full_name} is looked after{where}",
                )
            )
    if referrer_agency_type and referrer_agency_type != AgencyType.CHILDRENS_SOCIAL_CARE:
        found = _with_referrer(found, referrer_agency_type, referrer_agency_id)
    others = list(others)
    if any(p.kind == PersonKind.ALLEGED_ABUSER and not p.under_18 for p in others):
        found.append(
            Proposal(
                "probation",
                AgencyType.PROBATION,
                "Probation officer",
                "An adult alleged abuser: probation may know them",
            )
        )
    found += _household_proposals(others, concerns)
    return _merged(found)


def _household_proposals(others: list[Person], concerns: set[str]) -> list[Proposal]:
    """The LADO, housing, adult services and a specialist, when the household or the concern calls for them.

    The LADO (an agency named "LADO" or "designated officer", of any type) where an alleged abuser
    works with children or the concern is about a person in a position of trust; housing where the
    concern is neglect (the home's conditions); adult services (an agency named "adult ...") where an
    adult of the household has a disability or communication needs; a specialist service where the
    concern is FGM, honour-based abuse, exploitation, extra-familial harm or child-on-child abuse.
    """
    found = []
    workers = [p for p in others if p.kind == PersonKind.ALLEGED_ABUSER and p.works_with_children]
    if workers or ConcernCategory.POSITION_OF_TRUST in concerns:
        why = (
            ", ".join(p.full_name for p in workers) + " works with children"
            if workers
            else "An allegation against a person in a position of trust"
        )
        found.append(Proposal("lado", AgencyType.OTHER, "Designated officer (LADO)", why, name_hints=LADO_HINTS))
    if ConcernCategory.NEGLECT in concerns:
        found.append(
            Proposal(
                "housing", AgencyType.HOUSING, "Housing officer", "Neglect: housing may know the home's conditions"
            )
        )
    adults = [
        p
        for p in others
        if p.kind == PersonKind.HOUSEHOLD and not p.under_18 and (p.disability or p.communication_needs)
    ]
    if adults:
        found.append(
            Proposal(
                "adult-services",
                AgencyType.OTHER,
                "Adult social care",
                "; ".join(f"{p.full_name} has care or support needs" for p in adults),
                name_hints=ADULT_SERVICES_HINTS,
            )
        )
    special = sorted(concerns & SPECIALIST_CONCERNS)
    if special:
        found.append(
            Proposal(
                "specialist",
                AgencyType.SPECIALIST,
                "Specialist service",
                "Specialist knowledge of " + ", ".join(ConcernCategory(c).label.lower() for c in special),
            )
        )
    return found


def paediatrician_missing(invitations: Iterable, *, medical_needed: bool) -> bool:
    """Where a medical is needed the paediatrician is an expectation of its own: another health attendee
    does not meet it (DOMAIN section 4, who is expected). `invitations`: the active ones."""
    if not medical_needed:
        return False
    return not any(
        i.attendance == Attendance.ATTENDED and (i.proposal == "paediatrician" or "paediatric" in i.role.lower())
        for i in invitations
    )


def _with_reason(proposal: Proposal, reason: str) -> Proposal:
    return replace(proposal, reason=f"{proposal.reason}; {reason}")


def _with_referrer(found: list[Proposal], agency_type: str, agency_id: int | None) -> list[Proposal]:
    """The referring agency: added to the row already proposing it (its school, or the core row of its kind,
    which then proposes the referrer itself), else a row of its own."""
    why = "They made the referral"
    for index, proposal in enumerate(found):
        same = agency_id is not None and proposal.agency_id == agency_id
        core = proposal.core and proposal.agency_type == agency_type and proposal.agency_id is None
        if same or core:
            found[index] = replace(_with_reason(proposal, why.lower()), agency_id=agency_id or proposal.agency_id)
            return found
    return [*found, Proposal("referrer", agency_type, "Referrer", why, agency_id=agency_id)]


def _merged(found: list[Proposal]) -> list[Proposal]:
    """One proposal per invitee: two children in hospital propose the paediatrician once, with both reasons."""
    merged: dict[str, Proposal] = {}
    for proposal in found:
        merged[proposal.key] = (
            _with_reason(merged[proposal.key], proposal.reason) if proposal.key in merged else proposal
        )
    return list(merged.values())


@dataclass(frozen=True)
class Quoracy:
    quorate: bool
    missing: list[str]  # everyone expected and not attending, in words, for the warnings
    missing_agency_ids: list[int]  # invited agencies with nobody attending
    csc_missing: list[str]  # the chair or a CSC social worker: the discussion cannot go ahead without them
    missing_core_types: list[str]  # police or health with nobody attending (invited or not)
    missing_others: dict[int, str]  # other invited agencies (the school...) with nobody attending, by id


def quoracy_of(invitations: Iterable, *, chair_id: int) -> Quoracy:
    """Quoracy of a discussion's active invitations (each with its agency loaded)."""
    return quoracy(
        attendance=[
            (
                i.agency_id,
                i.agency.agency_type,
                i.agency.name,
                i.person_id == chair_id,
                i.attendance == Attendance.ATTENDED,
            )
            for i in invitations
        ]
    )


def quoracy(*, attendance: Iterable[tuple[int, str, str, bool, bool]]) -> Quoracy:
    """Quorate when the CSC chair and social worker, police and health each attended (DOMAIN section 4).

    `attendance`: one (agency id, agency type, agency name, is the chair, attended) per active invitee.
    Every other invited agency with nobody attending is a warning too (the school, for example).
    """
    rows = list(attendance)
    csc_missing: list[str] = []
    attended_agencies = {agency for agency, _t, _n, _c, attended in rows if attended}
    if not any(chair and attended for _a, _t, _n, chair, attended in rows):
        csc_missing.append("the chair (children's social care)")
    if not any(t == AgencyType.CHILDRENS_SOCIAL_CARE and not chair and attended for _a, t, _n, chair, attended in rows):
        csc_missing.append("a social worker (children's social care)")
    missing = list(csc_missing)
    missing_ids: list[int] = []
    missing_types: list[str] = []
    for core_type in CORE_AGENCY_TYPES[1:]:
        if not any(t == core_type and attended for _a, t, _n, _c, attended in rows):
            missing_types.append(core_type)
            missing.append(f"{AgencyType(core_type).label.lower()}")
            missing_ids.extend(sorted({a for a, t, _n, _c, _at in rows if t == core_type} - attended_agencies))
    others = {}
    for agency, agency_type, name, _c, _at in rows:
        if agency_type not in CORE_AGENCY_TYPES and agency not in attended_agencies:
            others[agency] = name
    missing.extend(others.values())
    missing_ids.extend(others)
    return Quoracy(
        quorate=not csc_missing and not missing_types,
        missing=missing,
        missing_agency_ids=missing_ids,
        csc_missing=csc_missing,
        missing_core_types=missing_types,
        missing_others=others,
    )
