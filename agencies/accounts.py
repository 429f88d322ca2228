"""Account administration that never lets an administrator learn or set someone else's password (ASVS 6.4):
new users and forgotten passwords get a single-use reset link by email; deactivating a user ends their
sessions; granting a role that edits cases is told to the partnership's heads of service."""

from collections.abc import Iterable
from importlib import import_module

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from agencies.models import AgencyType, AuthEventKind, RoleCode, User, UserSession, auth_event_record

CASE_EDITING_ROLES = {RoleCode.SOCIAL_WORKER, RoleCode.TEAM_MANAGER}


def password_reset_link_send(*, actor: User | None, user: User) -> None:
    """Email `user` a link to choose their own password (valid for PASSWORD_RESET_TIMEOUT, used once)."""
    if not user.email:
        raise ValidationError(f"{user.username} has no email address: add one first")
    if not user.is_active:
        raise ValidationError(f"{user.username} is deactivated: activate them first")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = settings.SITE_URL.rstrip("/") + reverse("password_reset_confirm", args=[uid, token])
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    send_mail(
        subject="Strategy Discussions: choose your password",
        message=(
            f"Your administrator has asked for you to choose a password for the account {user.username}.\n\n"
            f"{link}\n\nThe link works once, for {hours} hours. Nobody else will ever know your password.\n"
            "If you did not expect this, tell your administrator."
        ),
        from_email=None,
        recipient_list=[user.email],
    )
    auth_event_record(kind=AuthEventKind.RESET_LINK_SENT, user=user, actor=actor, detail="Password reset link sent")


def sessions_end(user: User) -> int:
    """End every session of `user` at once (they were deactivated). Returns how many ended."""
    with transaction.atomic():
        keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
        ended, _ = Session.objects.filter(session_key__in=keys).delete()
        UserSession.objects.filter(user=user).delete()
        transaction.on_commit(lambda: _cached_sessions_forget(keys))
    return ended


def _cached_sessions_forget(keys: list[str]) -> None:
    """With sessions read from the cache (production's "cached_db"), the cached copies go too: a session deleted
    from the database alone would still be read from the cache until it expired."""
    prefix = getattr(import_module(settings.SESSION_ENGINE).SessionStore, "cache_key_prefix", None)
    if prefix and keys:
        caches[settings.SESSION_CACHE_ALIAS].delete_many([prefix + key for key in keys])


def roles_granted_notify(*, actor: User | None, user: User, granted: Iterable[str]) -> None:
    """A role that can edit cases was granted: email the partnership's CSC heads of service (names, no case data)."""
    editing = sorted(CASE_EDITING_ROLES & set(granted))
    if not editing or user.agency_id is None:
        return
    partnership_id = user.agency.partnership_id  # type: ignore[union-attr]
    heads = User.objects.filter(
        agency__partnership_id=partnership_id,
        agency__agency_type=AgencyType.CHILDRENS_SOCIAL_CARE,
        roles__code=RoleCode.HEAD_OF_SERVICE,
        is_active=True,
    ).exclude(email="")
    addresses = sorted(set(heads.values_list("email", flat=True)))
    if not addresses:
        return
    labels = ", ".join(RoleCode(code).label.lower() for code in editing)
    link = settings.SITE_URL.rstrip("/") + reverse("audit:auth_events")
    send_mail(
        subject="Strategy Discussions: a role that can edit cases was granted",
        message=(
            f"{actor.username if actor else 'An administrator'} gave {user.username} ({user.agency}) the role of "
            f"{labels}, which can edit cases.\n\nThe sign-in records: {link}"
        ),
        from_email=None,
        recipient_list=addresses,
    )
