"""`manage.py demo_code`: the code the demo authenticator shows now (DEBUG only), for trying the app without a phone."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from agencies.demo import DEMO_TOTP_KEY


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo accounts (tm.demo, hos.demo, admin.demo); DEBUG only."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("The demo authenticator exists only with DEBUG on")
        self.stdout.write(f"{TOTP(bytes.fromhex(DEMO_TOTP_KEY)).token():06d}")
