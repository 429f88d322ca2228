"""Writes for contributions (issue 31): external invitees, requests for information, the one-time code, and the
contribution sent through the link.

* A request's clock is opened through `referrals.deadlines` with its due moment from `core.timescales`
  (`information_request_due`); after a meeting that proceeded without the agency asked, the request meets the
  automatic "Obtain information from ..." action instead, and shares that action's clock: never a second one.
* The emailed link carries a random token stored hashed (SHA-256, as the minutes link). Opening it asks for a
  one-time code sent to the same address: six digits, stored as an HMAC keyed with the site's secret (six digits
  alone would be read back from a leaked hash at once), valid 15 minutes, refused after 5 wrong tries, used once.
* Emails carry a link or a code only: never a child's name, the case's reference or its organisation.
"""

import datetime as dt
import hashlib
import logging
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from actions.access import ActionChecker
from actions.models import Action, ActionStatus
from actions.services import action_set_status
from agencies.models import AgencyType, User
from agencies.selectors import partnership_calendar
from contributions import codes, pdf_check
from contributions.models import (
    CONTRIBUTION_PARTS,
    PART_MAX_LENGTH,
    Contribution,
    ContributionFile,
    ExternalInvitee,
    ExternalKind,
    InformationRequest,
)
from core.forms import worded
from core.history import record
from core.timescales import Rule, contribution_link_ends, information_request_due, to_local
from referrals.access import ReferralChecker
from referrals.deadlines import deadline_meet, deadline_open
from referrals.models import DeadlineState, Person
from strategy.access import DiscussionChecker
from strategy.models import Attendance, Discussion, DiscussionAction, Invitation, InvitationStatus

log = logging.getLogger(__name__)

CODE_MINUTES = codes.CODE_MINUTES
CODE_WRONG_TRIES = codes.CODE_WRONG_TRIES


def _label(model: type, field: str) -> str:
    return str(model._meta.get_field(field).verbose_name)  # type: ignore[attr-defined]


def _full_clean(instance: Any) -> None:
    """The model's own checks, each in GOV.UK words on its field."""
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise ValidationError(
            {
                field: [worded(error, _label(type(instance), field) if field != "__all__" else "") for error in errors]
                for field, errors in exc.error_dict.items()
            }
        ) from exc


# --- External invitees ----------------------------------------------------------------------------------------


def external_invitee_add(
    *, acting_user: User, checker: DiscussionChecker, data: Mapping[str, Any], now: dt.datetime
) -> ExternalInvitee:
    """Invite a named person outside the partnership to a discussion: name, organisation, role, email and kind.

    Whoever may invite to the discussion (CSC social workers and team managers while the case is open, as
    `strategy.services.invitation_add`); also after the meeting, so their information can be asked for then. They
    get no account and see nothing of the case."""
    if not checker.can_record_all():
        raise PermissionDenied("Only CSC social workers and team managers invite people to a discussion")
    discussion = checker.discussion
    text = {key: str(data.get(key) or "").strip() for key in ("name", "organisation", "role", "email", "kind")}
    errors: dict[str, str] = {}
    messages = {
        "name": "Enter the person's full name",
        "organisation": "Enter the organisation they work for",
        "role": "Enter their role",
        "email": "Enter their email address",
        "kind": "Select the kind of organisation",
    }
    for key, message in messages.items():
        if not text[key]:
            errors[key] = message
    if text["kind"] and text["kind"] not in ExternalKind.values:
        errors["kind"] = messages["kind"]
    if text["email"] and "email" not in errors:
        already = discussion.external_invitees.filter(removed_at=None, email__iexact=text["email"]).first()
        if already is not None:
            errors["email"] = f"{already.name} is already invited with this email address"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        invitee = ExternalInvitee(discussion=discussion, added_by=acting_user, added_at=now, **text)
        _full_clean(invitee)
        record(invitee, acting_user, "Invited from outside the partnership")
        invitee.save()
    return invitee


# --- Requests for information ---------------------------------------------------------------------------------


def age_band(child: Person, day: dt.date) -> str:
    """What the recipient is told of a child's age: a band, never the date of birth."""
    if child.unborn:
        return "unborn"
    years = child.age_on(day)
    if years is None:
        return "age not known"
    for top, band in ((1, "under 1"), (5, "1 to 4"), (11, "5 to 10"), (16, "11 to 15"), (18, "16 or 17")):
        if years < top:
            return band
    return "18 or over"


def shared_children(request: InformationRequest, *, now: dt.datetime) -> list[str]:
    """Each child the chair chose to share, as the recipient sees them: "Robin, 5 to 10"."""
    today = to_local(now).date()
    children = sorted(request.children.all(), key=lambda child: (child.position, child.pk))  # prefetched on a list
    return [f"{child.first_name or 'Unborn baby'}, {age_band(child, today)}" for child in children]


def who_may_be_asked(discussion_checker: DiscussionChecker) -> list[tuple[str, str]]:
    """Whom a request may go to: each external invitee, and each invited agency that has not attended."""
    discussion = discussion_checker.discussion
    choices = [
        (f"external-{invitee.pk}", f"{invitee.name}, {invitee.role} ({invitee.organisation})")
        for invitee in discussion.external_invitees.filter(removed_at=None)
    ]
    invitations = (
        discussion.invitations.filter(status=InvitationStatus.INVITED)
        .exclude(attendance=Attendance.ATTENDED)
        .exclude(agency__agency_type=AgencyType.CHILDRENS_SOCIAL_CARE)
        .select_related("agency", "person")
    )
    choices += [(f"invitation-{invitation.pk}", invitation.label) for invitation in invitations]
    return choices


def _automatic_action(discussion_pk: int, invitation: Invitation) -> Action | None:
    """The automatic "Obtain information from ..." action of a meeting that proceeded without this agency, still
    open (DOMAIN section 4): a request to that agency is how it is met."""
    link = (
        DiscussionAction.objects.filter(
            discussion_id=discussion_pk,
            action__automatic=True,
            action__lead_agency_id=invitation.agency_id,
            action__finished=False,
        )
        .select_related("action__deadline")
        .order_by("action__created_at", "action_id")
        .first()
    )
    return link.action if link is not None else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def information_request_create(
    *,
    acting_user: User,
    checker: DiscussionChecker,
    recipient: str,
    question: str,
    children: Sequence[Person],
    email: str = "",
    now: dt.datetime,
) -> InformationRequest:
    """Ask an external invitee, or an invited agency that will not attend, for their information (issue 31).

    `recipient`: "external-<pk>" or "invitation-<pk>" (`who_may_be_asked`). `children`: those whose first name and age
    band the recipient is shown. `email`: for an agency's invitation whose named person has no account with an
    address. The clock: due before the meeting when asked before it, else by the end of the next working day
    (`core.timescales.information_request_due`); after a meeting that proceeded without the agency, the automatic
    action's clock, which the contribution then meets by completing the action. The email goes on commit.
    """
    if not checker.can_record_all():
        raise PermissionDenied("Only CSC social workers and team managers ask for information")
    discussion = checker.discussion
    errors: dict[str, str] = {}
    invitee: ExternalInvitee | None = None
    invitation: Invitation | None = None
    kind, _, key = (recipient or "").partition("-")
    if kind == "external" and key.isdigit():
        invitee = discussion.external_invitees.filter(pk=int(key), removed_at=None).first()
    elif kind == "invitation" and key.isdigit():
        invitation = (
            discussion.invitations.filter(pk=int(key), status=InvitationStatus.INVITED)
            .exclude(attendance=Attendance.ATTENDED)
            .select_related("agency", "person")
            .first()
        )
    if invitee is None and invitation is None:
        errors["recipient"] = "Select who you are asking for information"
    address = email.strip()
    if invitee is not None:
        address = invitee.email
    elif invitation is not None and invitation.person_id and invitation.person.email:  # type: ignore[union-attr]
        address = invitation.person.email  # type: ignore[union-attr]
    elif invitation is not None and not address:
        errors["email"] = f"Enter the email address to send the request to at {invitation.agency}"
    question = (question or "").strip()
    if not question:
        errors["question"] = "Enter what you are asking for"
    elif len(question) > PART_MAX_LENGTH:
        errors["question"] = f"What you are asking for must be {PART_MAX_LENGTH:,} characters or fewer"
    own = set(discussion.children.values_list("pk", flat=True))
    if any(child.pk not in own for child in children):
        errors["children"] = "Select children this discussion is about"
    if errors:
        raise ValidationError(errors)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        calendar = partnership_calendar(discussion.referral.partnership)
        action = _automatic_action(discussion.pk, invitation) if invitation is not None and discussion.ended else None
        if action is not None:
            deadline = action.deadline  # the action's clock is the request's: never a second one
        else:
            due = information_request_due(
                now, discussion.scheduled_at, meeting_over=discussion.ended, calendar=calendar
            )
            deadline = deadline_open(
                acting_user=acting_user,
                referral=discussion.referral,
                rule=Rule.INFORMATION_REQUEST,
                starts_at=now,
                agreed_due=due,
                responsible=invitation.person if invitation is not None else acting_user,
                agency=invitation.agency if invitation is not None else acting_user.agency,
                reason="Information requested",
                calendar=calendar,
            )
        request = InformationRequest(
            discussion=discussion,
            external_invitee=invitee,
            invitation=invitation,
            recipient_name=invitee.name if invitee is not None else invitation.name,  # type: ignore[union-attr]
            recipient_organisation=(
                invitee.organisation if invitee is not None else str(invitation.agency)  # type: ignore[union-attr]
            ),
            email=address,
            question=question,
            deadline=deadline,
            action=action,
            link_ends_at=contribution_link_ends(deadline.due_at, calendar),
            asked_by=acting_user,
            asked_at=now,
            token_hash=_token_hash(token),
        )
        _full_clean(request)
        record(request, acting_user, "Information requested")
        request.save()
        request.children.set(children)
        transaction.on_commit(partial(_email_request, request.pk, token))
    return request


def _send(address: str, subject: str, message: str) -> bool:
    try:
        send_mail(subject=subject, message=message, from_email=None, recipient_list=[address], fail_silently=False)
    except Exception:
        log.warning("a contribution email could not be sent", exc_info=True)
        return False
    return True


def _email_request(request_pk: int, token: str) -> None:
    """The request's link, and nothing else: no child's name, no reference, no organisation of the case."""
    request = InformationRequest.objects.get(pk=request_pk)
    link = settings.SITE_URL.rstrip("/") + reverse("contributions:link", args=[token])
    _send(
        request.email,
        "Strategy Discussions: information asked of you",
        "You have been asked for information for a strategy discussion. Open: "
        f"{link}\n\nThe page will send a code to this email address before you can read or answer the request. "
        f"The link works until {to_local(request.link_ends_at):%-d %B %Y, %H:%M}.\n\n"
        "This email holds no case details on purpose. If it was not meant for you, delete it and tell the sender.",
    )


# --- The link and its one-time code ---------------------------------------------------------------------------


def link_request(token: str, *, now: dt.datetime) -> InformationRequest | None:
    """The request an emailed link is for, while it is in its window and nothing has been sent; else None."""
    if not token or len(token) > 100:
        return None
    return (
        InformationRequest.objects.select_related("discussion", "deadline")
        .filter(token_hash=_token_hash(token), submitted_at=None, link_ends_at__gt=now)
        .first()
    )


def link_submitted(token: str) -> InformationRequest | None:
    """The request an emailed link is for, once its contribution has been sent (else None)."""
    if not token or len(token) > 100:
        return None
    return InformationRequest.objects.filter(token_hash=_token_hash(token), submitted_at__isnull=False).first()


CODE_PURPOSE = "contribution-code"


def code_send(*, request: InformationRequest, now: dt.datetime) -> None:
    """A new six-digit code to the address the request was sent to: 15 minutes, 5 wrong tries, used once. Any
    earlier code stops working (contributions.codes)."""
    with transaction.atomic():
        # Not the record: the code's working fields change without a history row (excluded from history).
        code = codes.code_issue(model=InformationRequest, pk=request.pk, purpose=CODE_PURPOSE, now=now)
        transaction.on_commit(
            partial(
                _send,
                request.email,
                "Strategy Discussions: your code",
                f"Your code is {code}\n\nIt works once, for {CODE_MINUTES} minutes. "
                "If you did not ask for it, delete this email.",
            )
        )


def code_check(*, request: InformationRequest, code: str, now: dt.datetime) -> None:
    """Check a code typed on the link's page: right, in date and not used up returns; else a ValidationError on
    "code". A right code is used up at once; each wrong one counts, and the fifth stops the code."""
    codes.code_verify(model=InformationRequest, pk=request.pk, purpose=CODE_PURPOSE, code=code, now=now)


# --- The contribution -----------------------------------------------------------------------------------------


def clean_file_name(name: str) -> str:
    """The name a file was sent under, as shown to practitioners: its last part only, printable characters, at most
    200 (never used to serve it: the download's name is made here)."""
    base = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return (cleaned or "file.pdf")[:200]


def files_check(files: Sequence[Any]) -> list[tuple[str, bytes]]:
    """Each uploaded file (`name`, `size`, `read()`) through contributions.pdf_check: its cleaned name and bytes,
    or a ValidationError on "pdfs" naming each refused file and why (any refusal refuses them all)."""
    if len(files) > pdf_check.MAX_FILES:
        raise ValidationError({"pdfs": f"Select {pdf_check.MAX_FILES} files or fewer"})
    checked, errors = [], []
    for upload in files:
        name = clean_file_name(getattr(upload, "name", ""))
        try:
            if (upload.size or 0) > pdf_check.MAX_BYTES:
                raise pdf_check.Refused("must be 10 MB or smaller")
            if not upload.size:
                raise pdf_check.Refused("is empty")
            data = upload.read(pdf_check.MAX_BYTES + 1)
            pdf_check.check(data)
        except pdf_check.Refused as exc:
            errors.append(f"The file {name} {exc}")
        else:
            checked.append((name, data))
    if errors:
        raise ValidationError({"pdfs": errors})
    return checked


def contribution_submit(
    *, request: InformationRequest, data: Mapping[str, Any], files: Sequence[Any] = (), now: dt.datetime
) -> Contribution:
    """Send the contribution: once. Meets the request's clock, or completes the automatic action it was asked for.

    The author has no account: the contribution's history names nobody as its user, and its reason names the
    author and organisation copied from the request. What it does to the case's clock and action is recorded as
    done by the person who asked, "on receipt" (the action through `actions.services.action_set_status`, as the
    discussion's chair may update it). Each part is optional but one is needed, each at most 5,000 characters;
    whether it may be shared with the family is yes or no. `files`: up to 5 PDF files (`files_check`), stored with
    it in the same transaction; one bad file refuses the whole submission.
    """
    parts = {key: str(data.get(key) or "").strip() for key in CONTRIBUTION_PARTS}
    errors: dict[str, Any] = {}
    for key, value in parts.items():
        if len(value) > PART_MAX_LENGTH:
            errors[key] = f"{CONTRIBUTION_PARTS[key]} must be {PART_MAX_LENGTH:,} characters or fewer"
    if not any(parts.values()):
        errors["known_involvement"] = "Write at least one part of your contribution"
    shareable = data.get("shareable_with_family")
    if not isinstance(shareable, bool):
        errors["shareable_with_family"] = "Select yes if what you have written may be shared with the family"
    checked: list[tuple[str, bytes]] = []
    try:
        checked = files_check(files)
    except ValidationError as exc:
        errors["pdfs"] = exc.message_dict["pdfs"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        request = (
            InformationRequest.objects.select_for_update(of=("self",))
            .select_related("deadline__partnership", "asked_by", "discussion__chair")
            .get(pk=request.pk)
        )
        if request.submitted_at is not None or request.link_ends_at <= now:
            raise ValidationError("This link has expired or is not valid")
        request.submitted_at = now
        reason = f"Sent through the secure link by {request.recipient_name} ({request.recipient_organisation})"
        record(request, None, "Contribution received")
        request.save()
        contribution = Contribution(
            request=request,
            shareable_with_family=bool(shareable),
            author_name=request.recipient_name,
            author_organisation=request.recipient_organisation,
            submitted_at=now,
            **parts,
        )
        _full_clean(contribution)
        record(contribution, None, reason)
        contribution.save()
        for name, content in checked:
            stored = ContributionFile(
                contribution=contribution,
                original_name=name,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                pdf=content,
                uploaded_at=now,
            )
            record(stored, None, reason)
            stored.save()
        asker = request.asked_by
        _counts_in_advance(request, asker, reason, now)
        if request.action_id is not None:
            _complete_action(request, asker, reason, now)
        elif request.deadline.state == DeadlineState.OPEN:
            deadline_meet(acting_user=asker, deadline=request.deadline, at=now, by="Information received")
    return contribution


def _counts_in_advance(request: InformationRequest, asker: User, reason: str, now: dt.datetime) -> None:
    """An invited agency's contribution sent before the meeting began is its information sent in advance: the
    attendance list says so, as if ticked (an external invitee has no invitation: the meeting page and the minutes
    list their contribution)."""
    if request.invitation_id is None:
        return
    discussion = Discussion.objects.select_for_update().get(pk=request.discussion_id)
    if discussion.held_at is not None and discussion.held_at < now:
        return
    invitation = Invitation.objects.select_for_update().get(pk=request.invitation_id)
    if invitation.information_sent_in_advance:
        return
    invitation.information_sent_in_advance = True
    record(invitation, asker, reason)
    invitation.save(update_fields=["information_sent_in_advance"])
    # The attendance section changed under anyone who has it open: their older copy is refused, not saved over this.
    versions = {**discussion.section_versions, "attendance": discussion.section_version("attendance") + 1}
    Discussion.objects.filter(pk=discussion.pk).update(section_versions=versions)


def _complete_action(request: InformationRequest, asker: User, reason: str, now: dt.datetime) -> None:
    """The automatic action is done: its information came through the link (the chair's checker: they may update
    an action their discussion agreed while the case is open; closed, the action was cancelled already)."""
    action = Action.objects.select_related("referral__partnership", "lead_agency").get(pk=request.action_id or 0)
    if action.status in (ActionStatus.DONE, ActionStatus.CANCELLED):
        return
    checker = ActionChecker(case=ReferralChecker.for_user(request.discussion.chair, action.referral), action=action)
    if not checker.can_update():
        return
    action_set_status(acting_user=asker, checker=checker, status=ActionStatus.DONE, note=reason, now=now)
