"""What the demo data publishes (README): its password and its authenticator key. Production refuses both."""

from django.conf import settings

# The password the README prints; DEMO_PASSWORD may name another, and both are refused in production.
PUBLISHED_DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 (published on purpose: production refuses it)
# The demo authenticator key: the invented bytes "invented-demo-secret" (base32 NFXHMZLOORSWILLEMVWW6LLTMVRXEZLU).
DEMO_TOTP_KEY = "696e76656e7465642d64656d6f2d736563726574"


def demo_passwords() -> set[str]:
    """Every password the demo data has used or may use: the published one and whatever DEMO_PASSWORD says."""
    return {PUBLISHED_DEMO_PASSWORD, settings.DEMO_PASSWORD}


def is_demo_password(password: str | None) -> bool:
    return password is not None and password in demo_passwords()
