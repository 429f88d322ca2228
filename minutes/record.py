"""The minutes' content: the discussion record as plain data, in the order of DOMAIN section 6.

`snapshot(discussion, now=...)` reads the record (a fixed number of queries) into JSON-ready
data, dates already in words in UK time: an approved version stores it, and its PDFs are
rendered from it, never from the live record. `changed_sections` compares two snapshots
section by section. `family_document` is all the family's document is built from: the family
summary section and the details the chair ticked, nothing else of the record.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

from actions import services as actions_services
from actions.models import ActionStatus
from contributions.selectors import minutes_contributions
from core.presenters import RULE_NAMES
from core.timescales import DISAGREEMENT_RULES, Rule, to_local
from referrals.models import DeadlineState, PersonKind
from strategy import rules
from strategy.models import (
    CHILD_RISK_QUESTIONS,
    DECISIONS,
    PLAN_ITEMS,
    RETIRED_PLAN_ITEMS,
    RISK_LEVEL_HINTS,
    RISK_QUESTIONS,
    ChildRisk,
    Discussion,
    FamilySummary,
    Invitation,
    InvitationStatus,
)

ACTION_STATUSES = dict(ActionStatus.choices)
# Every section of DOMAIN section 6, in order: (key, heading).
SECTIONS = [
    ("people", "Children and household"),
    ("reason", "Reason for the discussion"),
    ("attendance", "Attendance"),
    ("quoracy", "Quoracy"),
    ("information", "Information shared by agency"),
    ("risk", "Risk analysis"),
    ("decisions", "Decisions for each child"),
    ("plan", "Enquiry plan"),
    ("family", "What the family is told"),
    ("actions", "Action plan"),
    ("deadlines", "Deadlines of the case"),
    ("next_meeting", "Next meeting"),
    ("distribution", "Distribution list"),
]
HEADINGS = dict(SECTIONS)
# The deadlines are shown as they stood at approval: a clock met or stopped later does not make a version out of
# date, so they are never compared (DOMAIN section 6).
UNCOMPARED = {"deadlines"}
# Nothing decided: nothing is shared (the default). Also what a version approved before the section existed had.
FAMILY_UNDECIDED: dict[str, Any] = {"decided": False, "shares": False}
# Parts shown inside a section of DOMAIN section 6 (under its heading): a change to one changes that section.
SUBSECTIONS = {"standing": "decisions", "disagreement": "reason", "contributions": "information"}
HEADINGS["standing"] = "Recorded whatever the outcome"
HEADINGS["contributions"] = "Written contributions"

# Parts of the minutes that the apps above add, under a section of DOMAIN section 6 (SUBSECTIONS): key -> the dotted
# name of the function building it from the discussion (None: not part of these minutes). minutes never imports
# them: each app registers its builder in its ready(), and only what is listed here may register. The one list.
REGISTERED_PARTS: dict[str, str] = {
    # A stage-3 discussion's minutes include the disagreement it was convened to resolve, and its result (issue 30).
    "disagreement": "disputes.record.minutes_part",
}
HEADINGS["disagreement"] = "Professional disagreement"
_part_builders: dict[str, Callable[..., dict[str, Any] | None]] = {}


def minutes_part_register(key: str, builder: Callable[..., dict[str, Any] | None]) -> None:
    """Called from an app's ready(): refuses a builder REGISTERED_PARTS does not name for `key`."""
    name = f"{builder.__module__}.{builder.__qualname__}"
    if REGISTERED_PARTS.get(key) != name:
        raise LookupError(f"{name} is not listed for {key!r} in minutes.record.REGISTERED_PARTS: add it there")
    _part_builders[key] = builder


def registered_parts() -> dict[str, str]:
    """What registered at start-up (for the test that compares it with REGISTERED_PARTS)."""
    return {key: f"{b.__module__}.{b.__qualname__}" for key, b in _part_builders.items()}


def when(moment: dt.datetime | None) -> str:
    return to_local(moment).strftime("%-d %B %Y, %H:%M") if moment else ""


def _day(day: dt.date | None) -> str:
    return day.strftime("%-d %B %Y") if day else ""


def _yes(flag: bool) -> str:
    return "Yes" if flag else "No"


def _person(person, *, on: dt.date) -> dict[str, Any]:
    age = person.age_words_on(on)
    born = (
        f"Unborn, expected {_day(person.expected_date)}"
        if person.unborn
        else (f"{_day(person.date_of_birth)} (age {age})" if person.date_of_birth else "Not known")
    )
    facts = [
        ("Also known as", person.aliases),
        ("Date of birth", born),
        ("Address", person.address),
        ("Relationship", person.relationship),
    ]
    if person.kind == PersonKind.CHILD:
        education = person.get_education_status_display() if person.education_status else ""
        if person.education_setting:
            education = f"{education}: {person.education_setting}" if education else person.education_setting
        facts += [
            ("Looked-after child", _yes(person.looked_after)),
            (
                "Placement and responsible authority",
                ", ".join(filter(None, [person.placement, person.responsible_authority])),
            ),
            ("Previous local authority", person.previous_authority),
            ("Disability", _yes(person.disability)),
            ("First language", person.first_language + (" (interpreter needed)" if person.interpreter_needed else "")),
            ("Communication needs", person.communication_needs),
            ("Ethnicity", person.ethnicity),
            ("Religion", person.religion),
            ("Education", education),
            ("GP practice", person.gp),
            ("Health visitor, school nurse or midwife", person.health_visitor_or_school_nurse),
            ("Plan", person.get_plan_display() if person.plan else "None"),
            ("In hospital", person.hospital or "Yes" if person.in_hospital else "No"),
        ]
    else:
        facts += [
            ("A child (under 18)", _yes(person.under_18)) if person.kind in (PersonKind.ALLEGED_ABUSER,) else ("", ""),
            ("Works with children", _yes(person.works_with_children))
            if person.kind in (PersonKind.ALLEGED_ABUSER, PersonKind.SIGNIFICANT_ADULT)
            else ("", ""),
        ]
    return {
        "name": person.full_name or "Unborn baby",
        "kind": person.get_kind_display(),
        "facts": [[label, value] for label, value in facts if label and value],
    }


def snapshot(discussion: Discussion, *, now: dt.datetime, recipients: list | None = None) -> dict[str, Any]:
    """The record of one discussion as the minutes show it (JSON-ready; the same record gives the same data).

    `now` only says whether an open deadline was overdue at that moment (the approval, or the draft's printing).
    Each section is built by its own part below, from what this function loads once.
    """
    referral = discussion.referral
    held_on = to_local(discussion.when).date()
    children = list(discussion.children.order_by("position", "pk"))
    child_ids = {c.pk for c in children}
    others = list(referral.people.filter(removed_at=None).exclude(pk__in=child_ids).order_by("kind", "position", "pk"))
    invitations = list(
        discussion.invitations.filter(status=InvitationStatus.INVITED).select_related("agency", "person").order_by("pk")
    )
    records = {r.child_id: r for r in discussion.child_records.all()}
    decisions = {d.child_id: d for d in discussion.decisions.select_related("s47_authorised_by")}
    risks = {risk.child_id: risk for risk in discussion.child_risks.all()}
    actions = list(discussion.agreed_actions.select_related("lead_agency", "person", "child").order_by("due_at", "pk"))
    family = FamilySummary.objects.filter(discussion=discussion).select_related("recorded_by").first()
    # A professional disagreement's clocks are not the case's: only those party to it see them (DOMAIN section 7).
    # A request for information's clock is the chair's chasing, not the case's (issue 31): not in the minutes.
    deadlines = list(
        referral.deadlines.exclude(rule__in=[*DISAGREEMENT_RULES, Rule.INFORMATION_REQUEST])
        .select_related("child", "moved_by")
        .order_by("due_at", "pk")
    )

    sections: dict[str, Any] = {
        "people": {
            "children": [_person(c, on=held_on) for c in children],
            "others": [_person(p, on=held_on) for p in others],
        },
        "reason": _reason(discussion),
        "attendance": [_attendee(i, chair_id=discussion.chair_id) for i in invitations],
        "quoracy": _quoracy(discussion, invitations),
        "information": _information(discussion),
        "risk": _risk(discussion, children, risks),
        "decisions": [_decision(child, decisions.get(child.pk)) for child in children],
        "standing": _standing(discussion, children, records),
        "plan": _plan(discussion, children),
        "family": _family(family, children=children, held_on=held_on),
        "actions": _action_plan(actions),
        "deadlines": [_deadline(d, now=now) for d in deadlines],
        "next_meeting": _next_meeting(decisions.values()),
        "distribution": [
            {"name": r.name, "role": r.role, "organisation": r.organisation, "sends": r.get_sends_display()}
            for r in (recipients or [])
        ],
    }
    # Sent through the secure link by people who could not attend or have no account (issue 31). Only when there is
    # one: a version approved before has no such part, and stays the same as the record it was approved from.
    contributions = minutes_contributions(discussion)
    if contributions:
        sections["contributions"] = contributions
    for key, build in _part_builders.items():
        part = build(discussion, now=now)
        if part is not None:
            sections[key] = part
    return {
        "reference": referral.reference,
        "partnership": referral.partnership.name,
        "held": _held(discussion),
        "format": discussion.get_format_display(),
        "chair": str(discussion.chair),
        "sections": sections,
    }


def _held(discussion: Discussion) -> str:
    """When it was held, from its start to its end; when it is scheduled, before it is."""
    if discussion.held_at and discussion.ended_at:
        return f"{when(discussion.held_at)} to {to_local(discussion.ended_at).strftime('%H:%M')}"
    return when(discussion.scheduled_at)


def _reason(discussion: Discussion) -> dict[str, Any]:
    """What prompted the discussion, how urgent it is, why and for what; what it reconvenes."""
    return {
        "prompted_by": f"{discussion.get_trigger_display()}, identified {when(discussion.concern_identified_at)}",
        "urgency": discussion.get_urgency_display(),
        "urgency_reason": discussion.urgency_reason,
        "reason": discussion.reason,
        "purpose": discussion.purpose,
        "reconvened": (
            f"Reconvened from the discussion of {_day(to_local(discussion.reconvened_from.when).date())}: "  # type: ignore[union-attr]
            f"{discussion.reconvene_rationale}"
            if discussion.reconvened_from_id
            else ""
        ),
    }


def _role(invitation: Invitation, *, chair: bool) -> str:
    """The role as typed, with "Chair" first for the chair (once: a chair whose role is typed "Chair" read
    "Chair. Chair")."""
    role = invitation.role.strip()
    if not chair or role.lower() == "chair":
        return "Chair" if chair else role
    return f"Chair. {role}" if role else "Chair"


def _attendee(invitation, *, chair_id: int | None) -> dict[str, Any]:
    """One line of attendance: the agency, the person, their role (the chair first), and what they said."""
    return {
        "agency": invitation.agency.name,
        "person": str(invitation.person) if invitation.person_id else invitation.contact_name,
        "role": _role(invitation, chair=invitation.person_id == chair_id),
        "attendance": invitation.get_attendance_display(),
        "in_advance": _yes(invitation.information_sent_in_advance),
        "can_decide": {True: "Yes", False: "No"}.get(invitation.can_decide, "Not recorded"),  # type: ignore[arg-type]
    }


def _quoracy(discussion: Discussion, invitations: list) -> dict[str, Any]:
    """Whether it was quorate, who was missing, and every invitee left out on purpose, with the reason: proposals
    declined and agencies proceeded without."""
    quoracy = rules.quoracy_of(invitations, chair_id=discussion.chair_id)
    proceeded = list(discussion.proceeded_without.order_by("name"))
    proceeds = list(discussion.proceeds_without.select_related("agency", "recorded_by").order_by("agency__name", "pk"))
    declined = list(
        discussion.invitations.filter(status=InvitationStatus.DECLINED).select_related("agency").order_by("pk")
    )
    return {
        "quorate": quoracy.quorate,
        "missing": quoracy.missing,
        "proceeded_without": [a.name for a in proceeded],
        "reason": discussion.proceed_reason if proceeded else "",
        "urgency": discussion.proceed_urgency if proceeded else "",
        "left_out": [
            {
                "who": f"{i.role} ({i.agency.name})" if i.role else i.agency.name,
                "how": "Proposed, not invited",
                "reason": i.decline_reason,
                "urgency": "",
                "recorded": "",
            }
            for i in declined
        ]
        + [
            {
                "who": p.agency.name,
                "how": "Proceeded without",
                "reason": p.reason,
                "urgency": p.urgency,
                "recorded": f"{p.recorded_by}, {when(p.recorded_at)}",
            }
            for p in proceeds
        ],
    }


def _information(discussion: Discussion) -> list[dict[str, Any]]:
    """What each agency shared, with its checks and whether it may be shared with the family."""
    return [
        {
            "id": entry.pk,
            "agency": entry.agency.name,
            "information": entry.information,
            "checks": entry.checks_done,
            "consent": entry.get_consent_display(),
            "manager_reason": entry.consent_manager_reason,
            "not_for_family": entry.not_for_family,
        }
        for entry in discussion.information.select_related("agency").order_by("agency__name", "recorded_at", "pk")
    ]


def _plan(discussion: Discussion, children: list) -> list[dict[str, Any]]:
    """The enquiry plan, item by item: the answer for the whole discussion, and where it differs for a child."""
    items = list(discussion.plan_items.all())
    plan = {item.item: item for item in items if item.child_id is None}
    child_plan = {(item.item, item.child_id): item for item in items if item.child_id and item.recorded}
    return [
        {
            "item": label,
            "answer": plan[code].answer if code in plan else "",
            "not_needed_because": plan[code].not_needed_because if code in plan else "",
            "children": [
                {
                    "child": child.full_name or "Unborn baby",
                    "answer": child_plan[code, child.pk].answer,
                    "not_needed_because": child_plan[code, child.pk].not_needed_because,
                }
                for child in children
                if (code, child.pk) in child_plan
            ],
        }
        for code, label in PLAN_ITEMS.items()
        if code in plan or any((code, child.pk) in child_plan for child in children)
    ]


def _next_meeting(decisions) -> list[dict[str, Any]]:
    """Each child's decision to reconvene: when, and why."""
    return [
        {"child": d.child.full_name or "Unborn baby", "on": _day(d.reconvene_on), "rationale": d.reconvene_rationale}
        for d in decisions
        if d.reconvene
    ]


def _action_plan(actions: list) -> list[dict[str, Any]]:
    """The action plan as agreed when the meeting ended (DOMAIN section 6), from what each action froze then
    (`Action.agreed`); later progress (status, a due date moved, another named person) is the action's own page's
    and leaves the minutes as they were. Before the meeting ends (a draft), each action as it stands."""
    rows = []
    for action in actions:
        agreed = action.agreed or actions_services.agreed(action)
        due = dt.datetime.fromisoformat(agreed["due_at"])
        row = {
            "what": agreed["what"],
            "measure": agreed["measure"],
            "agency": agreed["lead_agency"],
            "person": agreed["person"],
            "due": when(due),
            "status": ACTION_STATUSES.get(agreed["status"], agreed["status"]),
        }
        rows.append((due, action.pk, row))
    return [row for _due, _pk, row in sorted(rows, key=lambda item: item[:2])]


def _risk(discussion: Discussion, children: list, risks: dict[int, ChildRisk]) -> dict[str, Any]:
    """The risk analysis for each child with its level, when it is reviewed, and any analysis recorded for all
    the children before it was per child."""
    review = discussion.risk_review
    if discussion.risk_review_on:
        review = f"{review}\nBy {_day(discussion.risk_review_on)}".strip()
    return {
        "for_all": [[question, answer] for question, answer in discussion.legacy_risk_answers()],
        "children": [
            {
                "child": child.full_name or "Unborn baby",
                "level": risks[child.pk].get_level_display() if child.pk in risks else "",
                "meaning": RISK_LEVEL_HINTS.get(risks[child.pk].level, "") if child.pk in risks else "",
                "answers": [list(pair) for pair in risks[child.pk].answers()]
                if child.pk in risks
                else [[RISK_QUESTIONS[key], ""] for key in CHILD_RISK_QUESTIONS],
            }
            for child in children
        ],
        "review": [[RISK_QUESTIONS["review"], review]],
    }


def _decision(child, decision) -> dict[str, Any]:
    name = child.full_name or "Unborn baby"
    if decision is None:
        return {"child": name, "decided": [], "reasoning": "", "details": []}
    details = [
        ["Investigation", decision.get_investigation_type_display()] if decision.investigation_type else None,
        ["Police decision maker", decision.police_decision_maker] if decision.police_decision_maker else None,
        [
            "Section 47 authorised",
            f"by {decision.s47_authorised_by}, {when(decision.s47_authorised_at)}",
        ]
        if decision.s47_authorised
        else None,
    ]
    return {
        "child": name,
        "decided": [DECISIONS[code] for code in decision.decided_codes()],
        "reasoning": decision.reasoning,
        "details": [d for d in details if d],
    }


def _family(summary: FamilySummary | None, *, children: list, held_on: dt.date) -> dict[str, Any]:
    """What the family is told, with only the case details the chair ticked for the family's document."""
    if summary is None:
        return dict(FAMILY_UNDECIDED)
    data: dict[str, Any] = {
        "decided": True,
        "shares": summary.shares,
        "recorded": f"by {summary.recorded_by}, {when(summary.recorded_at)}",
    }
    if not summary.shares:
        return {**data, "not_yet": summary.get_not_yet_reason_display(), "not_yet_detail": summary.not_yet_detail}
    return {
        **data,
        "for_family": summary.for_family,
        "for_child": summary.for_child,
        "told_by": summary.told_by,
        "told_on": summary.told_on.strftime("%A %-d %B %Y") if summary.told_on else "",
        "children": [c.full_name or "Unborn baby" for c in children] if summary.include_names else [],
        "held_on": _day(held_on) if summary.include_date else "",
        "outcome": summary.outcome if summary.include_outcome else "",
    }


def _deadline(deadline, *, now: dt.datetime) -> dict[str, Any]:
    """One clock of the case as it stands at `now`: the rule in words, the child, due, its state in words, and any
    move later by a team manager with its reason (DOMAIN section 6)."""
    if deadline.state == DeadlineState.MET:
        late = " (late)" if deadline.met_at > deadline.due_at else ""
        # A step recorded by its date (a conference held, a report received) happened that day, at no given hour.
        met = _day(to_local(deadline.met_at).date()) if deadline.met_recorded_by_id else when(deadline.met_at)
        state = f"Met {met}{late}" + (f": {deadline.met_by}" if deadline.met_by else "")
        state += f" ({deadline.met_note})" if deadline.met_note else ""
    elif deadline.state == DeadlineState.STOPPED:
        state = f"Stopped {when(deadline.stopped_at)}: {deadline.stop_reason}"
    else:
        state = "Open, overdue" if deadline.due_at < now else "Open"
    moved = ""
    if deadline.times_moved:
        moved = (
            f"Deadline moved from {when(deadline.moved_from)} to {when(deadline.due_at)} by {deadline.moved_by} "
            f"because {deadline.moved_reason}"
        )
    return {
        "rule": RULE_NAMES.get(deadline.rule, deadline.rule),
        "child": (deadline.child.full_name or "Unborn baby") if deadline.child_id else "",
        "due": when(deadline.due_at),
        "state": deadline.state,
        "state_words": state,
        "moved": moved,
    }


def family_document(data: dict[str, Any]) -> dict[str, Any] | None:
    """All the family's document is built from: the family summary section and the details the chair ticked,
    with the case reference and partnership to quote. None when there is nothing to send them."""
    family = data["sections"].get("family") or FAMILY_UNDECIDED
    if not family.get("shares"):
        return None
    return {
        "reference": data["reference"],
        "partnership": data["partnership"],
        "family": family,
        # Only what its author marked as one that may be shared with the family (issue 31).
        "contributions": [c for c in data["sections"].get("contributions") or [] if c.get("shareable")],
    }


def family_document_missing(data: dict[str, Any]) -> str:
    """Why a snapshot has no family document, in words ("" when it has one)."""
    family = data["sections"].get("family") or FAMILY_UNDECIDED
    if family.get("shares"):
        return ""
    if not family.get("decided"):
        return "the chair has not decided what the family is told, so nothing is shared with them"
    reason = family.get("not_yet", "")
    return f"the chair decided nothing is shared with the family yet ({reason[:1].lower() + reason[1:]})"


_RETIRED_PLAN_LABELS = set(RETIRED_PLAN_ITEMS.values())
# How a snapshot taken before the risk analysis was per child named its last row.
_OLD_REVIEW_QUESTION = "When it will be reviewed"


def _comparable(key: str, section: Any) -> Any:
    """A section as compared; an older snapshot's shape read as today's (missing family section: undecided;
    a retired enquiry plan item: no longer part of the plan)."""
    if key == "family" and section is None:
        return FAMILY_UNDECIDED
    if key == "plan" and section:
        return [{"children": [], **row} for row in section if row.get("item") not in _RETIRED_PLAN_LABELS]
    if key == "risk" and isinstance(section, list):
        # Before the analysis was per child: one set of answers for all the children, the review last.
        answers = [pair for pair in section if pair[0] != _OLD_REVIEW_QUESTION]
        review = [pair for pair in section if pair[0] == _OLD_REVIEW_QUESTION]
        return {
            "for_all": [[RISK_QUESTIONS[k], a] for k, (_q, a) in zip(CHILD_RISK_QUESTIONS, answers, strict=False)]
            if any(a.strip() for _q, a in answers)
            else [],
            "children": [],
            "review": [[RISK_QUESTIONS["review"], review[0][1] if review else ""]],
        }
    if key == "risk" and section:
        # A child with nothing recorded yet reads as an older snapshot's (no analysis per child).
        recorded = [c for c in section.get("children", []) if c["level"] or any(a for _q, a in c["answers"])]
        return {**section, "children": recorded}
    return section


def _standing(discussion: Discussion, children: list, records: dict) -> dict[str, Any]:
    """What every discussion records whatever the outcome (DOMAIN sections 1.3 and 4), as label and value rows."""
    police = discussion.get_police_decision_display() if discussion.police_decision else "Not recorded"
    if discussion.police_decision_reason:
        police += f": {discussion.police_decision_reason}"
    if discussion.lado_informed:
        lado = f"Informed on {_day(discussion.lado_informed_on)} by {discussion.lado_informed_who}"
    elif discussion.lado_informed is False:
        lado = f"Not informed: {discussion.lado_not_informed_reason}"
    else:
        lado = ""
    legal = {True: f"Sought: {discussion.legal_advice_outcome}", False: "Not sought"}.get(
        discussion.legal_advice_sought,  # type: ignore[arg-type]
        "Not recorded",
    )
    protection = discussion.get_protection_display() if discussion.protection else "Not recorded"
    if discussion.protection_details:
        protection += f": {discussion.protection_details}"
    rows = [
        ["Police decision on a criminal investigation", police],
        ["Police decision maker", discussion.police_decision_maker],
        ["Police-only discussion first", discussion.police_only_note if discussion.police_only_first else ""],
        ["Designated officer (LADO)", lado],
        ["Legal advice", legal],
        ["Police protection or emergency protection order", protection],
    ]
    per_child = []
    for child in children:
        record_ = records.get(child.pk)
        if record_ is None:
            continue
        needs = record_.identity_needs
        extra = [
            w for flag, w in ((record_.interpreter, "interpreter"), (record_.intermediary, "intermediary")) if flag
        ]
        if extra:
            needs = f"{needs} ({' and '.join(extra)} needed)".strip()
        facts = [
            ["Nature of the alleged abuse", record_.abuse_nature],
            ["Safe discharge from hospital", record_.safe_discharge],
            [
                "Child in need support",
                f"{record_.get_cin_support_display()}: {record_.cin_support_reason}" if record_.cin_support else "",
            ],
            ["How ethnicity, religion, language and disability shape the plan", needs],
        ]
        per_child.append({"child": child.full_name or "Unborn baby", "facts": [f for f in facts if f[1]]})
    return {"rows": [r for r in rows if r[1]], "children": [c for c in per_child if c["facts"]]}


def changed_sections(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """Headings of the sections that differ between two snapshots (all of them when there is no before).

    The deadlines are never compared: they are a picture of the clocks when the version was approved.
    """
    if before is None:
        return [heading for key, heading in SECTIONS if key not in UNCOMPARED]
    old, new = before.get("sections", {}), after["sections"]
    changed = [
        heading
        for key, heading in SECTIONS
        if key not in UNCOMPARED
        and (
            _comparable(key, old.get(key)) != _comparable(key, new.get(key))
            or any(parent == key and old.get(sub) != new.get(sub) for sub, parent in SUBSECTIONS.items())
        )
    ]
    header_keys = ("reference", "held", "format", "chair")
    if any(before.get(k) != after.get(k) for k in header_keys) and "Reason for the discussion" not in changed:
        changed.insert(0, "Details of the discussion")
    return changed
