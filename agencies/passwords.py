"""Password rules beyond Django's validators (ASVS 6.2): no guessable pattern, and no demo password in production.

A strength estimator (zxcvbn) is not among the locked dependencies; these catch what Django's four miss
(`aaaaaaaaaaaa`, `abcabcabcabc`) without one.
"""

from django.conf import settings
from django.core.exceptions import ValidationError

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


class NotADemoPasswordValidator:
    """With DEBUG off, a demo password (the published one, or DEMO_PASSWORD) is refused whoever sets it."""

    def validate(self, password: str, user=None) -> None:
        if not settings.DEBUG and is_demo_password(password):
            raise ValidationError(
                "This password is published with the demo data: choose another", code="password_is_demo"
            )

    def get_help_text(self) -> str:
        return "Your password cannot be the demo data's password."
