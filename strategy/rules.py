"""Pure rules of the strategy discussion record (DOMAIN section 4): who to invite, whether it is quorate, and
what convening a discussion, the decisions for a child and what every discussion records must satisfy.

No ORM queries here: the services pass in what they loaded, so the rules are tested on plain objects.
"""

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from agencies.models import CORE_AGENCY_TYPES, AgencyType
from referrals import rules as referral_rules
from referrals.models import ConcernCategory, EducationStatus, Person, PersonKind
from strategy.models import DECISIONS, Attendance, CinSupport, PoliceDecision, Protection, Trigger

# Problems found by a check, by the field (or service key) they are about: empty when all is well.
Errors = dict[str, str]

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
# Dates a discussion records that must be today or in the past (the form says the same of a date past its bound).
IDENTIFIED_IN_FUTURE = "The date the concern was identified must be today or in the past"
MEDICAL_IN_FUTURE = "The date of the medical must be today or in the past"
LADO_INFORMED_IN_FUTURE = "The date the LADO was informed must be today or in the past"
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
        reason = f"{child.full_name} attends {name or 'a school, nursery or college'}"
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


@dataclass(frozen=True)
class Case:
    """What the invitee rules read: the children the discussion is about, the rest of the household, the concern."""

    children: Sequence[Person]
    others: Sequence[Person]
    concerns: frozenset[str]
    today: dt.date
    settings: dict[str, Proposal]  # each child's school, nursery or college, by key (see _settings)
    setting_of: dict[int, str]  # the key of each child's setting, by the child's place in `children`
    referrer_agency_type: str | None = None
    referrer_agency_id: int | None = None


# --- One rule per invitee (DOMAIN section 4, who is expected) ------------------------------------------------


def core_agencies(case: Case) -> list[Proposal]:
    """Police and health: always expected."""
    return [
        Proposal("police", AgencyType.POLICE, "Police officer", "Core agency: always expected", core=True),
        Proposal("health", AgencyType.HEALTH, "Health practitioner", "Core agency: always expected", core=True),
    ]


def _in_hospital(case: Case) -> list[Person]:
    return [c for c in case.children if c.in_hospital]


def paediatrician(case: Case) -> list[Proposal]:
    """A paediatrician where a medical examination may be needed: a medical concern, a child in hospital, an
    infant (under one, or not yet mobile)."""
    medical = sorted(case.concerns & MEDICAL_CONCERNS)
    hospital = _in_hospital(case)
    infants = [c for c in case.children if (c.not_yet_mobile or _under_one(c, case.today)) and c not in hospital]
    if not (medical or hospital or infants):
        return []
    why = (
        "Medical implications: "
        + ", ".join(
            [ConcernCategory(code).label.lower() for code in medical]
            + [f"{c.full_name} is in hospital" for c in hospital]
            + [f"{c.full_name} is an infant" for c in infants]
        )
        + "; a medical examination may be needed"
    )
    return [Proposal("paediatrician", AgencyType.HEALTH, "Paediatrician", why)]


def hospital_consultants(case: Case) -> list[Proposal]:
    """The consultant and senior ward nurse of each child in hospital."""
    return [
        Proposal(
            f"consultant-{child.pk}",
            AgencyType.HEALTH,
            "Consultant and senior ward nurse",
            f"{child.full_name} is in hospital" + (f" ({child.hospital})" if child.hospital else ""),
        )
        for child in _in_hospital(case)
    ]


def midwife(case: Case, index: int, child: Person) -> list[Proposal]:
    """The midwife of an unborn child."""
    if not child.unborn:
        return []
    return [Proposal(f"midwife-{child.pk}", AgencyType.HEALTH, "Midwife", f"{child.full_name} is not yet born")]


def child_setting(case: Case, index: int, child: Person) -> list[Proposal]:
    """The school, nursery or college of a child on a roll (or of school age with nothing recorded), proposed
    once for the children who share it."""
    key = case.setting_of.get(index)
    if child.unborn or key is None or min(i for i, k in case.setting_of.items() if k == key) != index:
        return []
    return [case.settings[key]]


def education_officer(case: Case, index: int, child: Person) -> list[Proposal]:
    """The education officer of a child not on a school roll, or educated at home."""
    if child.unborn or child.education_status not in (EducationStatus.NOT_ON_ROLL, EducationStatus.HOME_EDUCATED):
        return []
    return [
        Proposal(
            "education-officer", AgencyType.EDUCATION, "Education officer", f"{child.full_name} is not on a school roll"
        )
    ]


def carer(case: Case, index: int, child: Person) -> list[Proposal]:
    """The fostering or residential service, and the carer, of a looked-after child."""
    if child.unborn or not child.looked_after:
        return []
    where = f" ({child.placement})" if child.placement else ""
    return [
        Proposal(
            f"carer-{child.pk}",
            AgencyType.CARE_PROVIDER,
            "Fostering or residential service, and the carer",
            f"{child.full_name} is looked after{where}",
        )
    ]


# The rules about one child, in the order each child's invitees are proposed.
CHILD_RULES = (midwife, child_setting, education_officer, carer)


def each_child(case: Case) -> list[Proposal]:
    return [p for index, child in enumerate(case.children) for rule in CHILD_RULES for p in rule(case, index, child)]


def referrer(case: Case) -> list[Proposal]:
    """The referring agency (not CSC), when known. `proposals` folds it into an earlier row that already proposes
    it: its school, or the core row of its kind (which then proposes the referrer itself)."""
    if not case.referrer_agency_type or case.referrer_agency_type == AgencyType.CHILDRENS_SOCIAL_CARE:
        return []
    return [
        Proposal("referrer", case.referrer_agency_type, "Referrer", REFERRER_REASON, agency_id=case.referrer_agency_id)
    ]


def probation(case: Case) -> list[Proposal]:
    """Probation, where an alleged abuser is an adult: probation may know them."""
    if not any(p.kind == PersonKind.ALLEGED_ABUSER and not p.under_18 for p in case.others):
        return []
    return [
        Proposal(
            "probation", AgencyType.PROBATION, "Probation officer", "An adult alleged abuser: probation may know them"
        )
    ]


def lado(case: Case) -> list[Proposal]:
    """The LADO (an agency named "LADO" or "designated officer", of any type) where an alleged abuser works with
    children or the concern is about a person in a position of trust."""
    workers = [p for p in case.others if p.kind == PersonKind.ALLEGED_ABUSER and p.works_with_children]
    if not workers and ConcernCategory.POSITION_OF_TRUST not in case.concerns:
        return []
    why = (
        ", ".join(p.full_name for p in workers) + " works with children"
        if workers
        else "An allegation against a person in a position of trust"
    )
    return [Proposal("lado", AgencyType.OTHER, "Designated officer (LADO)", why, name_hints=LADO_HINTS)]


def housing(case: Case) -> list[Proposal]:
    """Housing where the concern is neglect (the home's conditions)."""
    if ConcernCategory.NEGLECT not in case.concerns:
        return []
    return [
        Proposal("housing", AgencyType.HOUSING, "Housing officer", "Neglect: housing may know the home's conditions")
    ]


def adult_services(case: Case) -> list[Proposal]:
    """Adult services (an agency named "adult ...") where an adult of the household has a disability or
    communication needs."""
    adults = [
        p
        for p in case.others
        if p.kind == PersonKind.HOUSEHOLD and not p.under_18 and (p.disability or p.communication_needs)
    ]
    if not adults:
        return []
    return [
        Proposal(
            "adult-services",
            AgencyType.OTHER,
            "Adult social care",
            "; ".join(f"{p.full_name} has care or support needs" for p in adults),
            name_hints=ADULT_SERVICES_HINTS,
        )
    ]


def specialist(case: Case) -> list[Proposal]:
    """A specialist service where the concern is FGM, honour-based abuse, exploitation, extra-familial harm or
    child-on-child abuse."""
    special = sorted(case.concerns & SPECIALIST_CONCERNS)
    if not special:
        return []
    return [
        Proposal(
            "specialist",
            AgencyType.SPECIALIST,
            "Specialist service",
            "Specialist knowledge of " + ", ".join(ConcernCategory(c).label.lower() for c in special),
        )
    ]


# Every invitee rule, in the order of the proposals (core agencies first). A new invitee is one function here.
INVITEE_RULES = (
    core_agencies,
    paediatrician,
    hospital_consultants,
    each_child,
    referrer,
    probation,
    lado,
    housing,
    adult_services,
    specialist,
)


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
    case = Case(
        children=children,
        others=list(others),
        concerns=frozenset(concerns),
        today=today,
        settings=settings,
        setting_of=setting_of,
        referrer_agency_type=referrer_agency_type,
        referrer_agency_id=referrer_agency_id,
    )
    return _merged(_referrer_folded([p for rule in INVITEE_RULES for p in rule(case)]))


@dataclass(frozen=True)
class ExternalProposal:
    """Someone outside the partnership worth asking for information (issue 31): no agency here, no account. The
    convene page proposes them, to invite from the meeting page once convened."""

    who: str
    reason: str


def _ours(name: str, agencies: Sequence, partnership_name: str) -> bool:
    """Whether an authority or practice named on the referral is one of the partnership's own (by name)."""
    wanted = _normal(name)
    return any(wanted in _normal(own) for own in [partnership_name, *(a.name for a in agencies)])


def external_contacts(
    children: Sequence[Person], *, agencies: Sequence = (), partnership_name: str = ""
) -> list[ExternalProposal]:
    """What the referral says of each child that points outside the partnership (DOMAIN section 4, issue 31): the
    placing authority of a looked-after child, the previous authority of a child new to the area, the GP of each
    child. One row per authority or practice, with every child's reason. None that is one of the partnership's."""
    found: dict[tuple[str, str], ExternalProposal] = {}

    def add(kind: str, who: str, reason: str) -> None:
        key = (kind, _normal(who))
        found[key] = (
            replace(found[key], reason=f"{found[key].reason}; {reason}")
            if key in found
            else ExternalProposal(who, reason)
        )

    for child in children:
        name = child.full_name or "Unborn baby"
        placing = child.responsible_authority.strip()
        if child.looked_after and placing and not _ours(placing, agencies, partnership_name):
            add("placing", f"Placing authority: {placing}", f"{name} is a looked-after child placed by them")
        previous = child.previous_authority.strip()
        if previous and not _ours(previous, agencies, partnership_name):
            add("previous", f"Previous authority: {previous}", f"{name} is new to the area and lived there before")
        gp = child.gp.strip()
        if gp and not _ours(gp, agencies, partnership_name):
            add("gp", f"GP practice: {gp}", f"{name}'s GP")
    return list(found.values())


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


REFERRER_REASON = "They made the referral"


def _referrer_folded(found: list[Proposal]) -> list[Proposal]:
    """The referrer's own row, folded into an earlier row already proposing it (the same agency, or the core row of
    its kind naming no agency, which then proposes the referrer itself); else left a row of its own."""
    at = next((i for i, p in enumerate(found) if p.key == "referrer"), None)
    if at is None:
        return found
    own = found[at]
    for index, proposal in enumerate(found[:at]):
        same = own.agency_id is not None and proposal.agency_id == own.agency_id
        core = proposal.core and proposal.agency_type == own.agency_type and proposal.agency_id is None
        if same or core:
            folded = replace(_with_reason(proposal, own.reason.lower()), agency_id=own.agency_id or proposal.agency_id)
            return [*found[:index], folded, *found[index + 1 : at], *found[at + 1 :]]
    return found


def with_agencies(found: list[Proposal], agencies: Sequence, *, role: str, reason: str) -> list[Proposal]:
    """`found`, proposing each of `agencies` too, for `reason` (a professional disagreement's parties, DOMAIN
    section 7): folded into a row already proposing it, or the core row of its kind naming no agency (which then
    proposes it), else a row of its own. Children's social care is always there (the chair and social worker)."""
    found = list(found)
    for agency in agencies:
        if agency.agency_type == AgencyType.CHILDRENS_SOCIAL_CARE:
            continue
        at = next(
            (
                i
                for i, p in enumerate(found)
                if p.agency_id == agency.pk
                or (p.core and p.agency_id is None and not p.name_hints and p.agency_type == agency.agency_type)
            ),
            None,
        )
        if at is None:
            found.append(
                Proposal(
                    key=f"party_{agency.pk}",
                    agency_type=agency.agency_type,
                    role=role,
                    reason=reason,
                    agency_id=agency.pk,
                )
            )
        else:
            found[at] = replace(_with_reason(found[at], reason.lower()), agency_id=agency.pk)
    return found


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


# --- Convening (DOMAIN sections 1 and 4) ----------------------------------------------------------------------


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def _text(data: Mapping[str, Any], key: str) -> str:
    return str(data.get(key) or "").strip()


def convene_chair(*, chair_allowed: bool) -> Errors:
    """The chair is a CSC team manager of the partnership (`chair_allowed`: the service's verdict on who chairs)."""
    return (
        {}
        if chair_allowed
        else {"chair": "The chair must be a team manager in children's social care of this partnership"}
    )


def convene_children(children: Sequence[Person], case_child_ids: Collection[int]) -> Errors:
    """At least one child, each a child of this case (not removed from it)."""
    if not children:
        return {"children": "Select the children the discussion is about"}
    if any(child.pk not in case_child_ids for child in children):
        return {"children": "Select only children of this case"}
    return {}


def convene_moments(data: Mapping[str, Any], *, now: dt.datetime) -> Errors:
    """The concern was identified (the clock counts from it) by now; the discussion is scheduled after it."""
    identified, scheduled = data.get("concern_identified_at"), data.get("scheduled_at")
    if identified is None:
        return {"concern_identified": "Enter the date and time the concern was identified"}
    errors: Errors = {}
    if _utc(identified) > _utc(now):
        errors["concern_identified"] = IDENTIFIED_IN_FUTURE
    if scheduled is not None and _utc(scheduled) < _utc(identified):
        errors["scheduled"] = "The date and time of the discussion must be after the concern was identified"
    return errors


def convene_urgency(data: Mapping[str, Any], concerns: Iterable[str], *, non_mobile_injury: bool | None) -> Errors:
    """A longer timescale than same day for a concern that calls for same day needs its reason (a child found
    missing has its own 24-hour rule instead)."""
    if data.get("trigger") == Trigger.MISSING:
        return {}
    return dict(
        referral_rules.check_urgency_against_concern(
            data.get("urgency"), _text(data, "urgency_reason"), concerns, non_mobile_injury=non_mobile_injury
        )
    )


def convene_reconvened(data: Mapping[str, Any], *, referral_id: int) -> Errors:
    """Reconvening follows a discussion of this case, with the rationale."""
    previous = data.get("reconvened_from")
    if previous is None:
        return {}
    errors: Errors = {}
    if previous.referral_id != referral_id:
        errors["reconvened_from"] = "Select a discussion of this case"
    if not _text(data, "reconvene_rationale"):
        errors["reconvene_rationale"] = "Give the rationale for reconvening"
    return errors


def convene_invitations(
    invitations: Sequence[Mapping[str, Any]], *, partnership_id: int, may_take_part: Callable[[Any, Any], bool]
) -> Errors:
    """Only agencies of the partnership, and named people who may take part for their agency (the last problem
    found is the one shown)."""
    errors: Errors = {}
    for row in invitations:
        agency, person = row["agency"], row.get("person")
        if agency.partnership_id != partnership_id:
            errors["invitations"] = "Invite only agencies of this partnership"
        if person is not None and not may_take_part(person, agency):
            errors["invitations"] = f"{person} is not a practitioner of {agency}"
    return errors


def convene_declined(declined: Sequence[Mapping[str, Any]]) -> Errors:
    """Each proposal not taken up says why, on its own row."""
    return {
        f"decline_{row['proposal']}": f"Give the reason for not inviting the {row['role'].lower()}"
        for row in declined
        if not _text(row, "decline_reason")
    }


def check_convene(
    *,
    data: Mapping[str, Any],
    children: Sequence[Person],
    case_child_ids: Collection[int],
    referral_id: int,
    partnership_id: int,
    concerns: Iterable[str],
    non_mobile_injury: bool | None,
    chair_allowed: bool,
    invitations: Sequence[Mapping[str, Any]] = (),
    declined: Sequence[Mapping[str, Any]] = (),
    may_take_part: Callable[[Any, Any], bool] = lambda person, agency: True,
    now: dt.datetime,
) -> Errors:
    """Every problem with convening a discussion as asked, at once (empty: it may be convened).

    `data` as `discussion_convene` takes it; the case as the service loaded it (`case_child_ids`: its children
    not removed; `concerns`: their codes); `chair_allowed` and `may_take_part`: the verdicts on people, which the
    service reads from their accounts.
    """
    return {
        **convene_chair(chair_allowed=chair_allowed),
        **convene_children(children, case_child_ids),
        **convene_moments(data, now=now),
        **convene_urgency(data, concerns, non_mobile_injury=non_mobile_injury),
        **convene_reconvened(data, referral_id=referral_id),
        **convene_invitations(invitations, partnership_id=partnership_id, may_take_part=may_take_part),
        **convene_declined(declined),
    }


# --- The decisions for one child (DOMAIN section 4) -----------------------------------------------------------


def decision_choice(data: Mapping[str, Any], *, child_name: str, enquiry_under_way: bool) -> Errors:
    """At least one decision; no further action alone; a conference after a section 47 enquiry; a new enquiry, or
    the one under way continuing, never both nor the wrong one."""
    chosen = [field for field in DECISIONS if data.get(field)]
    s47, continued = bool(data.get("s47")), bool(data.get("s47_continued"))
    problem = ""
    if not chosen:
        problem = f"Select at least one decision for {child_name}"
    if data.get("nfa") and len(chosen) > 1:
        problem = "No further action cannot be combined with another decision"
    if data.get("icpc") and not (s47 or continued):
        problem = "An initial child protection conference needs a section 47 enquiry first"
    if s47 and continued:
        problem = "Select a new section 47 enquiry or the one under way continuing, not both"
    elif s47 and enquiry_under_way:
        problem = (
            f"A section 47 enquiry is already under way for {child_name}: select that it continues "
            "(its conference clock runs on), not a new one"
        )
    elif continued and not enquiry_under_way:
        problem = f"No section 47 enquiry is under way for {child_name}: select a new section 47 enquiry"
    return {"decisions": problem} if problem else {}


def decision_reasoning(data: Mapping[str, Any], *, child_name: str) -> Errors:
    """Every decision gives its reasoning."""
    return {} if _text(data, "reasoning") else {"reasoning": f"Give the reasoning for the decision about {child_name}"}


def decision_investigation(data: Mapping[str, Any]) -> Errors:
    """An enquiry or a police investigation says its type; a police investigation names its decision maker."""
    errors: Errors = {}
    if (data.get("s47") or data.get("s47_continued") or data.get("police_investigation")) and not data.get(
        "investigation_type"
    ):
        errors["investigation_type"] = "Select the type of investigation"
    if data.get("police_investigation") and not _text(data, "police_decision_maker"):
        errors["police_decision_maker"] = "Name the police decision maker"
    return errors


def decision_reconvene(data: Mapping[str, Any], *, held_on: dt.date | None) -> Errors:
    """Reconvening gives a date after this discussion (`held_on`: the day it was held, if known) and the rationale."""
    if not data.get("reconvene"):
        return {}
    errors: Errors = {}
    reconvene_on = data.get("reconvene_on")
    if not reconvene_on:
        errors["reconvene_on"] = "Enter the date to reconvene"
    elif held_on is not None and reconvene_on <= held_on:
        errors["reconvene_on"] = "The date to reconvene must be after this discussion"
    if not _text(data, "reconvene_rationale"):
        errors["reconvene_rationale"] = "Give the rationale for reconvening"
    return errors


def decision_medical(data: Mapping[str, Any], *, now: dt.datetime) -> Errors:
    """A child protection medical is recorded once done: today or in the past."""
    medical = data.get("medical_done_at")
    if medical is not None and _utc(medical) > _utc(now):
        return {"medical_done": MEDICAL_IN_FUTURE}
    return {}


def check_decision(
    *, data: Mapping[str, Any], child_name: str, enquiry_under_way: bool, held_on: dt.date | None, now: dt.datetime
) -> Errors:
    """Every problem with the decisions for one child, at once (empty: they may be recorded).

    `enquiry_under_way`: a section 47 enquiry is already under way for the child on this case (its conference
    clock open); `held_on`: the local day the discussion was held, when it has been.
    """
    return {
        **decision_choice(data, child_name=child_name, enquiry_under_way=enquiry_under_way),
        **decision_reasoning(data, child_name=child_name),
        **decision_investigation(data),
        **decision_reconvene(data, held_on=held_on),
        **decision_medical(data, now=now),
    }


# --- What every discussion records whatever the outcome (DOMAIN sections 1.3 and 4) ----------------------------


def standing_police(data: Mapping[str, Any]) -> Errors:
    """The police decision on a criminal investigation: a known one, its reason when there is none, its maker; a
    police-only discussion held first says when and why."""
    errors: Errors = {}
    decision = data.get("police_decision") or ""
    if decision and decision not in PoliceDecision.values:
        errors["police_decision"] = "Select the police decision on a criminal investigation"
    if decision == PoliceDecision.NO_INVESTIGATION and not _text(data, "police_decision_reason"):
        errors["police_decision_reason"] = "Give the reason there is no criminal investigation"
    if decision and not _text(data, "police_decision_maker"):
        errors["police_decision_maker"] = "Name the police decision maker"
    if data.get("police_only_first") and not _text(data, "police_only_note"):
        errors["police_only_note"] = "Say when the police-only discussion was held and why the police asked for it"
    return errors


def standing_lado(data: Mapping[str, Any], *, today: dt.date) -> Errors:
    """The LADO informed: by whom and on what day (not after today); not informed: why."""
    informed = data.get("lado_informed")
    if informed is False and not _text(data, "lado_not_informed_reason"):
        return {"lado_not_informed_reason": "Give the reason the LADO has not been informed"}
    if not informed:
        return {}
    errors: Errors = {}
    if not _text(data, "lado_informed_who"):
        errors["lado_informed_who"] = "Say who informed the LADO"
    informed_on = data.get("lado_informed_on")
    if informed_on is None:
        errors["lado_informed_on"] = "Enter the date the LADO was informed"
    elif informed_on > today:
        errors["lado_informed_on"] = LADO_INFORMED_IN_FUTURE
    return errors


def standing_legal_and_protection(data: Mapping[str, Any]) -> Errors:
    """Legal advice sought gives its outcome; protection in place is a known kind, with its details."""
    errors: Errors = {}
    if data.get("legal_advice_sought") and not _text(data, "legal_advice_outcome"):
        errors["legal_advice_outcome"] = "Give the outcome of the legal advice, or say it is awaited"
    protection = data.get("protection") or ""
    if protection and protection not in Protection.values:
        errors["protection"] = "Select whether police protection or an emergency protection order is in place"
    if protection not in ("", Protection.NONE) and not _text(data, "protection_details"):
        errors["protection_details"] = "Give the details of the protection in place: when, and by whom"
    return errors


def standing_child(child: Person, given: Mapping[str, Any]) -> Errors:
    """For one child: a safe discharge only when in hospital; child in need support, a known answer with what was
    considered and why."""
    errors: Errors = {}
    if _text(given, "safe_discharge") and not child.in_hospital:
        errors[f"child_{child.pk}_safe_discharge"] = f"{child.full_name} is not recorded as in hospital"
    cin = given.get("cin_support") or ""
    if cin and cin not in CinSupport.values:
        errors[f"child_{child.pk}_cin_support"] = "Select whether child in need support is offered"
    if cin and not _text(given, "cin_support_reason"):
        errors[f"child_{child.pk}_cin_support_reason"] = (
            f"Say what child in need support was considered for {child.full_name}, and why"
        )
    return errors


def check_standing(
    *,
    data: Mapping[str, Any],
    children: Mapping[int, Mapping[str, Any]],
    about: Mapping[int, Person],
    today: dt.date,
) -> Errors:
    """Every problem with what every discussion records, at once. What is not yet known may be left blank; what is
    given must be complete. `children`: what is given for each child, by id; `about`: the discussion's children."""
    errors = {**standing_police(data), **standing_lado(data, today=today), **standing_legal_and_protection(data)}
    for pk, given in children.items():
        child = about.get(pk)
        if child is None:
            errors["children"] = "This discussion is not about that child"
        else:
            errors.update(standing_child(child, given))
    return errors
