"""The meeting page's contents: each section's state, and whether this user can act on it.

A section the user can act on is shown open; one they cannot act on (read only for them, or not
until the meeting starts) is folded to one line, so a chair or an invited officer sees first what
is theirs to do (issue 25, item 6). The states are one vocabulary, GOV.UK task list style.
Derived from what the meeting page already loaded (selectors.meeting and the section forms);
the one rule not held there, what every discussion records, is asked of its service.
"""

from dataclasses import dataclass
from typing import Any

from strategy import services
from strategy.models import PLAN_ITEMS, Attendance, DiscussionStatus

COMPLETED = "Completed"
IN_PROGRESS = "In progress"
NOT_STARTED = "Not started"
CANNOT_START = "Cannot start yet"
NOT_NEEDED = "Not needed"

# The sections in the order of the page (each is strategy/sections/<key>.html, with id="<key>").
TITLES = {
    "invite": "Invitations",
    "attendance": "Attendance and quoracy",
    "proceed": "Proceeding without an agency",
    "information": "Information shared",
    "risk": "Risk analysis",
    "decision": "Decisions for each child",
    "standing": "Recorded whatever the outcome",
    "plan": "Enquiry plan",
    "family": "What the family is told",
    "action": "Actions agreed",
}


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    state: str
    can_act: bool
    is_open: bool

    @property
    def template(self) -> str:
        return f"strategy/sections/{self.key}.html"

    @property
    def tag(self) -> str:
        """GOV.UK task list: a state with something still to do is a coloured tag; the others are plain text."""
        return {NOT_STARTED: "blue", IN_PROGRESS: "light-blue"}.get(self.state, "")

    @property
    def muted(self) -> bool:
        return self.state in (CANNOT_START, NOT_NEEDED)

    @property
    def hint(self) -> str:
        """Why a section is folded, under its name in the contents."""
        if self.state == CANNOT_START and self.can_act:
            return "Start the meeting first"
        return "" if self.can_act else "Read only"


def _count_state(done: int, of: int, *, anything: bool) -> str:
    if of and done == of:
        return COMPLETED
    return IN_PROGRESS if done or anything else NOT_STARTED


def _ongoing(entries: list, *, ended: bool) -> str:
    """Information and actions have no end of their own: recorded so far, and complete once the meeting ended."""
    if not entries:
        return NOT_STARTED
    return COMPLETED if ended else IN_PROGRESS


def meeting_contents(context: dict[str, Any], *, open_all: bool = False) -> list[Section]:
    """Every section of the meeting page, in order: its state, whether the user can act on it, and whether
    it is shown open (the user can act on it now, it is the one just saved or refused, or all were asked for)."""
    discussion = context["discussion"]
    checker = context["checker"]
    started = discussion.status != DiscussionStatus.CONVENED
    ended = discussion.ended
    record_all = checker.can_record_all()
    active = context["active_invitations"]
    children = context["children"]
    decisions = context["decisions"]
    states: dict[str, tuple[str, bool]] = {}

    states["invite"] = (COMPLETED if active else NOT_STARTED, record_all and not ended)

    marked = [i for i in active if i.attendance != Attendance.INVITED]
    states["attendance"] = (
        _count_state(len(marked), len(active), anything=False),
        bool(context["attendance_form"].rows),
    )

    excused = {agency.pk for agency in context["proceeded_without"]}
    unexcused = [pk for pk in context["quoracy"].missing_agency_ids if pk not in excused]
    if context["proceeds"]:
        proceed = IN_PROGRESS if unexcused else COMPLETED
    elif not started:
        proceed = CANNOT_START
    else:
        proceed = NOT_STARTED if unexcused else NOT_NEEDED
    states["proceed"] = (proceed, record_all and not ended)

    states["information"] = (
        _ongoing(context["information"], ended=ended),
        bool(context["information_form"].fields["agency"].choices),
    )

    risks = [risk for _child, risk in context["risk_rows"]]
    states["risk"] = (
        _count_state(
            sum(1 for r in risks if r is not None and not r.unanswered()),
            len(children),
            anything=any(risks) or bool(discussion.risk_review.strip()),
        ),
        record_all,
    )

    decided = [child for child in children if child.pk in decisions]
    states["decision"] = (
        _count_state(len(decided), len(children), anything=False) if started else CANNOT_START,
        record_all,
    )

    if not started:
        standing = CANNOT_START
    elif not services.standing_problems(discussion):
        standing = COMPLETED
    else:
        standing = IN_PROGRESS if discussion.police_decision or context["child_records"] else NOT_STARTED
    states["standing"] = (standing, record_all)

    answered = sum(1 for item in context["plan"].values() if item.recorded)
    if any(d.s47 for d in decisions.values()):
        plan = _count_state(answered, len(PLAN_ITEMS), anything=False)
    elif children and len(decided) == len(children):
        plan = NOT_NEEDED
    else:
        plan = IN_PROGRESS if answered else NOT_STARTED
    states["plan"] = (plan, record_all)

    if context["family_summary"] is not None:
        family = COMPLETED
    else:
        family = NOT_STARTED if started else CANNOT_START
    states["family"] = (family, checker.can_chair())

    states["action"] = (_ongoing(context["actions"], ended=ended), record_all)

    shown = context.get("section", "").split("-")[0]
    shown = {"outcome": "decision"}.get(shown, shown)
    return [
        Section(
            key=key,
            title=title,
            state=state,
            can_act=can_act,
            is_open=open_all or key == shown or (can_act and state != CANNOT_START),
        )
        for key, title in TITLES.items()
        for state, can_act in [states[key]]
    ]
