"""The one-time code that opens an emailed link (issue 31): shared by the contribution link
(contributions.services) and the minutes link for recipients without an account (minutes.services), which sits
above this app and imports it.

A code is six digits, sent to the address the link went to, stored as an HMAC keyed with the site's secret and the
link's purpose (six digits alone would be read back from a leaked hash at once), valid 15 minutes, refused after 5
wrong tries, used once; sending a new one stops the last. The row holding it has three working fields, no part of
the record (kept out of history): `code_hash`, `code_expires_at` and `code_wrong_tries`.
"""

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction

CODE_MINUTES = 15
CODE_WRONG_TRIES = 5


def masked(email: str) -> str:
    """The address the code goes to, as the page shows it: g***@example.org."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def code_hash(purpose: str, pk: int, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{purpose}:{pk}:{code}".encode(), hashlib.sha256).hexdigest()


def code_issue(*, model: type[models.Model], pk: int, purpose: str, now: dt.datetime) -> str:
    """A new code for row `pk` of `model` (any earlier one stops working); returns it for the caller to email, on
    commit, to the address the link went to. Call inside the caller's transaction."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    model._default_manager.filter(pk=pk).update(  # type: ignore[attr-defined]
        code_hash=code_hash(purpose, pk, code),
        code_expires_at=now + dt.timedelta(minutes=CODE_MINUTES),
        code_wrong_tries=0,
    )
    return code


def code_verify(*, model: type[models.Model], pk: int, purpose: str, code: str, now: dt.datetime) -> None:
    """Check a code typed on a link's page: right, in date and not used up returns (and the code is used up);
    else a ValidationError on "code". Each wrong one counts, and the fifth stops the code."""
    code = (code or "").strip().replace(" ", "")
    problem = ""
    rows = model._default_manager  # type: ignore[attr-defined]
    with transaction.atomic():
        row: Any = rows.select_for_update().get(pk=pk)
        if not row.code_hash:
            problem = "Send a code to your email address first, or send a new one: each code works once"
        elif row.code_expires_at is None or row.code_expires_at <= now:
            problem = f"This code has expired: codes work for {CODE_MINUTES} minutes. Send a new code"
        elif row.code_wrong_tries >= CODE_WRONG_TRIES:
            problem = "Too many wrong codes have been entered: send a new code"
        elif not (len(code) == 6 and code.isdigit()):
            problem = "Enter the 6-digit code from the email"
        elif hmac.compare_digest(row.code_hash, code_hash(purpose, pk, code)):
            rows.filter(pk=pk).update(code_hash="", code_expires_at=None)
        else:
            tries = row.code_wrong_tries + 1
            rows.filter(pk=pk).update(code_wrong_tries=tries)
            problem = (
                "The code is not right: check the email and try again"
                if tries < CODE_WRONG_TRIES
                else "The code is not right, and too many wrong codes have been entered: send a new code"
            )
    if problem:  # raised after the transaction, so a wrong try is counted
        raise ValidationError({"code": problem})
