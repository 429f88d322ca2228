"""Password rules beyond Django's validators (ASVS 6.2): no guessable pattern, a strength estimate, and no demo
password in production.

VarietyValidator names the plainest patterns (`aaaaaaaaaaaa`, `abcabcabcabc`) in words of its own; StrengthValidator
asks zxcvbn how soon a guesser would find the password, knowing the user's own names and address.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from zxcvbn import zxcvbn

from agencies.demo import is_demo_password

MIN_DISTINCT = 5


def _repeats_a_short_run(password: str) -> bool:
    """The whole password is one run of up to 4 characters repeated (`abcabcabcabc`, `12121212...`)."""
    for size in range(1, 5):
        run = password[:size]
        if len(password) >= 2 * size and run * (len(password) // size) + run[: len(password) % size] == password:
            return True
    return False


class VarietyValidator:
    """Refuses a password of fewer than 5 different characters, or one short run repeated."""

    def validate(self, password: str, user=None) -> None:
        if len(set(password.lower())) < MIN_DISTINCT or _repeats_a_short_run(password.lower()):
            raise ValidationError(
                "Your password repeats the same few characters: use a phrase of ordinary words instead",
                code="password_too_repetitive",
            )

    def get_help_text(self) -> str:
        return f"Your password must use at least {MIN_DISTINCT} different characters and not repeat a pattern."


# zxcvbn's scores: 3 is "safely unguessable" (about 10^10 guesses, an offline attack on a slow hash), under 3 is not.
MIN_SCORE = 3
# zxcvbn's time grows faster than the length, and it refuses to judge more than 72 characters: only the first 72
# are judged (a strong start is strong).
JUDGED_CHARACTERS = 72


def _user_inputs(user) -> list[str]:
    """What a guesser who knows the person tries first: their names, username and email address, and their parts."""
    if user is None:
        return []
    whole = [getattr(user, name, "") or "" for name in ("username", "first_name", "last_name", "email")]
    parts = [part for value in whole for part in re.split(r"[^\w]+", value) if len(part) > 2]
    return [value for value in whole + parts if value]


class StrengthValidator:
    """Refuses a guessable password: zxcvbn's estimate under 3 of 4, with the user's names, username and email
    among what it guesses; the error says why, in zxcvbn's words (ASVS 6.2.11)."""

    def validate(self, password: str, user=None) -> None:
        result = zxcvbn(password[:JUDGED_CHARACTERS], user_inputs=_user_inputs(user), max_length=JUDGED_CHARACTERS)
        if result["score"] >= MIN_SCORE:
            return
        feedback = result["feedback"]
        advice = " ".join([feedback.get("warning") or "", *feedback.get("suggestions", [])]).strip()
        raise ValidationError(
            "Your password is too easy to guess. %(advice)s",
            code="password_too_guessable",
            params={"advice": advice or "Add another word or two. Uncommon words are better."},
        )

    def get_help_text(self) -> str:
        return "Your password must not be easy to guess: three or four ordinary words together are hard to guess."


class NotADemoPasswordValidator:
    """With DEBUG off, a demo password (the published one, or DEMO_PASSWORD) is refused whoever sets it."""

    def validate(self, password: str, user=None) -> None:
        if not settings.DEBUG and is_demo_password(password):
            raise ValidationError(
                "This password is published with the demo data: choose another", code="password_is_demo"
            )

    def get_help_text(self) -> str:
        return "Your password cannot be the demo data's password."
