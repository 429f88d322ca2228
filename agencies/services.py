"""Writes to agencies and their members."""

from django.contrib.auth.models import Group
from django.db import transaction

from agencies.models import Agency, User


def agency_group(agency: Agency) -> Group:
    """The agency's auth group, created on first use: object permissions (case access) are granted to it."""
    if agency.group_id is not None:
        return agency.group  # type: ignore[return-value]
    with transaction.atomic():
        locked = Agency.objects.select_for_update().get(pk=agency.pk)
        if locked.group_id is None:
            locked.group = Group.objects.create(name=f"agency-{agency.pk}")
            Agency.objects.filter(pk=agency.pk).update(group=locked.group)
        agency.group = locked.group
    return agency.group  # type: ignore[return-value]


def user_agency_group_sync(user: User) -> None:
    """Keep the user in exactly their own agency's group, and in none while deactivated.

    Called whenever a user's agency or active flag changes (the admin, the demo data), so
    what came with an old agency goes with it at once.
    """
    agency_groups = Group.objects.filter(agency__isnull=False)
    with transaction.atomic():
        user.groups.remove(*agency_groups.exclude(agency=user.agency_id if user.is_active else None))
        if user.is_active and user.agency_id is not None:
            user.groups.add(agency_group(user.agency))  # type: ignore[arg-type]
