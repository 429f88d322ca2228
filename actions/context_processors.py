from django.http import HttpRequest
from django.utils import timezone

from actions.models import Notification
from actions.selectors import overdue_deadlines
from core.pages import counts_capped
from referrals.access import can_audit_users, report_partnership

HEADER_COUNT_CAP = 99  # the header says "99+" beyond this, so its counts stop there at any scale


def overdue(request: HttpRequest) -> dict[str, object]:
    """The signed-in user's overdue deadlines and unread alerts for the header (each counted up to 99, then
    "99+"), and whether to link the audit and the timeliness report."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    overdue, unread = counts_capped(
        [overdue_deadlines(user, timezone.now()), Notification.objects.filter(user=user, read_at=None)],  # type: ignore[arg-type]
        HEADER_COUNT_CAP,
    )
    return {
        "overdue_count": _shown(*overdue),  # type: ignore[arg-type]
        "can_audit": can_audit_users(user),
        "can_report": report_partnership(user) is not None,
        "unread_count": _shown(*unread),  # type: ignore[arg-type]
    }


def _shown(count: int, capped: bool) -> str:
    return f"{count}+" if capped else (str(count) if count else "")
