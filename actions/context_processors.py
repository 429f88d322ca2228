from django.http import HttpRequest
from django.utils import timezone

from actions.selectors import overdue_count


def overdue(request: HttpRequest) -> dict[str, int]:
    """The signed-in user's count of overdue deadlines, shown in the header and linking to the dashboard."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"overdue_count": overdue_count(user, timezone.now())}  # type: ignore[arg-type]
