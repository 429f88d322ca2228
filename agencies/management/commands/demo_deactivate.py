"""`manage.py demo_deactivate`: deactivate every account the demo data made and remove the demo authenticator key,
so that a server with DEBUG off starts (agencies/checks.py). Runs without the system checks it clears."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.accounts import sessions_end
from agencies.demo import DEMO_TOTP_KEY
from agencies.models import AuthEventKind, User, auth_event_record
from agencies.services import user_agency_group_sync


class Command(BaseCommand):
    help = "Deactivate the demo data's accounts and remove every authenticator holding the demo key."
    requires_system_checks: list[str] = []

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            users = list(User.objects.filter(is_demo=True, is_active=True))
            for user in users:
                user.is_active = False
                user.save(update_fields=["is_active"])
                user_agency_group_sync(user)
                sessions_end(user)
                auth_event_record(
                    kind=AuthEventKind.ACTIVE_CHANGED, user=user, detail="Deactivated: an account of the demo data"
                )
            removed, _ = TOTPDevice.objects.filter(key=DEMO_TOTP_KEY).delete()
        self.stdout.write(f"{len(users)} demo account(s) deactivated, {removed} demo authenticator(s) removed")
