"""Keep stored deadlines true when a partnership's calendar changes (closure days, settings)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from agencies.models import ClosureDay, Partnership
from referrals.services import referrals_reschedule


@receiver(post_save, sender=Partnership, dispatch_uid="reschedule-on-partnership-change")
def _partnership_changed(sender, instance: Partnership, created: bool, raw: bool = False, **kwargs) -> None:
    if not created and not raw:
        referrals_reschedule(partnership=instance, reason="Partnership settings changed")


@receiver(post_save, sender=ClosureDay, dispatch_uid="reschedule-on-closure-day-saved")
@receiver(post_delete, sender=ClosureDay, dispatch_uid="reschedule-on-closure-day-deleted")
def _closure_day_changed(sender, instance: ClosureDay, raw: bool = False, **kwargs) -> None:
    if not raw:
        referrals_reschedule(partnership=instance.partnership, reason="Local closure days changed")
