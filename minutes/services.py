"""Writes for the minutes: approve a version, render its PDFs once, build and edit the distribution list,
circulate, and let a recipient who is not a user download their version once through an emailed link.

One transaction per user action; rules are checked before anything is written.
"""

import datetime as dt
import hashlib
import json
import logging
import re
import secrets
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Min, Q
from django.urls import reverse
from django.utils import timezone

from agencies.models import User
from contributions import codes
from core import events, queue
from core.history import record
from minutes import pdf
from minutes import record as minutes_record
from minutes.access import MinutesChecker
from minutes.models import (
    REQUIRED_SOURCES,
    Circulation,
    DraftDocument,
    ExternalDownload,
    Kind,
    MinutesDocument,
    MinutesVersion,
    Recipient,
    Sends,
    Source,
)
from referrals.deadlines import deadline_meet
from referrals.models import Deadline, DeadlineState, EducationStatus, PersonKind
from referrals.services import case_view_record
from strategy.models import Discussion, InvitationStatus

log = logging.getLogger(__name__)


# --- The distribution list -----------------------------------------------------------------------------------


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def proposed_recipients(discussion: Discussion) -> list[Recipient]:
    """The distribution of DOMAIN section 6: every invitee (attended or not); each child's GP, health visitor,
    school nurse or midwife, and education setting's designated safeguarding lead where the case records them."""
    invitations = list(
        discussion.invitations.filter(status=InvitationStatus.INVITED).select_related("agency", "person").order_by("pk")
    )
    found: list[Recipient] = []
    for invitation in invitations:
        person = invitation.person
        found.append(
            Recipient(
                source=Source.INVITEE,
                source_key=f"invitation:{invitation.pk}",
                invitation=invitation,
                user=person,
                name=(person.get_full_name() or person.username)
                if person
                else (invitation.contact_name or "Named contact"),
                role=invitation.role,
                organisation=invitation.agency.name,
                email=person.email if person else "",
                sends=Sends.FULL,
            )
        )
    invited_names = {_key(i.agency.name) for i in invitations}
    for child in discussion.children.filter(kind=PersonKind.CHILD).order_by("position", "pk"):
        if child.gp:
            found.append(_professional(Source.GP, child.gp, "GP"))
        if child.health_visitor_or_school_nurse:
            role = "Midwife" if child.unborn else "Health visitor or school nurse"
            found.append(_professional(Source.HEALTH, child.health_visitor_or_school_nurse, role))
        if (
            child.education_setting
            and child.education_status in ("", EducationStatus.ON_ROLL)
            and _key(child.education_setting) not in invited_names
        ):
            found.append(_professional(Source.EDUCATION, child.education_setting, "Designated safeguarding lead"))
    unique: dict[str, Recipient] = {}
    for recipient in found:
        unique.setdefault(recipient.source_key, recipient)
    return list(unique.values())


def _professional(source: Source, organisation: str, role: str) -> Recipient:
    """A professional the case records for a child, named by their role: one line per organisation, however many
    children share it."""
    return Recipient(
        source=source,
        source_key=f"{source.value}:{_key(organisation)}",
        name=role,
        role=role,
        organisation=organisation,
        sends=Sends.FULL,
    )


def distribution_build(*, acting_user: User, discussion: Discussion) -> list[Recipient]:
    """Build the distribution list from the record, once: when the meeting ends (`on_meeting_ended`). From then on
    it is edited (added to, addresses, versions chosen, taken off), never built again. Returns the list."""
    with transaction.atomic():
        discussion = Discussion.objects.select_for_update().get(pk=discussion.pk)
        if not discussion.recipients.exists():  # type: ignore[attr-defined]
            for recipient in proposed_recipients(discussion):
                recipient.discussion, recipient.added_by = discussion, acting_user
                record(recipient, acting_user, "Distribution list built from the record")
                recipient.save()
    return recipients(discussion)


def on_meeting_ended(event: events.MeetingEnded) -> None:
    """core.events: the meeting ended, so its minutes' distribution list is built (DOMAIN section 6)."""
    distribution_build(acting_user=event.acting_user, discussion=Discussion(pk=event.discussion_pk))


def on_invitee_named(event: events.InviteeNamed) -> None:
    """core.events: a user was named on an invitation. Its line of the distribution list (if built: the chair names
    who attended after the end) is sent to their account from then on, with the address on it: nobody types an
    attendee's address."""
    person = User.objects.get(pk=event.person_pk)
    for recipient in (
        Recipient.objects.select_for_update()
        .filter(invitation_id=event.invitation_pk, source=Source.INVITEE, removed_at=None)
        .exclude(user=person)
    ):
        recipient.user, recipient.name, recipient.email = person, str(person), ""
        record(recipient, event.acting_user, "Named at the meeting: sent to their account")
        recipient.save()


def recipients(discussion: Discussion) -> list[Recipient]:
    """The distribution list as it stands (empty until the meeting has ended): a read, never a write."""
    return list(discussion.recipients.filter(removed_at=None).select_related("user").order_by("pk"))  # type: ignore[attr-defined]


ACCOUNT = ": a user of the product, sent to their account"


def account_with_email(email: str) -> User | None:
    """The one active user whose account has this email address, if any (else None, two accounts sharing it too).

    A recipient who is a user is sent a link to their account (they sign in, with their second factor), never a
    single-use link anyone holding the email could open (issue 25: a police officer was sent an anonymous link).
    """
    email = (email or "").strip()
    if not email:
        return None
    users = list(User.objects.filter(is_active=True, email__iexact=email).order_by("pk")[:2])
    return users[0] if len(users) == 1 else None


def _link_account(recipient: Recipient) -> bool:
    """A recipient typed with a user's email address becomes that user's: their account's address is used.
    Returns whether it did (the caller records it and saves)."""
    if recipient.user_id or recipient.source == Source.FAMILY:
        return False
    user = account_with_email(recipient.email)
    if user is None:
        return False
    recipient.user, recipient.email = user, ""
    return True


@dataclass(frozen=True)
class RecipientInput:
    name: str
    role: str
    organisation: str
    email: str
    family: bool
    sends: str = Sends.NONE


def _sends_problem(name: str, *, family: bool, sends: str) -> str | None:
    """The one rule of what a recipient may be sent: a family member never the minutes, only the family summary."""
    if sends not in Sends.values:
        return f"Choose what {name} is sent"
    if family and sends == Sends.FULL:
        return f"{name} is family: they can be sent the family summary only, or nothing"
    return None


def recipient_add(*, acting_user: User, checker: MinutesChecker, data: RecipientInput) -> Recipient:
    """Add someone to the distribution list; only the chair chooses what they are sent (else: nothing yet)."""
    if not checker.can_edit_distribution():
        raise PermissionDenied("You cannot change the distribution list")
    sends = data.sends if checker.can_approve() else Sends.NONE
    problem = _sends_problem(data.name, family=data.family, sends=sends)
    if problem:
        raise ValidationError({"sends": problem})
    with transaction.atomic():
        recipient = Recipient(
            discussion=checker.discussion,
            source=Source.FAMILY if data.family else Source.OTHER,
            name=data.name,
            role=data.role,
            organisation=data.organisation,
            email=data.email,
            sends=sends,
            added_by=acting_user,
        )
        recipient.full_clean()
        linked = _link_account(recipient)
        record(recipient, acting_user, "Added to the distribution list" + (ACCOUNT if linked else ""))
        recipient.save()
    return recipient


def _recipient(checker: MinutesChecker, pk: int) -> Recipient:
    recipient = checker.discussion.recipients.select_for_update().filter(pk=pk, removed_at=None).first()  # type: ignore[attr-defined]
    if recipient is None:
        raise ValidationError({"recipient": "That person is no longer on the distribution list"})
    return recipient


def distribution_save(
    *, acting_user: User, checker: MinutesChecker, emails: dict[int, str], choices: dict[int, str] | None = None
) -> int:
    """Save the distribution list: email addresses of those who are not users, and (the chair only) which version
    each recipient gets. One transaction; returns how many recipients changed.

    What a recipient is sent follows the address the chair chose it for (issue 26, finding 5): changing an address
    that was there resets what they are sent to nothing and flags them for the chair (`choose_again`), until the
    chair chooses a version again. The first address given for a recipient of the proposed distribution (DOMAIN
    section 6) is not a change; nor is the chair's own change made with their choice for that row in the same save
    (they chose with the new address in front of them)."""
    if not checker.can_edit_distribution():
        raise PermissionDenied("You cannot change the distribution list")
    if choices and not checker.can_approve():
        raise PermissionDenied("Only the chair (a team manager) chooses which version each recipient gets")
    choices = choices or {}
    changed, reset_count = 0, 0
    with transaction.atomic():
        recipients = {
            r.pk: r
            for r in checker.discussion.recipients.select_for_update().filter(removed_at=None)  # type: ignore[attr-defined]
        }
        errors = {}
        for pk, sends in choices.items():
            recipient = recipients.get(pk)
            if recipient is None:
                continue
            problem = _sends_problem(str(recipient), family=recipient.source == Source.FAMILY, sends=sends)
            if problem:
                errors[f"sends-{pk}"] = problem
        if errors:
            raise ValidationError(errors)
        for pk, recipient in recipients.items():
            reasons = []
            address_changed = False
            if pk in emails and not recipient.user_id and emails[pk] != recipient.email:
                address_changed = bool(recipient.email)  # a first address is given, not changed
                recipient.email = emails[pk]
                reasons.append("email address changed")
            reset = address_changed and recipient.sends != Sends.NONE
            if reset:
                recipient.sends, recipient.choose_again = Sends.NONE, True
                reset_count += 1
            chosen = choices.get(pk)
            if chosen is not None and chosen != recipient.sends:
                recipient.sends = chosen
                recipient.choose_again = recipient.choose_again and chosen == Sends.NONE
                reasons.append(f"chair chose: {recipient.get_sends_display().lower()}")
            elif reset:
                reasons.append("sent nothing until the chair chooses again")
            if reasons:
                recipient.full_clean()
                linked = _link_account(recipient)
                record(recipient, acting_user, "; ".join(reasons).capitalize() + (ACCOUNT if linked else ""))
                recipient.save()
                changed += 1
        chair = checker.discussion.chair
        still_reset = sum(r.choose_again for r in recipients.values())
        if reset_count and still_reset and chair.pk != acting_user.pk and chair.email:
            transaction.on_commit(partial(_tell_chair_choose_again, checker.discussion.pk, acting_user, still_reset))
    return changed


def _tell_chair_choose_again(discussion_pk: int, changed_by: User, count: int) -> None:
    """Email the chair a link to choose again (issue 26, finding 5): who changed an address, never whose or to what
    (a recipient's organisation can say something of the case; email is not a secure channel)."""
    discussion = Discussion.objects.select_related("chair").get(pk=discussion_pk)
    link = settings.SITE_URL.rstrip("/") + reverse("minutes:minutes", args=[discussion_pk]) + "#choose-again"
    people = f"{count} recipient{'s' if count != 1 else ''}"
    try:
        send_mail(
            subject="Strategy Discussions: choose again what the minutes' recipients are sent",
            message=(
                f"{changed_by.get_full_name() or changed_by.username} changed an email address on the distribution "
                f"list of minutes you chair. {people.capitalize()} will be sent nothing until you choose again "
                f"what they are sent:\n\n{link}\n\nThis email holds no case details on purpose."
            ),
            from_email=None,
            recipient_list=[discussion.chair.email],
            fail_silently=False,
        )
    except Exception:
        log.warning("the chair of discussion %s could not be told to choose again", discussion_pk, exc_info=True)


def recipient_remove(
    *, acting_user: User, checker: MinutesChecker, pk: int, reason: str = "", now: dt.datetime
) -> Recipient:
    """Take someone off the distribution list. One the distribution requires (an invitee, the GP, health visitor,
    school nurse or midwife, the school) only the chair takes off, with the reason (no address known, left the
    agency); they then no longer count towards the minutes' clock, which may be met by it."""
    if not checker.can_edit_distribution():
        raise PermissionDenied("You cannot change the distribution list")
    reason = (reason or "").strip()
    with transaction.atomic():
        recipient = _recipient(checker, pk)
        if recipient.required:
            if not checker.can_approve():
                raise PermissionDenied("Only the chair takes a recipient the distribution requires off the list")
            if not reason:
                raise ValidationError({"reason": f"Enter the reason for taking {recipient} off the list"})
        recipient.removed_at, recipient.removed_by, recipient.removed_reason = now, acting_user, reason
        record(recipient, acting_user, f"Taken off the distribution list: {reason}" if reason else "Taken off the list")
        recipient.save()
        minutes_clock_check(acting_user=acting_user, discussion=checker.discussion, now=now)
    return recipient


@dataclass(frozen=True)
class Progress:
    """How far circulation has gone: required recipients sent the approved record, of those still required."""

    sent: int
    required: int

    @property
    def complete(self) -> bool:
        return self.sent == self.required


def _required_first_sent(discussion: Discussion) -> list[dt.datetime | None]:
    """When each recipient the distribution still requires was first sent an approved version (None: not yet)."""
    return list(
        discussion.recipients.filter(removed_at=None, source__in=REQUIRED_SOURCES)  # type: ignore[attr-defined]
        .annotate(first_sent=Min("circulations__sent_at"))
        .order_by("pk")
        .values_list("first_sent", flat=True)
    )


def circulation_progress(discussion: Discussion) -> Progress:
    """ "Sent to 7 of 9 required recipients" (DOMAIN section 6)."""
    firsts = _required_first_sent(discussion)
    return Progress(sent=sum(first is not None for first in firsts), required=len(firsts))


def minutes_clock_check(*, acting_user: User, discussion: Discussion, now: dt.datetime) -> bool:
    """Meet the 48-hour MINUTES_CIRCULATED clock once every recipient the distribution requires has been sent the
    approved record (DOMAIN section 3): at the moment the last of them was sent (late if after it was due).
    Sending to some of them leaves it open. Returns whether it was met now."""
    deadline = Deadline.objects.select_for_update().filter(minutes_of=discussion, state=DeadlineState.OPEN).first()
    if deadline is None:
        return False
    firsts = _required_first_sent(discussion)
    if any(first is None for first in firsts):
        return False
    if firsts:
        at, by = max(first for first in firsts if first is not None), "Minutes sent to every required recipient"
    elif discussion.minutes_versions.exists():  # type: ignore[attr-defined]
        at, by = now, "Every required recipient taken off the distribution list"
    else:
        return False  # nothing approved yet: nothing has been circulated
    return deadline_meet(acting_user=acting_user, deadline=deadline, at=at, by=by)


# --- Approval and the PDFs ------------------------------------------------------------------------------------


def live_snapshot(discussion: Discussion, *, now: dt.datetime) -> dict:
    recipients = list(discussion.recipients.filter(removed_at=None).order_by("pk"))  # type: ignore[attr-defined]
    return minutes_record.snapshot(discussion, recipients=recipients, now=now)


def latest_version(discussion: Discussion) -> MinutesVersion | None:
    return discussion.minutes_versions.select_related("approved_by").order_by("-number").first()  # type: ignore[attr-defined]


def minutes_approve(*, acting_user: User, checker: MinutesChecker, now: dt.datetime) -> MinutesVersion:
    """The chair approves the record as it now is: a new numbered version, its PDFs rendered once (in Celery)."""
    if not checker.discussion.ended:
        raise ValidationError("The minutes can be approved once the meeting has ended")
    if not checker.can_approve():
        raise PermissionDenied("Only the chair (a team manager in children's social care) approves the minutes")
    with transaction.atomic():
        discussion = Discussion.objects.select_for_update().get(pk=checker.discussion.pk)
        previous = latest_version(discussion)
        data = live_snapshot(discussion, now=now)
        if previous is not None and not minutes_record.changed_sections(previous.snapshot, data):
            raise ValidationError(f"Nothing has changed since version {previous.number} was approved")
        version = MinutesVersion.objects.create(
            discussion=discussion,
            number=(previous.number + 1) if previous else 1,
            snapshot=data,
            approved_by=acting_user,
            approved_at=now,
        )
        # Every required recipient may have been taken off the list before anything was approved.
        minutes_clock_check(acting_user=acting_user, discussion=discussion, now=now)
        transaction.on_commit(partial(_publish_render, version.pk))
    return version


def _publish_render(version_pk: int) -> None:
    from minutes.tasks import render_version

    try:
        queue.publish(render_version, args=[version_pk])
    except Exception:  # the broker is down: the catch-up task (or the first download) renders it
        log.warning("could not queue the PDFs of minutes version %s", version_pk, exc_info=True)


def version_kinds(snapshot: dict) -> list[str]:
    """The documents an approved version has: the full minutes, and the family summary when something is shared."""
    return [Kind.FULL, *([Kind.SUMMARY] if minutes_record.family_document(snapshot) else [])]


def documents_ensure(version: MinutesVersion) -> dict[str, MinutesDocument]:
    """The PDFs of an approved version, rendered the first time only (whoever asks first).

    A superseded family version made before the family summary is returned when it was stored,
    never rendered now.
    """
    wanted = version_kinds(version.snapshot)
    existing = {d.kind: d for d in version.documents.all()}  # type: ignore[attr-defined]
    if all(kind in existing for kind in wanted):
        return existing
    with transaction.atomic():
        MinutesVersion.objects.select_for_update().get(pk=version.pk)
        existing = {d.kind: d for d in version.documents.all()}  # type: ignore[attr-defined]
        for kind in wanted:
            if kind in existing:
                continue
            rendered = pdf.render(
                version.snapshot,
                kind=kind,
                version=version,
                approved=minutes_record.when(version.approved_at),
            )
            existing[kind] = MinutesDocument.objects.create(
                version=version,
                kind=kind,
                pdf=rendered.pdf,
                sha256=rendered.sha256,
                size=len(rendered.pdf),
                pages=rendered.pages,
                rendered_at=timezone.now(),
            )
    return existing


def render_pending(*, since: dt.datetime) -> int:
    """Render every version approved since `since` whose PDFs are missing (after a broker outage). Returns how many."""
    documents = MinutesDocument.objects.values("version_id")
    pending = MinutesVersion.objects.filter(approved_at__gte=since).filter(
        ~Q(pk__in=documents.filter(kind=Kind.FULL))
        | (Q(snapshot__sections__family__shares=True) & ~Q(pk__in=documents.filter(kind=Kind.SUMMARY)))
    )
    count = 0
    for version in pending.select_related("approved_by").order_by("approved_at")[:100]:
        documents_ensure(version)
        count += 1
    return count


# --- Drafts: rendered by the worker, kept by the snapshot's hash (issue 28) ----------------------------------------

# How long a draft asked for is not asked for again, however often the page is opened (a Celery message each time
# would render nothing new); after that, a message lost with a broker restart is sent again.
DRAFT_QUEUED_SECONDS = 60


@dataclass(frozen=True)
class Draft:
    """A draft of the record as it is at `now`: its snapshot, the snapshot's hash and, once the worker has rendered
    it, the stored PDF (None until then)."""

    data: dict
    snapshot_sha256: str
    document: DraftDocument | None


def snapshot_sha256(data: dict) -> str:
    """The hash of a snapshot: equal snapshots render equal documents (keys sorted, so the order never matters)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(text.encode()).hexdigest()


def draft_find(discussion: Discussion, *, now: dt.datetime, kind: str) -> Draft | None:
    """The draft of the record as it is at `now` (marked DRAFT on every page), with its PDF if the worker has
    rendered this very snapshot. None for the family summary while there is none (not decided, or nothing shared)."""
    data = live_snapshot(discussion, now=now)
    if kind == Kind.SUMMARY and minutes_record.family_document(data) is None:
        return None
    digest = snapshot_sha256(data)
    document = DraftDocument.objects.filter(discussion=discussion, kind=kind, snapshot_sha256=digest).first()
    return Draft(data=data, snapshot_sha256=digest, document=document)


def draft_queue(discussion: Discussion, *, draft: Draft, now: dt.datetime, kind: str) -> bool:
    """Ask the worker to render `draft`: a Celery message only, no row written by the request (the worker writes).
    Once per DRAFT_QUEUED_SECONDS for the same snapshot (the cache remembers). False when the broker is down."""
    from minutes.tasks import render_draft

    key = f"minutes:draft-queued:{discussion.pk}:{kind}:{draft.snapshot_sha256}"
    if not cache.add(key, True, timeout=DRAFT_QUEUED_SECONDS):
        return True
    try:
        queue.publish(
            render_draft,
            args=[discussion.pk, kind, now.isoformat(), draft.snapshot_sha256],
            expires=DRAFT_QUEUED_SECONDS,
        )
    except Exception:  # the broker is down: the caller renders it in the request, as before
        cache.delete(key)
        log.warning("could not queue a draft PDF of discussion %s", discussion.pk, exc_info=True)
        return False
    return True


def draft_render(*, discussion_pk: int, kind: str, now: dt.datetime, snapshot_sha256_wanted: str) -> bool:
    """The worker's half: render the draft of the record as it stood at `now` (the moment it was asked for) and
    keep it as the discussion's draft of this kind. Nothing is rendered when that draft is stored already, or when
    the record has changed since (its snapshot no longer hashes as asked: the page asks again for the new one).
    True when a PDF was rendered."""
    discussion = Discussion.objects.filter(pk=discussion_pk).first()
    if discussion is None:
        return False
    draft = draft_find(discussion, now=now, kind=kind)
    if draft is None or draft.document is not None or draft.snapshot_sha256 != snapshot_sha256_wanted:
        return False
    rendered = pdf.render(draft.data, kind=kind, printed=minutes_record.when(now))
    DraftDocument.objects.update_or_create(
        discussion=discussion,
        kind=kind,
        defaults={
            "snapshot_sha256": draft.snapshot_sha256,
            "pdf": rendered.pdf,
            "pages": rendered.pages,
            "printed_at": now,
        },
    )
    return True


def draft_pdf(draft: Draft, *, now: dt.datetime, kind: str) -> bytes:
    """The draft's PDF: the worker's when it has rendered it, else rendered here (the broker is down)."""
    if draft.document is not None:
        return bytes(draft.document.pdf)
    return pdf.render(draft.data, kind=kind, printed=minutes_record.when(now)).pdf


def document_download(
    *, user: User, discussion: Discussion, version: MinutesVersion, kind: str
) -> MinutesDocument | None:
    """An approved PDF, byte for byte as stored (the caller has checked the user may open it, and that a superseded
    family version is CSC's to read); the look is logged on the case. None when the version has no such document
    (no family summary in it)."""
    document = documents_ensure(version).get(kind)
    if document is None:
        return None
    label = dict(Kind.choices)[kind].lower()
    case_view_record(user=user, referral=discussion.referral, page=f"minutes v{version.number} ({label}) PDF")
    return document


# --- Circulation ----------------------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Links sent to recipients without an account ask for a one-time code (issue 31). Single-use links sent before then
# keep working until they expire; the tests of those turn this off to make some.
CODE_LINKS = True


def minutes_circulate(*, acting_user: User, checker: MinutesChecker, now: dt.datetime) -> list[Circulation]:
    """Send the latest approved version to everyone on the list with a version chosen who has not been sent it (as
    chosen) yet: a link each, never the PDF.

    A user gets a link to the minutes page; anyone else a link to their version only, valid for MINUTES_LINK_DAYS,
    that asks for a one-time code sent to their address (issue 31). Meets the 48-hour MINUTES_CIRCULATED clock
    (late if after it) once every recipient the distribution requires has been sent it (`minutes_clock_check`).
    The case may be closed: the duty survives closure.
    """
    if not checker.can_circulate():
        raise PermissionDenied("Only business support, social workers and team managers circulate the minutes")
    with transaction.atomic():
        discussion = (
            Discussion.objects.select_for_update(of=("self",))
            .select_related("minutes_deadline")
            .get(pk=checker.discussion.pk)
        )
        version = latest_version(discussion)
        if version is None:
            raise ValidationError("The chair must approve the minutes before they are circulated")
        recipients = list(discussion.recipients.select_for_update().filter(removed_at=None).order_by("pk"))
        chosen = [r for r in recipients if r.sends != Sends.NONE]
        if not chosen:
            raise ValidationError("Nobody on the distribution list is to be sent a version: the chair chooses")
        # Who has this version as chosen already is not sent it again (circulating after adding a recipient sent
        # everyone a second copy: a walk); a recipient whose choice changed since is sent the new one.
        # One whose email failed, or whose link has expired, was not delivered: circulating again sends it again.
        already = set(
            Circulation.objects.filter(version=version, withdrawn_at=None, emailed_at__isnull=False)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .values_list("recipient_id", "kind")
        )
        sending = [r for r in chosen if (r.pk, r.sends) not in already]
        if not sending:
            raise ValidationError(
                f"Everyone on the distribution list has been sent version {version.number} already: nothing to send"
            )
        for recipient in sending:
            if _link_account(recipient):  # typed before users were recognised by their address
                record(recipient, acting_user, ACCOUNT.removeprefix(": ").capitalize())
                recipient.save()
        errors = {
            f"email-{r.pk}": (
                f"{r} has no email address on their account: ask an administrator to add one, "
                "or ask the chair to send them nothing"
                if r.user_id
                else f"Enter an email address for {r}, or ask the chair to send them nothing"
            )
            for r in sending
            if not (r.user.email if r.user_id else r.email)  # type: ignore[union-attr]
        }
        if errors:
            raise ValidationError(errors)
        missing = minutes_record.family_document_missing(version.snapshot)
        if missing:
            # No family document to send: circulating one is refused, with why (DOMAIN section 6).
            refused = {
                f"sends-{r.pk}": f"There is no family summary to send {r} in version {version.number}: {missing}. "
                "The chair chooses nothing for them, or records what the family is told and approves a new version"
                for r in sending
                if r.sends == Sends.SUMMARY
            }
            if refused:
                raise ValidationError(refused)
        documents_ensure(version)
        sent, tokens = [], {}
        expires = now + dt.timedelta(days=settings.MINUTES_LINK_DAYS)
        for recipient in sending:
            circulation = Circulation(
                recipient=recipient, version=version, kind=recipient.sends, sent_at=now, sent_by=acting_user
            )
            if not recipient.user_id:
                token = secrets.token_urlsafe(32)
                circulation.token_hash, circulation.expires_at = _token_hash(token), expires
                circulation.code_link = CODE_LINKS
            circulation.save()
            if not recipient.user_id:
                tokens[circulation.pk] = token
            sent.append(circulation)
        minutes_clock_check(acting_user=acting_user, discussion=discussion, now=now)
        transaction.on_commit(partial(_email_circulation, [c.pk for c in sent], tokens))
    return sent


def _email_circulation(circulation_pks: list[int], tokens: dict[int, str]) -> None:
    """A link to each recipient; no child's name and no case detail (email is not a secure channel)."""
    base = settings.SITE_URL.rstrip("/")
    for circulation in Circulation.objects.filter(pk__in=circulation_pks).select_related("recipient__user", "version"):
        recipient = circulation.recipient
        summary = circulation.kind == Kind.SUMMARY
        what = "a family summary from children's social care" if summary else "the minutes of a strategy discussion"
        if circulation.pk in tokens:
            link = base + reverse("minutes:link", args=[tokens[circulation.pk]])
            until = minutes_record.when(circulation.expires_at)  # type: ignore[arg-type]
            expiry = (
                "The page will send a code to this email address before you can download it. You can use the link "
                f"as often as you need until {until}."
                if circulation.code_link
                else f"The link works once and until {until}."
            )
            address = recipient.email
        else:
            link = base + reverse("minutes:minutes", args=[circulation.version.discussion_id])
            expiry = "Sign in to read them."
            address = recipient.user.email  # type: ignore[union-attr]
        try:
            send_mail(
                subject=f"Strategy Discussions: {'a summary' if summary else 'minutes'} for you to read",
                message=(
                    f"You have been sent {what}.\n\n"
                    f"{link}\n\n{expiry}\n\nThis email holds no case details on purpose. "
                    "If it was not meant for you, delete it and tell the sender."
                ),
                from_email=None,
                recipient_list=[address],
                fail_silently=False,
            )
        except Exception:
            log.warning("minutes circulation %s could not be emailed", circulation.pk, exc_info=True)
            continue
        Circulation.objects.filter(pk=circulation.pk).update(emailed_at=timezone.now())


def link_circulation(token: str, *, now: dt.datetime) -> Circulation | None:
    """The circulation an emailed link is for, while it is unused and in date; else None."""
    if not token or len(token) > 100:
        return None
    return (
        Circulation.objects.select_related("version__discussion__referral", "recipient")
        .filter(token_hash=_token_hash(token), code_link=False, used_at=None, expires_at__gt=now, withdrawn_at=None)
        .first()
    )


def code_link_circulation(token: str, *, now: dt.datetime) -> Circulation | None:
    """The circulation a code-protected link (issue 31) is for, while it is in date and not withdrawn; else None.
    Its addressee may use it as often as they like in that window."""
    if not token or len(token) > 100:
        return None
    return (
        Circulation.objects.select_related("version", "recipient")
        .filter(token_hash=_token_hash(token), code_link=True, expires_at__gt=now, withdrawn_at=None)
        .first()
    )


CODE_PURPOSE = "minutes-code"


def link_code_send(*, circulation: Circulation, now: dt.datetime) -> None:
    """A new one-time code to the address the link went to (never another): contributions.codes."""
    with transaction.atomic():
        code = codes.code_issue(model=Circulation, pk=circulation.pk, purpose=CODE_PURPOSE, now=now)
        transaction.on_commit(partial(_email_code, circulation.recipient.email, code))


def _email_code(address: str, code: str) -> None:
    try:
        send_mail(
            subject="Strategy Discussions: your code",
            message=f"Your code is {code}\n\nIt works once, for {codes.CODE_MINUTES} minutes. "
            "If you did not ask for it, delete this email.",
            from_email=None,
            recipient_list=[address],
            fail_silently=False,
        )
    except Exception:
        log.warning("a minutes link code could not be emailed", exc_info=True)


def link_code_check(*, circulation: Circulation, code: str, now: dt.datetime) -> None:
    """Check a code typed on the link's page (contributions.codes): a ValidationError on "code" when it is not
    right, in date and unused."""
    codes.code_verify(model=Circulation, pk=circulation.pk, purpose=CODE_PURPOSE, code=code, now=now)


def code_link_download(*, circulation: Circulation, now: dt.datetime) -> MinutesDocument | None:
    """A download through a code-protected link by its addressee (the caller checked the code in this session):
    logged in the external downloads log each time; the first marks the link used. None when its document was
    never stored (a kind no longer rendered)."""
    with transaction.atomic():
        document = documents_ensure(circulation.version).get(circulation.kind)
        if document is None:
            return None
        ExternalDownload.objects.create(circulation=circulation)
        Circulation.objects.filter(pk=circulation.pk, used_at=None).update(used_at=now)
    return document


def link_withdrawn(token: str) -> Circulation | None:
    """The circulation an emailed link is for, when it was withdrawn before it was used (else None)."""
    if not token or len(token) > 100:
        return None
    return Circulation.objects.filter(token_hash=_token_hash(token), withdrawn_at__isnull=False, used_at=None).first()


def link_download(token: str, *, now: dt.datetime) -> tuple[Circulation, MinutesDocument] | None:
    """Use a single-use link sent before issue 31: once only. Returns its version's PDF, or None (used, expired,
    unknown, or a code-protected link: `code_link_download`)."""
    with transaction.atomic():
        circulation = link_circulation(token, now=now)
        if circulation is None:
            return None
        claimed = Circulation.objects.filter(pk=circulation.pk, used_at=None).update(used_at=now)
        if not claimed:
            return None
        ExternalDownload.objects.create(circulation=circulation)
        document = documents_ensure(circulation.version).get(circulation.kind)
        if document is None:  # a kind no longer rendered and never stored: nothing to give
            transaction.set_rollback(True)
            return None
    return circulation, document
