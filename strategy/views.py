"""Strategy discussion pages: convene, and the meeting, live on one page, each section saving on its own.

Every section is a plain form post that works without JavaScript (it redirects back to the
section with "Saved at 10:42"); with JavaScript (htmx) the same post saves in the background
and only that section is redrawn. A section with errors, or saved by someone else since it
was loaded, comes back with what the user typed, and nothing of it is saved.

The sections are one table, SECTIONS: each declares its posted form, its service call, its template, its forms on
the page and who may post it, once; the page and discussion_section loop over it.
"""

import datetime as dt
import functools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from agencies.models import AgencyType, may_chair
from agencies.types import AuthenticatedRequest
from core.decorators import case_methods
from core.exceptions import NotNow
from core.forms import add_service_errors
from core.timescales import to_local
from referrals import access as case_access
from referrals import rules as referral_rules
from referrals import services as case_services
from referrals import steps as case_steps
from referrals.models import ConcernCategory, Deadline, PersonKind
from referrals.selectors import referral_people
from strategy import forms, history, rules, selectors, services, steps
from strategy.access import DiscussionChecker, get_discussion_for_user
from strategy.contents import meeting_contents
from strategy.models import (
    CHILD_RISK_QUESTIONS,
    PLAN_ITEMS,
    ChildDecision,
    ChildRisk,
    Discussion,
    DiscussionStatus,
    Invitation,
)


def _sees_case(request: AuthenticatedRequest, pk: int, **_kwargs) -> None:
    case_access.get_referral_for_user(request.user, pk)


def _sees_discussion(request: AuthenticatedRequest, discussion_pk: int, **_kwargs) -> None:
    get_discussion_for_user(request.user, discussion_pk)


# --- Convene -------------------------------------------------------------------------------------------------


# The convene service's errors on the form's own fields (its date and time parts); the invitations' on the form.
CONVENE_ERROR_FIELDS = {"concern_identified": "identified_date", "scheduled": "scheduled_date", "invitations": None}


def convene_form(
    request: AuthenticatedRequest,
    referral,
    now: dt.datetime,
    data=None,
    *,
    trigger: str | None = None,
    children: list | None = None,
    parties: Sequence[Any] = (),
    identified: dt.datetime | None = None,
) -> forms.ConveneForm:
    """The convene form: the ordinary one, or (disputes' stage 3) with the trigger fixed, the children chosen, the
    agencies of a disagreement's parties proposed and the concern identified when stage 3 began."""
    people = referral_people(referral, today=to_local(now).date())
    agencies = list(referral.partnership.agencies.order_by("name"))
    concerns = list(referral.concerns.values_list("code", flat=True))
    proposals = rules.proposals(
        children=people["children"],
        others=[*people["others"], *people["household"]],
        concerns=concerns,
        referrer_agency_type=referral.referrer_agency.agency_type if referral.referrer_agency else None,
        referrer_agency_id=referral.referrer_agency_id,
        agencies=agencies,
        today=to_local(now).date(),
    )
    if parties:
        proposals = rules.with_agencies(
            proposals, parties, role="Party to the disagreement", reason="Party to the professional disagreement"
        )
    first = not referral.discussions.exists()
    local = to_local(identified or referral.received_at)
    known = first or identified is not None
    # Serious injury or forensic evidence that may be lost: same day is proposed, whatever the referral said.
    proposed = referral_rules.proposed_urgency(concerns, non_mobile_injury=referral.non_mobile_infant_injury)
    urgency = referral.urgency if first else None
    if proposed and urgency not in referral_rules.SAME_DAY_URGENCIES:
        urgency = proposed
    initial = {
        "trigger": trigger or ("new_referral" if first else None),
        "urgency": urgency,
        "urgency_reason": referral.urgency_reason if first else "",  # the referral's, if a longer one is chosen again
        "identified_date": local.date() if known else None,
        "identified_time": local.strftime("%H:%M") if known else "",
        "children": children if children is not None else [c.pk for c in people["children"]],
        "chair": request.user.pk if may_chair(request.user, referral.partnership_id) else None,
        "submission_key": uuid.uuid4(),
    }
    return forms.ConveneForm(
        data,
        referral=referral,
        children=people["children"],
        chairs=forms.team_managers(referral),
        proposals=proposals,
        agencies=agencies,
        initial=initial,
        trigger=trigger,
        external_contacts=rules.external_contacts(
            people["children"], agencies=agencies, partnership_name=referral.partnership.name
        ),
    )


@case_methods(["GET", "POST"], _sees_case)
def discussion_convene(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    referral, checker = case_access.get_referral_for_user(request.user, pk, write=True)
    now = timezone.now()
    form = convene_form(request, referral, now, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        convene = functools.partial(services.discussion_convene, acting_user=request.user, referral=referral, now=now)
        saved = convene_submitted(request, form, convene, "Strategy discussion convened")
        if saved is not None:
            return saved
    return convene_page(request, referral, checker, form)


def convene_submitted(
    request: AuthenticatedRequest, form: forms.ConveneForm, convene: Callable[..., Discussion], message: str
) -> HttpResponse | None:
    """A valid convene form saved by `convene` (strategy's convening, or disputes' stage 3, which calls it), given
    the form's fields: the meeting page, or None with what the service refused on the form's fields."""
    try:
        discussion = convene(submission_key=form.cleaned_data.get("submission_key"), **form.service_kwargs())
    except ValidationError as exc:
        add_service_errors(form, exc, CONVENE_ERROR_FIELDS)
        return None
    messages.success(request, message)
    return redirect("strategy:meeting", discussion_pk=discussion.pk)


def convene_page(request: AuthenticatedRequest, referral, checker, form, **extra: Any) -> HttpResponse:
    """The convene page with its warnings; `extra` (disputes' stage 3: what it is convened for, where back goes).
    Its GET is a look at the case, logged."""
    if request.method == "GET":
        case_services.case_view_record(user=request.user, referral=referral, page="convene discussion")
    alleged_children = referral.people.filter(kind=PersonKind.ALLEGED_ABUSER, under_18=True, removed_at=None)
    return render(
        request,
        "strategy/convene.html",
        {
            "referral": referral,
            "checker": checker,
            "form": form,
            "alleged_child_abusers": list(alleged_children),
            "meeting_harms": _meeting_harms(referral),
            "same_day_concerns": referral_rules.same_day_concerns(
                referral.concerns.values_list("code", flat=True), non_mobile_injury=referral.non_mobile_infant_injury
            ),
            "has_errors": bool(form.errors),
            **extra,
        },
        status=400 if form.errors else 200,
    )


def _meeting_harms(referral) -> list[str]:
    """Harms the partnership lists as needing a meeting rather than calls (DOMAIN section 1, default list)."""
    codes = set(referral.concerns.values_list("code", flat=True))
    listed = referral.partnership.meeting_harm_codes()
    return [ConcernCategory(code).label for code in listed if code in codes]


# --- The meeting page --------------------------------------------------------------------------------------


def _forms(context: dict[str, Any], checker: DiscussionChecker, bound: dict[str, Any]) -> dict[str, Any]:
    """Every section's form: the bound one that failed, or a fresh one from what is stored (one part per section)."""
    result: dict[str, Any] = {"abandon_form": bound.get("abandon") or forms.AbandonForm(prefix="abandon")}
    for part in SECTIONS.values():
        if part.page is not None:
            result.update(part.page(context, checker, bound))
    return result


def _colleagues(people) -> dict[int, list]:
    """The practitioners of each agency, by agency id: who may be named as having attended for it."""
    found: dict[int, list] = {}
    for person in people:
        found.setdefault(person.agency_id, []).append(person)
    return found


def _attending(context: dict[str, Any], checker: DiscussionChecker) -> list[tuple[Invitation, str]]:
    """The lines the user may name themself on with one click ("I am attending for Demo Police"): their own
    agency's lines naming nobody, while the discussion is not over and they are on no line yet."""
    user = checker.user
    active = context["active_invitations"]
    # May they take part? They are among the partnership's practitioners (`User.objects.practitioners`) listed.
    if context["discussion"].ended or all(person.pk != user.pk for person in context["people"]):
        return []
    if any(i.person_id == user.pk for i in active):
        return []
    open_lines = [
        i
        for i in active
        if i.agency_id == user.agency_id
        and not (i.person_id or i.contact_name)
        and checker.can_record_agency(i.agency_id)
    ]
    return [
        (i, f"I am attending for {i.agency}" + (f" as {i.role.lower()}" if len(open_lines) > 1 and i.role else ""))
        for i in open_lines
    ]


def _child_risk_form(child, risk: ChildRisk | None, discussion: Discussion) -> forms.ChildRiskForm:
    initial: dict[str, Any] = {"version": discussion.section_version(f"risk-{child.pk}")}
    if risk is not None:
        initial.update({key: getattr(risk, key) for key in (*CHILD_RISK_QUESTIONS, "level")})
    return forms.ChildRiskForm(prefix=f"risk-{child.pk}", child=child, initial=initial)


def _family_initial(summary, discussion: Discussion) -> dict[str, Any]:
    initial: dict[str, Any] = {"version": discussion.section_version("family")}
    if summary is None:
        return initial
    return {**initial, **{field: getattr(summary, field) for field in services.FAMILY_SUMMARY_FIELDS}}


def _decision_initial(child, decision: ChildDecision | None, discussion: Discussion) -> dict[str, Any]:
    initial: dict[str, Any] = {"child": child.pk, "version": discussion.section_version(f"decision-{child.pk}")}
    if decision is None:
        return initial
    medical = to_local(decision.medical_done_at) if decision.medical_done_at else None
    return {
        **initial,
        "decisions": decision.decided_codes(),
        "reasoning": decision.reasoning,
        "investigation_type": decision.investigation_type,
        "police_decision_maker": decision.police_decision_maker,
        "reconvene_on": decision.reconvene_on,
        "reconvene_rationale": decision.reconvene_rationale,
        "medical_date": medical.date() if medical else None,
        "medical_time": medical.strftime("%H:%M") if medical else "",
    }


def _page(
    request: AuthenticatedRequest,
    discussion: Discussion,
    checker: DiscussionChecker,
    *,
    bound: dict[str, Any] | None = None,
    part: "MeetingSection | None" = None,
    section: str = "",
    stale: bool = False,
    saved: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    for message in messages.get_messages(request):
        # Without JavaScript a saved section comes back through a redirect: say "Saved at" in the section itself.
        if message.extra_tags.startswith("section:") and not saved:
            section, saved = message.extra_tags.removeprefix("section:"), message.message
    context = selectors.meeting(discussion, checker=checker, now=now)
    context.update(_forms(context, checker, bound or {}))
    context.update(
        {
            "section": section,
            "stale": stale,
            "saved": saved,
            "error_forms": list((bound or {}).values()),
            "has_errors": status >= 400,
            "end_problems": services.end_problems(discussion) if not discussion.ended else [],
            "plan_items": PLAN_ITEMS,
        }
    )
    open_all = request.GET.get("sections") == "all"
    contents = meeting_contents(context, open_all=open_all)
    context.update({"contents": contents, "open_all": open_all, "folded": any(not c.is_open for c in contents)})
    part = part or SECTIONS.get(section.split("-")[0])
    if request.headers.get("HX-Request") and section and part is not None:
        # htmx: the section that was posted is drawn again, after a save each section it changed too (out of band),
        # and the contents with each section's state, so no part of the page contradicts another until a reload.
        html = render_to_string(f"strategy/sections/{part.template}.html", context, request=request)
        for other in part.changes if saved else ():
            html += render_to_string(f"strategy/sections/{other}.html", {**context, "oob": True}, request=request)
        html += render_to_string("strategy/meeting_contents.html", {**context, "oob": True}, request=request)
        return HttpResponse(html, status=status)
    # What the apps above show on the whole page (disputes: the disagreement it resolves, the case's open ones).
    context["panels"] = selectors.MEETING_PANELS.drawn(checker, now=now)
    return render(request, "strategy/meeting.html", context, status=status)


@case_methods(["GET"], _sees_discussion)
def discussion_meeting(request: AuthenticatedRequest, discussion_pk: int) -> HttpResponse:
    discussion, checker = get_discussion_for_user(request.user, discussion_pk)
    case_services.case_view_record(user=request.user, referral=discussion.referral, page="strategy discussion")
    return _page(request, discussion, checker)


def _saved(
    request: AuthenticatedRequest, discussion: Discussion, part: "MeetingSection", section: str, what: str
) -> HttpResponse:
    at = to_local(timezone.now()).strftime("%H:%M")
    message = f"{what} saved at {at}"
    if request.headers.get("HX-Request"):
        fresh, checker = get_discussion_for_user(request.user, discussion.pk)
        return _page(request, fresh, checker, part=part, section=section, saved=message)
    messages.success(request, message, extra_tags=f"section:{section}")
    # A form of one child ("decision-12") is its own anchor; any other form's is its section's.
    anchor = section if section.startswith(f"{part.template}-") else part.template
    return redirect(reverse("strategy:meeting", kwargs={"discussion_pk": discussion.pk}) + f"#{anchor}")


def _version(form) -> int | None:
    value = form.cleaned_data.get("version")
    return value if value is not None else -1


@dataclass(frozen=True)
class Posted:
    """One section's form as posted, bound, with what it is about."""

    key: str  # the form's place on the page (its prefix, "decision-12"): where its errors are shown
    form: Any
    about: Any = None  # the child (or the child's decision) the form is for, when it is for one
    saved_key: str = ""  # where "Saved at" is shown, when not at `key`

    @property
    def data(self) -> dict[str, Any]:
        return self.form.cleaned_data


Page = Callable[[dict[str, Any], DiscussionChecker, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class MeetingSection:
    """One section of the meeting page, declared once: adding a section is one entry in SECTIONS.

    `form` binds what was posted (it may refuse a child or decision not of this discussion: 404); `save` calls the
    section's service with the valid form and says what was saved; `page` gives the page's context for it (its
    fresh forms, or the bound one that failed, by key). Who may post: an invited agency for itself
    (`own_agency`), else children's social care, and only the chair where `chair_only`.
    """

    form: Callable[[AuthenticatedRequest, Discussion, DiscussionChecker], Posted]
    save: Callable[[AuthenticatedRequest, DiscussionChecker, Posted, dt.datetime], str]
    template: str  # strategy/sections/<template>.html, drawn again after a post
    page: Page | None = None
    own_agency: bool = False
    chair_only: bool = False
    rename: dict[str, str | None] = field(default_factory=dict)  # service error keys that are not the form's fields
    changes: tuple[str, ...] = ()  # the other sections a save changes, drawn again with it


# --- Attendance --------------------------------------------------------------------------------------------------


def _attendance_page(context, checker, bound):
    recordable = [i for i in context["active_invitations"] if checker.can_record_agency(i.agency_id)]
    return {
        "attendance_form": bound.get("attendance")
        or forms.AttendanceForm(
            prefix="attendance",
            invitations=recordable,
            colleagues=_colleagues(context["people"]),
            initial={"version": context["discussion"].section_version("attendance")},
        ),
        "attending": _attending(context, checker),
        "attending_form": bound.get("attending"),
    }


def _attendance_form(request, discussion, checker):
    if "attending" in request.POST:
        # One click: "I am attending for Demo Police" (its own small form: only the line and the version).
        return Posted("attending", forms.AttendingForm(request.POST, prefix="attendance"), saved_key="attendance")
    invitations = [
        i
        for i in discussion.invitations.select_related("agency", "person").filter(status="invited")
        if checker.can_record_agency(i.agency_id)
    ]
    form = forms.AttendanceForm(
        request.POST,
        prefix="attendance",
        invitations=invitations,
        colleagues=_colleagues(_partnership_people(discussion)),
    )
    return Posted("attendance", form)


def _attendance_save(request, checker, posted, now):
    if isinstance(posted.form, forms.AttendingForm):
        invitation = services.invitation_attend(
            acting_user=request.user,
            checker=checker,
            invitation_pk=posted.data["attending"],
            version=_version(posted.form),
        )
        return f"Your attendance for {invitation.agency}"
    services.attendance_save(
        acting_user=request.user,
        checker=checker,
        rows=posted.form.rows_data(),
        names=posted.form.names(),
        version=_version(posted.form),
    )
    return "Attendance"


# --- Information -------------------------------------------------------------------------------------------------


def _information_page(context, checker, bound):
    discussion = context["discussion"]
    return {
        "information_form": bound.get("information")
        or forms.InformationForm(
            prefix="information",
            agencies=[a for a in context["invited_agencies"] if checker.can_record_agency(a.pk)],
            max_characters=discussion.referral.partnership.max_entry_characters,
            initial={"submission_key": uuid.uuid4()},
        )
    }


def _information_form(request, discussion, checker):
    agencies = sorted(
        {i.agency for i in discussion.invitations.select_related("agency").filter(status="invited")},
        key=lambda a: a.name,
    )
    form = forms.InformationForm(
        request.POST,
        prefix="information",
        agencies=[a for a in agencies if checker.can_record_agency(a.pk)],
        max_characters=discussion.referral.partnership.max_entry_characters,
    )
    return Posted("information", form)


def _information_save(request, checker, posted, now):
    services.information_add(
        acting_user=request.user,
        checker=checker,
        agency=posted.data["agency"],
        data=posted.data,
        now=now,
        submission_key=posted.data.get("submission_key"),
    )
    return "Information"


# --- Risk --------------------------------------------------------------------------------------------------------


def _child_of(request, discussion: Discussion):
    return _posted(request, discussion.children.all(), "child", "This discussion is not about that child")


def _risk_page(context, checker, bound):
    discussion = context["discussion"]
    return {
        "risk_form": bound.get("risk")
        or forms.RiskForm(
            prefix="risk",
            initial={
                "risk_review": discussion.risk_review,
                "risk_review_on": discussion.risk_review_on,
                "version": discussion.section_version("risk"),
            },
        ),
        "child_risk_rows": [
            {
                "child": child,
                "risk": risk,
                "form": bound.get(f"risk-{child.pk}") or _child_risk_form(child, risk, discussion),
            }
            for child, risk in context["risk_rows"]
        ],
    }


def _risk_form(request, discussion, checker):
    """The risk analysis for one child (the form names the child), or when it is reviewed (the whole discussion)."""
    if "child" in request.POST:
        child = _child_of(request, discussion)
        key = f"risk-{child.pk}"
        return Posted(key, forms.ChildRiskForm(request.POST, prefix=key, child=child), about=child)
    return Posted("risk", forms.RiskForm(request.POST, prefix="risk"))


def _risk_save(request, checker, posted, now):
    child = posted.about
    if child is None:
        services.risk_save(acting_user=request.user, checker=checker, data=posted.data, version=_version(posted.form))
        return "Risk review"
    services.child_risk_save(
        acting_user=request.user, checker=checker, child=child, data=posted.data, version=_version(posted.form)
    )
    return f"Risk analysis for {child.full_name}"


# --- Decisions for each child, and the outcome of a section 47 enquiry -----------------------------------------------


def _decision_page(context, checker, bound):
    discussion = context["discussion"]
    rows = []
    for child, decision in context["child_rows"]:
        key = f"decision-{child.pk}"
        form = bound.get(key) or forms.DecisionForm(prefix=key, initial=_decision_initial(child, decision, discussion))
        outcome = bound.get(f"outcome-{decision.pk}" if decision else "") or (
            forms.OutcomeForm(prefix=f"outcome-{decision.pk}", initial={"decision": decision.pk}) if decision else None
        )
        rows.append({"child": child, "decision": decision, "form": form, "outcome_form": outcome})
    return {"decision_rows": rows}


def _decision_form(request, discussion, checker):
    child = _child_of(request, discussion)
    key = f"decision-{child.pk}"
    return Posted(key, forms.DecisionForm(request.POST, prefix=key), about=child)


def _decision_save(request, checker, posted, now):
    services.decision_save(
        acting_user=request.user,
        checker=checker,
        child=posted.about,
        data=posted.form.service_data(),
        version=_version(posted.form),
        now=now,
    )
    return f"Decision for {posted.about.full_name}"


def _outcome_form(request, discussion, checker):
    decision = _posted(request, discussion.decisions.all(), "decision", "No such decision")
    key = f"outcome-{decision.pk}"
    return Posted(key, forms.OutcomeForm(request.POST, prefix=key), about=decision)


def _outcome_save(request, checker, posted, now):
    services.decision_record_outcome(
        acting_user=request.user,
        checker=checker,
        decision=posted.about,
        conference_needed=posted.data["conference_needed"] == "yes",
        reason=posted.data["no_conference_reason"],
        now=now,
    )
    return f"Section 47 outcome for {posted.about.child.full_name}"


# --- What every discussion records ---------------------------------------------------------------------------------


def _standing_page(context, checker, bound):
    return {
        "standing_form": bound.get("standing")
        or forms.StandingForm(
            prefix="standing",
            children=context["children"],
            lado=bool(context["lado_abusers"]),
            initial=forms.standing_initial(context["discussion"], context["child_records"]),
        )
    }


def _standing_form(request, discussion, checker):
    children = list(discussion.children.order_by("position", "pk"))
    lado = bool(selectors.lado_needed(discussion))
    return Posted("standing", forms.StandingForm(request.POST, prefix="standing", children=children, lado=lado))


def _standing_save(request, checker, posted, now):
    data, by_child = posted.form.service_data()
    services.standing_save(
        acting_user=request.user,
        checker=checker,
        data=data,
        children=by_child,
        version=_version(posted.form),
        now=now,
    )
    return "Decisions of the discussion"


# --- The enquiry plan --------------------------------------------------------------------------------------------


def _plan_initial(answers: dict, version: int) -> dict[str, Any]:
    return {
        **{f"{k}_answer": v.answer for k, v in answers.items()},
        **{f"{k}_not_needed": v.not_needed_because for k, v in answers.items()},
        "version": version,
    }


def _plan_page(context, checker, bound):
    discussion = context["discussion"]
    return {
        "plan_form": bound.get("plan")
        or forms.PlanForm(prefix="plan", initial=_plan_initial(context["plan"], discussion.section_version("plan"))),
        "child_plan_rows": [
            {
                "child": child,
                "form": bound.get(f"plan-{child.pk}")
                or forms.PlanForm(
                    prefix=f"plan-{child.pk}",
                    child=child,
                    initial=_plan_initial(
                        context["child_plans"][child.pk], discussion.section_version(f"plan-{child.pk}")
                    ),
                ),
            }
            for child in context["children"]
        ],
    }


def _plan_form(request, discussion, checker):
    """The enquiry plan for the whole discussion, or where it differs for one child (the form names the child)."""
    child = _child_of(request, discussion) if "child" in request.POST else None
    key = f"plan-{child.pk}" if child is not None else "plan"
    return Posted(key, forms.PlanForm(request.POST, prefix=key, child=child), about=child)


def _plan_save(request, checker, posted, now):
    child = posted.about
    services.plan_save(
        acting_user=request.user,
        checker=checker,
        answers=posted.form.answers(),
        version=_version(posted.form),
        child=child,
    )
    return f"Enquiry plan for {child.full_name}" if child is not None else "Enquiry plan"


# --- Proceeding without an agency ------------------------------------------------------------------------------


def _proceed_page(context, checker, bound):
    return {
        "proceed_form": bound.get("proceed")
        or forms.ProceedForm(
            prefix="proceed",
            agencies=[a for a in context["agencies"] if a.agency_type != AgencyType.CHILDRENS_SOCIAL_CARE],
            # Nothing ticked: proceeding without an agency is the chair's decision in the meeting, never proposed.
            initial={"version": context["discussion"].section_version("proceed")},
        )
    }


def _proceed_form(request, discussion, checker):
    agencies = list(discussion.referral.partnership.agencies.exclude(agency_type=AgencyType.CHILDRENS_SOCIAL_CARE))
    return Posted("proceed", forms.ProceedForm(request.POST, prefix="proceed", agencies=agencies))


def _proceed_save(request, checker, posted, now):
    services.proceed_save(
        acting_user=request.user,
        checker=checker,
        agencies=list(posted.data["agencies"]),
        reason=posted.data["reason"],
        urgency=posted.data["urgency"],
        now=now,
        version=_version(posted.form),
    )
    return "Proceeding without an agency"


# --- What the family is told -------------------------------------------------------------------------------------


def _family_page(context, checker, bound):
    return {
        "family_form": bound.get("family")
        or forms.FamilySummaryForm(
            prefix="family", initial=_family_initial(context["family_summary"], context["discussion"])
        )
    }


def _family_form(request, discussion, checker):
    return Posted("family", forms.FamilySummaryForm(request.POST, prefix="family"))


def _family_save(request, checker, posted, now):
    services.family_summary_save(
        acting_user=request.user, checker=checker, data=posted.data, version=_version(posted.form), now=now
    )
    return "What the family is told"


# --- Actions -----------------------------------------------------------------------------------------------------


def _partnership_people(discussion):
    return selectors.practitioners(discussion.referral.partnership_id)


def _action_page(context, checker, bound):
    return {
        "action_form": bound.get("action")
        or forms.ActionForm(
            prefix="action",
            # Only agencies that can see the case can lead its action (never one that would be refused: a walk).
            agencies=case_access.agencies_seeing_case(context["agencies"], context["discussion"].referral),
            people=context["people"],
            children=context["children"],
            initial={"submission_key": uuid.uuid4()},
        )
    }


def _action_form(request, discussion, checker):
    form = forms.ActionForm(
        request.POST,
        prefix="action",
        agencies=case_access.agencies_seeing_case(discussion.referral.partnership.agencies.all(), discussion.referral),
        people=_partnership_people(discussion),
        children=list(discussion.children.all()),
    )
    return Posted("action", form)


def _action_save(request, checker, posted, now):
    services.discussion_action_add(acting_user=request.user, checker=checker, data=posted.data, now=now)
    return "Action"


# --- Invitations -------------------------------------------------------------------------------------------------


def _invite_page(context, checker, bound):
    return {
        "invite_form": bound.get("invite")
        or forms.InviteForm(prefix="invite", agencies=context["agencies"], people=context["people"])
    }


def _invite_form(request, discussion, checker):
    form = forms.InviteForm(
        request.POST,
        prefix="invite",
        agencies=list(discussion.referral.partnership.agencies.all()),
        people=_partnership_people(discussion),
    )
    return Posted("invite", form)


def _invite_save(request, checker, posted, now):
    services.invitation_add(
        acting_user=request.user,
        checker=checker,
        agency=posted.data["agency"],
        person=posted.data.get("person"),
        contact_name=posted.data.get("contact_name", ""),
        role=posted.data.get("role", ""),
    )
    return "Invitation"


# Every section of the meeting page that saves on its own, by the last part of its address. What a save in one
# section changes in others (`changes`): proceeding without an agency invites it and creates its action;
# attendance is each invitation's status; a new invitation is a new line of attendance.
SECTIONS: dict[str, MeetingSection] = {
    "attendance": MeetingSection(
        _attendance_form,
        _attendance_save,
        "attendance",
        _attendance_page,
        own_agency=True,
        changes=("invite", "proceed"),
    ),
    "information": MeetingSection(
        _information_form, _information_save, "information", _information_page, own_agency=True
    ),
    "risk": MeetingSection(_risk_form, _risk_save, "risk", _risk_page),
    "decision": MeetingSection(
        _decision_form, _decision_save, "decision", _decision_page, rename={"medical_done": "medical_date"}
    ),
    "standing": MeetingSection(_standing_form, _standing_save, "standing", _standing_page),
    "plan": MeetingSection(_plan_form, _plan_save, "plan", _plan_page),
    "proceed": MeetingSection(
        _proceed_form, _proceed_save, "proceed", _proceed_page, changes=("invite", "attendance", "action")
    ),
    "family": MeetingSection(_family_form, _family_save, "family", _family_page, chair_only=True),
    "action": MeetingSection(_action_form, _action_save, "action", _action_page, rename={"due": "due_date"}),
    "invite": MeetingSection(_invite_form, _invite_save, "invite", _invite_page, changes=("attendance",)),
    # The outcome of an authorised enquiry is recorded on the child's decision (its forms are in decision_rows).
    "outcome": MeetingSection(_outcome_form, _outcome_save, "decision"),
}


@case_methods(["POST"], _sees_discussion)
def discussion_section(request: AuthenticatedRequest, discussion_pk: int, section: str) -> HttpResponse:
    """Save one section of the meeting page (server-side role checks here and in the service)."""
    discussion, checker = get_discussion_for_user(request.user, discussion_pk, write=True)
    part = SECTIONS.get(section)
    if part is None:
        raise Http404("No such section")
    if not part.own_agency and not checker.can_record_all():
        raise PermissionDenied("Only children's social care records this part of the discussion")
    if part.chair_only and not checker.can_chair():
        raise PermissionDenied("Only the chair (a team manager in children's social care) records this")
    posted = part.form(request, discussion, checker)
    try:
        if posted.form.is_valid():
            what = part.save(request, checker, posted, timezone.now())
            return _saved(request, discussion, part, posted.saved_key or posted.key, what)
    except services.StaleSectionError as exc:
        # Someone else saved it since this page was loaded: show theirs (from the database) and keep what was typed.
        fresh, checker = get_discussion_for_user(request.user, discussion.pk)
        form = posted.form
        form.data = form.data.copy()
        form.data[f"{form.prefix}-version"] = str(fresh.section_version(exc.section))
        return _page(
            request, fresh, checker, bound={posted.key: form}, part=part, section=posted.key, stale=True, status=409
        )
    except ValidationError as exc:
        add_service_errors(posted.form, exc, part.rename)
    return _page(
        request, discussion, checker, bound={posted.key: posted.form}, part=part, section=posted.key, status=400
    )


_Row = TypeVar("_Row", bound=Model)


def _posted(request: AuthenticatedRequest, rows: QuerySet[_Row], name: str, missing: str) -> _Row:
    """The row of `rows` (a discussion's own) whose key is posted as `name`; any other key is a 404."""
    try:
        row = rows.filter(pk=int(request.POST.get(name) or "")).first()
    except ValueError:
        row = None
    if row is None:
        raise Http404(missing)
    return row


@case_methods(["POST"], _sees_discussion)
def discussion_start(request: AuthenticatedRequest, discussion_pk: int) -> HttpResponse:
    discussion, checker = get_discussion_for_user(request.user, discussion_pk, write=True)
    if not checker.can_chair():
        raise PermissionDenied("Only a team manager in children's social care starts the meeting (the chair)")
    if discussion.status != DiscussionStatus.CONVENED:
        messages.info(request, "The meeting had already started")
        return redirect("strategy:meeting", discussion_pk=discussion.pk)
    services.discussion_start(acting_user=request.user, checker=checker, now=timezone.now())
    messages.success(
        request, "Meeting started: the discussion is recorded as held when you end it, with its quoracy and decisions"
    )
    return redirect("strategy:meeting", discussion_pk=discussion.pk)


@case_methods(["POST"], _sees_discussion)
def discussion_abandon(request: AuthenticatedRequest, discussion_pk: int) -> HttpResponse:
    """The chair abandons a meeting in progress, with the reason: the discussion is not held."""
    discussion, checker = get_discussion_for_user(request.user, discussion_pk, write=True)
    if not checker.can_chair():
        raise PermissionDenied("Only the chair abandons the meeting")
    form = forms.AbandonForm(request.POST, prefix="abandon")
    if form.is_valid():
        try:
            services.discussion_abandon(
                acting_user=request.user,
                checker=checker,
                reason=form.cleaned_data["abandon_reason"],
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc, {})
        else:
            messages.success(request, "Meeting abandoned: the discussion has not been held and its deadline runs on")
            return redirect("strategy:meeting", discussion_pk=discussion.pk)
    return _page(request, discussion, checker, bound={"abandon": form}, section="abandon", status=400)


@case_methods(["POST"], _sees_discussion)
def discussion_end(request: AuthenticatedRequest, discussion_pk: int) -> HttpResponse:
    discussion, checker = get_discussion_for_user(request.user, discussion_pk, write=True)
    if not checker.can_chair():
        raise PermissionDenied("Only a team manager in children's social care ends the meeting (the chair)")
    if discussion.ended:
        messages.info(request, "The meeting had already ended")
        return redirect("strategy:meeting", discussion_pk=discussion.pk)
    try:
        ended = services.discussion_end(acting_user=request.user, checker=checker, now=timezone.now())
    except ValidationError:
        # What stops it ending is listed at the top of the page, each linked to its section.
        return _page(request, discussion, checker, section="end", status=400)
    due = to_local(ended.minutes_deadline.due_at) if ended.minutes_deadline else None
    messages.success(
        request,
        "Meeting ended: the strategy discussion is held"
        + (f"; the minutes are due by {due.day} {due:%B %Y %H:%M}" if due else ""),
    )
    return redirect("strategy:meeting", discussion_pk=discussion.pk)


@case_methods(["POST"], _sees_discussion)
def discussion_authorise(request: AuthenticatedRequest, discussion_pk: int) -> HttpResponse:
    discussion, checker = get_discussion_for_user(request.user, discussion_pk, write=True)
    if not checker.can_authorise_s47():
        raise PermissionDenied("Only a team manager in children's social care authorises a section 47 enquiry")
    decision = _posted(request, discussion.decisions.all(), "decision", "No such decision")
    try:
        services.decision_authorise_s47(
            acting_user=request.user, checker=checker, decision=decision, now=timezone.now()
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Section 47 enquiry authorised for {decision.child.full_name}")
    return redirect(reverse("strategy:meeting", kwargs={"discussion_pk": discussion.pk}) + "#decision")


@case_methods(["POST"], _sees_discussion)
def invitation_withdraw(request: AuthenticatedRequest, discussion_pk: int) -> HttpResponse:
    discussion, checker = get_discussion_for_user(request.user, discussion_pk, write=True)
    if not checker.can_record_all():
        raise PermissionDenied("Only CSC social workers and team managers withdraw invitations")
    invitation = _posted(request, discussion.invitations.all(), "invitation", "No such invitation")
    try:
        services.invitation_withdraw(
            acting_user=request.user, checker=checker, invitation=invitation, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Invitation to {invitation.name} withdrawn")
    return redirect(reverse("strategy:meeting", kwargs={"discussion_pk": discussion.pk}) + "#invite")


def _case_act(
    request: AuthenticatedRequest, referral, form, act: Callable[[dict[str, Any]], object], *, done: str, page: str
) -> HttpResponse:
    """A team manager's act on a whole case (close, reopen): the page, or the act through its service with what was
    typed kept on a refusal."""
    if request.method == "POST" and form.is_valid():
        try:
            act(form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Case {referral.reference} {done}")
            return redirect("referrals:detail", pk=referral.pk)
    if request.method == "GET":
        case_services.case_view_record(user=request.user, referral=referral, page=f"{page} case")
    context = {
        "referral": referral,
        "form": form,
        "held": case_services.discussion_ever_held(referral),
        # A meeting being held stops the closure (the service refuses it): said before the form is filled.
        "being_held": selectors.discussion_being_held(referral),
        "has_errors": bool(form.errors),
    }
    return render(request, f"strategy/case_{page}.html", context, status=400 if form.errors else 200)


@case_methods(["GET", "POST"], _sees_case)
def case_close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Close the case with its outcome and the reason: a CSC team manager's act (DOMAIN section 1, step 6).

    Refused, with what was typed kept, without an outcome or a reason, while a discussion is being
    held, or with an outcome other than "threshold not met at referral" when no discussion was held.
    """
    referral, checker = case_access.get_referral_for_user(request.user, pk)
    if checker.can_reopen():  # a team manager, at a case closed since the link was followed
        raise NotNow(f"{referral.reference} is already closed. Reopen it from the case page if it must be.")
    if not checker.can_close():
        raise PermissionDenied("Only a team manager in children's social care closes an open case")
    form = forms.CloseCaseForm(request.POST if request.method == "POST" else None)

    def close(data: dict[str, Any]) -> object:
        return services.case_close(
            acting_user=request.user,
            referral=referral,
            outcome=data["outcome"],
            reason=data["reason"],
            now=timezone.now(),
        )

    return _case_act(request, referral, form, close, done="closed", page="close")


@case_methods(["GET", "POST"], _sees_case)
def case_reopen(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Reopen a closed case with the reason: a CSC team manager's act (DOMAIN section 1, step 6)."""
    referral, checker = case_access.get_referral_for_user(request.user, pk)
    if checker.can_close():  # a team manager, at a case reopened since the link was followed
        raise NotNow(f"{referral.reference} is open: there is nothing to reopen.")
    if not checker.can_reopen():
        raise PermissionDenied("Only a team manager in children's social care reopens a closed case")
    form = forms.ReopenCaseForm(request.POST if request.method == "POST" else None)

    def reopen(data: dict[str, Any]) -> object:
        return services.case_reopen(
            acting_user=request.user, referral=referral, reason=data["reason"], now=timezone.now()
        )

    return _case_act(request, referral, form, reopen, done="reopened", page="reopen")


@case_methods(["GET", "POST"], _sees_case)
def deadline_step(request: AuthenticatedRequest, pk: int, deadline_pk: int) -> HttpResponse:
    """Record the step that meets a clock after the meeting (the conference, the assessment, the medical report,
    the risk review): for the people whose work it is; anyone else who sees the case gets 404 for the page."""
    referral, checker = case_access.get_referral_for_user(request.user, pk)
    deadline = Deadline.objects.select_related("child").filter(pk=deadline_pk, referral=referral).first()
    if deadline is None or not case_steps.can_record_step(checker, deadline):
        raise Http404("No such step to record")
    step = case_steps.step_for(deadline)
    form = forms.StepForm(request.POST if request.method == "POST" else None, step=step, rule=deadline.rule)
    if request.method == "GET":
        case_services.case_view_record(user=request.user, referral=referral, page="record a step")
    elif form.is_valid():
        try:
            steps.deadline_step_record(
                acting_user=request.user, checker=checker, deadline=deadline, data=form.cleaned_data, now=timezone.now()
            )
        except ValidationError as exc:
            add_service_errors(form, exc, {})
        else:
            messages.success(request, f"{step.met_by}: recorded" if step else "Recorded")
            return redirect(reverse("referrals:detail", kwargs={"pk": referral.pk}) + "#deadlines")
    context = {"referral": referral, "deadline": deadline, "step": step, "form": form}
    return render(request, "strategy/step.html", context, status=400 if form.errors else 200)


@case_methods(["GET"], _sees_case)
def case_history(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Every change to the case, field by field, newest first: for whoever may see the case."""
    referral, checker = case_access.get_referral_for_user(request.user, pk)
    case_services.case_view_record(user=request.user, referral=referral, page="history")
    # Newer and older pages go by keyset, as the lists do; a cursor that does not parse starts from the newest.
    page = history.case_history(referral, params=request.GET)
    return render(request, "strategy/history.html", {"referral": referral, "page": page})
