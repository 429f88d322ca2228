"""Two-factor sign-in (ASVS 6.5; django-otp): a time-based code from an authenticator app, with recovery codes.

Required for team managers, heads of service and administrators (staff); offered to everyone.
After the password, a user with an authenticator enters its 6-digit code (or a recovery code);
a user who must have one and has none is taken to set it up before anything else.
"""

import base64
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from agencies.models import AuthEventKind, RoleCode, User, auth_event_record

RECOVERY_CODES = 10
APP_DEVICE = "Authenticator app"
RECOVERY_DEVICE = "Recovery codes"
# What the session remembers at sign-in: whether this user must enter a code, set one up, or neither.
STATE_KEY = "two_factor"
NEEDS_CODE, NEEDS_SETUP, NOT_NEEDED = "code", "setup", "none"


def required(user: User) -> bool:
    """Team managers, heads of service and administrators must use a second factor."""
    return bool(user.is_staff or user.is_superuser or user.has_role(RoleCode.TEAM_MANAGER, RoleCode.HEAD_OF_SERVICE))


def app_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def sign_in_state(user: User) -> str:
    """What this user must do after their password: enter a code, set up an app, or nothing."""
    if app_device(user) is not None:
        return NEEDS_CODE
    return NEEDS_SETUP if required(user) else NOT_NEEDED


def secret_of(device: TOTPDevice) -> str:
    """The key as an authenticator app asks for it: base32, in groups of four."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


# The key of an authenticator being set up waits in the session until a code is posted: opening the page writes no row.
SETUP_SESSION_KEY = "two_factor_setup_key"


def setup_start(user: User, session: Any, *, save: bool) -> TOTPDevice:
    """The unconfirmed authenticator being set up (the same one until it is confirmed, so the QR code holds).

    Its key is kept in the session; it becomes a row (`save`, on a POST of a code) so that failed codes are
    throttled on it. A GET only reads: the row made by an earlier post, or the key in the session.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False, name=APP_DEVICE).first()
    if device is not None:
        return device
    if not session.get(SETUP_SESSION_KEY):
        session[SETUP_SESSION_KEY] = default_key()
    device = TOTPDevice(user=user, name=APP_DEVICE, confirmed=False, key=session[SETUP_SESSION_KEY])
    if save:
        device.save()
    return device


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()[:40]


@dataclass(frozen=True)
class Confirmed:
    device: TOTPDevice
    recovery_codes: list[str]


def setup_confirm(*, user: User, device: TOTPDevice, code: str) -> Confirmed | None:
    """A code from the app proves it is set up: it becomes the user's authenticator, with new recovery codes."""
    if device.user_id != user.pk or not device.verify_token(_normalise(code)):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save()
        codes = recovery_codes_replace(user)
        auth_event_record(kind=AuthEventKind.TWO_FACTOR_SET_UP, user=user, actor=user, detail="Authenticator app")
    return Confirmed(device=device, recovery_codes=codes)


def recovery_codes_replace(user: User) -> list[str]:
    """New recovery codes (each works once); the old ones stop working. Shown once, never stored in clear."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE, defaults={"confirmed": True})
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        for code in codes:
            device.token_set.create(token=code)
    return codes


def code_check(*, user: User, code: str):
    """The device a code (app code or recovery code) verifies for this user, or None. Throttled per device."""
    token = _normalise(code)
    if not token:
        return None
    device = app_device(user)
    if device is not None and token.isdigit() and device.verify_token(token):
        return device
    recovery = StaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE, confirmed=True).first()
    if recovery is not None and recovery.verify_token(token):
        auth_event_record(kind=AuthEventKind.RECOVERY_CODE_USED, user=user, actor=user)
        return recovery
    return None


def code_already_used(*, user: User, code: str) -> bool:
    """Whether a code the app refused was a right one already used (each works once, so signing in twice within
    its 30 seconds needs the next): the user is told to wait for the next code, not that theirs was wrong."""
    device = app_device(user)
    token = _normalise(code)
    if device is None or not token.isdigit():
        return False
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return totp.verify(int(token), device.tolerance) and totp.t() <= device.last_t


def is_verified(user) -> bool:
    """Whether this request's session has passed the second factor (django-otp's middleware tells)."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def mark_verified(session, device) -> None:
    """This session has passed the second factor (as django_otp.login does)."""
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[STATE_KEY] = NOT_NEEDED


def devices_remove(*, actor: User | None, user: User) -> None:
    """An administrator removes a user's authenticator and recovery codes (a lost phone): they set up again at
    their next sign-in if their role needs it. Recorded in the sign-in audit."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        auth_event_record(kind=AuthEventKind.TWO_FACTOR_REMOVED, user=user, actor=actor)
