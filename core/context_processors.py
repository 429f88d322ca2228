from django.conf import settings
from django.http import HttpRequest


def service(request: HttpRequest) -> dict[str, str]:
    """Service and partnership names for the header of every page."""
    user = getattr(request, "user", None)
    partnership_name = settings.PARTNERSHIP_NAME
    if user is not None and user.is_authenticated and user.agency_id:
        partnership_name = user.agency.partnership.name
    return {"service_name": "Strategy Discussions", "partnership_name": partnership_name}
