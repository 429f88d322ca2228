"""Types shared by the apps."""

from django.http import HttpRequest

from agencies.models import User


class AuthenticatedRequest(HttpRequest):
    """A request past LoginRequiredMiddleware: `user` is a signed-in User, never AnonymousUser."""

    user: User
