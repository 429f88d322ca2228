from django.http import HttpRequest
from django.utils import timezone

from actions.models import Notification
from actions.selectors import overdue_count
from referrals.access import can_audit_users


def overdue(request: HttpRequest) -> dict[str, int]:
    """The signed-in user's count of overdue deadlines (linking to the dashboard), and whether to link the audit."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "overdue_count": overdue_count(user, timezone.now()),  # type: ignore[arg-type]
        "can_audit": can_audit_users(user),  # type: ignore[arg-type]
        "unread_count": Notification.objects.filter(user=user, read_at=None).count(),
    }
