"""Account administration with four eyes (issue 26, finding 1; ASVS 6.4).

The probe's takeover: an administrator changed a team manager's email, sent a reset link (to the new address),
reset their two-factor and signed in as them. Now:
- no administrator acts on their own account, or on one with more rights than theirs (`can_administer`);
- removing the two-factor of, or sending a reset link to, someone whose rights need two-factor (managers, heads of
  service, administrators) is only asked for: a second administrator or a head of service approves it, and the user
  is told at each step (`reset_request`, `reset_decide`);
- an email change waits for its owner to confirm it from the new address, signed in, and the old address is told
  (`email_change_request`, `email_change_confirm`). Each step is in the sign-in audit.
"""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, Q, QuerySet
from django.db.models.functions import Now
from django.urls import reverse

from agencies import two_factor
from agencies.accounts import password_reset_link_send
from agencies.models import AccountReset, AuthEvent, AuthEventKind, ResetKind, RoleCode, User, auth_event_record
from core.history import record

# How long a reset waits for its second approval, and an email change for its confirmation.
RESET_APPROVAL_HOURS = 24
EMAIL_CONFIRM_DAYS = 3
RECENT_ROLES_DAYS = 30
EMAIL_SALT = "agencies.email-change"


def _site(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _tell(user: User, subject: str, body: str, *, to: str | None = None) -> None:
    address = to if to is not None else user.email
    if address:
        transaction.on_commit(
            lambda: send_mail(
                subject=f"Strategy Discussions: {subject}", message=body, from_email=None, recipient_list=[address]
            )
        )


def _rank(user: User) -> int:
    return 2 if user.is_superuser else 1 if user.is_staff else 0


def can_administer(actor: User, user: User) -> bool:
    """No administrator acts on their own account, on one with more rights than theirs, or outside their
    partnership (superusers excepted); only a superuser administers another administrator."""
    if actor.pk == user.pk or not actor.is_active:
        return False
    if actor.is_superuser:
        return True
    if not actor.is_staff or _rank(user) >= _rank(actor):
        return False
    return actor.partnership_id is not None and actor.partnership_id == user.partnership_id


def needs_second_approval(user: User, now: dt.datetime) -> bool:
    """Whose sign-in is reset only with four eyes: whoever's rights need two-factor sign-in, and whoever's roles
    changed in the last RECENT_ROLES_DAYS (so taking a manager's role away first does not skip the approval)."""
    if two_factor.required(user):
        return True
    # The sign-in audit is stamped by the database's clock (agencies migration 0008), so "recently" is counted
    # on that clock too, whatever moment the caller's `now` says.
    recently = ExpressionWrapper(Now() - dt.timedelta(days=RECENT_ROLES_DAYS), output_field=DateTimeField())
    return AuthEvent.objects.filter(user=user, kind=AuthEventKind.ROLES_CHANGED, at__gte=recently).exists()


def can_approve(approver: User, reset: AccountReset) -> bool:
    """A second administrator (one who could administer the user, not the one who asked) or a head of service of
    the user's partnership; never the user themselves."""
    user = reset.user
    if approver.pk in (reset.requested_by_id, reset.user_id) or not approver.is_active:
        return False
    if approver.is_superuser:
        return True
    if user.is_superuser or approver.partnership_id is None or approver.partnership_id != user.partnership_id:
        return False
    return approver.has_role(RoleCode.HEAD_OF_SERVICE) or can_administer(approver, user)


def may_see_resets(user: User) -> bool:
    """Who has the page of resets waiting for a second approval: administrators and heads of service."""
    return bool(user.is_superuser or user.is_staff or user.has_role(RoleCode.HEAD_OF_SERVICE))


def _carry_out(*, kind: str, actor: User, user: User) -> None:
    if kind == ResetKind.TWO_FACTOR:
        two_factor.devices_remove(actor=actor, user=user)
        _tell(
            user,
            "your two-factor sign-in was removed",
            f"{actor.get_full_name() or actor.username} removed the authenticator of your account {user.username}. "
            "You will set up a new one when you next sign in.\n\nIf you did not ask for this, tell your head of "
            "service at once.",
        )
    else:
        password_reset_link_send(actor=actor, user=user)


def reset_request(*, acting_user: User, user: User, kind: str, now: dt.datetime) -> AccountReset | None:
    """Remove `user`'s two-factor or send them a reset link: at once for a user whose rights need no second factor
    (they are told), otherwise asked for (None means done). Raises PermissionDenied if `acting_user` may not."""
    if not can_administer(acting_user, user):
        raise PermissionDenied("You cannot do this to this account")
    if kind == ResetKind.PASSWORD_LINK:  # the same checks as sending it, before anyone is asked to approve it
        if not user.email:
            raise ValidationError(f"{user.username} has no email address: add one first")
        if not user.is_active:
            raise ValidationError(f"{user.username} is deactivated: activate them first")
    with transaction.atomic():
        if not needs_second_approval(user, now):
            _carry_out(kind=kind, actor=acting_user, user=user)
            return None
        pending = pending_resets().filter(user=user, kind=kind, requested_at__gte=_oldest_pending(now)).first()
        if pending is not None:
            return pending
        reset = AccountReset(user=user, kind=kind, requested_by=acting_user, requested_at=now)
        record(reset, acting_user, "Asked for")
        reset.full_clean(exclude=["approved"])  # undecided: None
        reset.save()
        label = reset.get_kind_display()
        auth_event_record(
            kind=AuthEventKind.RESET_REQUESTED,
            user=user,
            actor=acting_user,
            detail=f"{label}: waits for a second administrator or a head of service",
        )
        _tell(
            user,
            "a reset of your sign-in was asked for",
            f"{acting_user.get_full_name() or acting_user.username} asked to {label.lower()} for your account "
            f"{user.username}. A second administrator or a head of service must approve it first.\n\n"
            "If you did not ask for this, tell your head of service at once.",
        )
        _tell_approvers(reset)
    return reset


def _tell_approvers(reset: AccountReset) -> None:
    link = _site(reverse("agencies:resets"))
    candidates = (
        User.objects.filter(is_active=True, agency__partnership_id=reset.user.partnership_id or 0)
        .filter(Q(roles__code=RoleCode.HEAD_OF_SERVICE) | Q(is_staff=True))
        .exclude(pk__in=[reset.user_id, reset.requested_by_id])
        .distinct()
    )
    for approver in candidates:
        if approver.email and can_approve(approver, reset):
            _tell(
                approver,
                "a reset waits for your approval",
                f"A reset of {reset.user.username}'s sign-in waits for a second approval: {link}",
            )


def _oldest_pending(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(hours=RESET_APPROVAL_HOURS)


def pending_resets() -> QuerySet[AccountReset]:
    return AccountReset.objects.filter(decided_at__isnull=True)


def resets_for_approver(approver: User, now: dt.datetime) -> list[AccountReset]:
    """The resets waiting that this person may approve (their partnership's, asked for in the last 24 hours)."""
    waiting = pending_resets().filter(requested_at__gte=_oldest_pending(now)).select_related("user", "requested_by")
    if not approver.is_superuser:
        waiting = waiting.filter(user__agency__partnership_id=approver.partnership_id or 0)
    return [reset for reset in waiting.order_by("requested_at")[:200] if can_approve(approver, reset)]


def reset_decide(*, acting_user: User, reset_pk: int, approve: bool, now: dt.datetime) -> AccountReset:
    """A second person approves (the reset is carried out) or declines a reset; the user is told either way.
    PermissionDenied if `acting_user` may not decide it; ValidationError if it is decided or has expired."""
    with transaction.atomic():
        reset = AccountReset.objects.select_for_update().select_related("user", "requested_by").get(pk=reset_pk)
        if not can_approve(acting_user, reset):
            raise PermissionDenied("You cannot decide this reset")
        if reset.decided_at is not None:
            raise ValidationError("This reset has been decided already")
        if reset.requested_at < _oldest_pending(now):
            raise ValidationError(f"This reset waited more than {RESET_APPROVAL_HOURS} hours: it must be asked again")
        reset.decided_by, reset.decided_at, reset.approved = acting_user, now, approve
        record(reset, acting_user, "Approved" if approve else "Declined")
        reset.save()
        asked_by = reset.requested_by.get_full_name() or reset.requested_by.username
        decided_by = acting_user.get_full_name() or acting_user.username
        detail = f"{reset.get_kind_display()}: asked for by {asked_by}, {'approved' if approve else 'declined'} by "
        auth_event_record(
            kind=AuthEventKind.RESET_APPROVED if approve else AuthEventKind.RESET_DECLINED,
            user=reset.user,
            actor=acting_user,
            detail=detail + decided_by,
        )
        if approve:
            _carry_out(kind=reset.kind, actor=acting_user, user=reset.user)
        else:
            _tell(
                reset.user,
                "a reset of your sign-in was declined",
                f"{decided_by} declined the request by {asked_by} to {reset.get_kind_display().lower()} for your "
                f"account {reset.user.username}. Nothing has changed.",
            )
    return reset


# Email changes: the new address is confirmed by the account's owner, signed in; the old address is told.


def email_change_request(*, acting_user: User | None, user: User, new_email: str) -> None:
    """Ask `user` to confirm `new_email` (a link sent there, opened while signed in as them); tell the old
    address. Nothing changes until they confirm."""
    token = signing.dumps({"user": user.pk, "old": user.email, "new": new_email}, salt=EMAIL_SALT)
    link = _site(reverse("agencies:email_confirm", args=[token]))
    who = (acting_user.get_full_name() or acting_user.username) if acting_user else "An administrator"
    auth_event_record(
        kind=AuthEventKind.EMAIL_CHANGE_REQUESTED,
        user=user,
        actor=acting_user,
        detail=f"From {user.email or 'none'} to {new_email}: waits for confirmation from the new address",
    )
    _tell(
        user,
        "confirm your new email address",
        f"{who} asked to change the email address of the account {user.username} to this one.\n\n"
        f"To confirm, sign in as {user.username} and open:\n{link}\n\nThe link works for {EMAIL_CONFIRM_DAYS} "
        "days. If you did not expect this, ignore it: nothing changes.",
        to=new_email,
    )
    _tell(
        user,
        "a change of your email address was asked for",
        f"{who} asked to change the email address of your account {user.username} from this address to "
        f"{new_email}. It changes only when confirmed from the new address by you, signed in.\n\n"
        "If you did not ask for this, tell your head of service at once.",
    )


def email_change_confirm(*, acting_user: User, token: str) -> str:
    """The signed-in owner confirms a new address from the link sent to it. Returns the new address; raises
    ValidationError for a link that is not theirs, expired, or already used (the address has changed since)."""
    try:
        data = signing.loads(token, salt=EMAIL_SALT, max_age=dt.timedelta(days=EMAIL_CONFIRM_DAYS))
    except signing.BadSignature as exc:
        raise ValidationError("This link does not work: it has expired or is not complete") from exc
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=acting_user.pk)
        if data.get("user") != user.pk:
            raise PermissionDenied("This link is for another account")
        if data.get("old") != user.email:
            raise ValidationError("This link has been used, or the address has changed since it was sent")
        old, user.email = user.email, data["new"]
        record(user, acting_user, "Email address confirmed from the new address")
        user.save(update_fields=["email"])
        auth_event_record(
            kind=AuthEventKind.EMAIL_CHANGED,
            user=user,
            actor=acting_user,
            detail=f"From {old or 'none'} to {user.email}",
        )
    return user.email
