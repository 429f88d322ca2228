"""The authentication backend that reads the signed-in user on every request."""

from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.db.models import OuterRef

from agencies.models import Role, User


class UserBackend(ModelBackend):
    """Django's ModelBackend (passwords, permissions), reading the signed-in user on each request in one query with
    their agency, its partnership and, on PostgreSQL, their role codes: every page asks for all four, which
    took four queries (issue 28). On SQLite (`make run`) the roles are read when first asked for, as before."""

    def get_user(self, user_id: int) -> User | None:  # type: ignore[override]
        users = User._default_manager.select_related("agency__partnership")
        if connection.vendor == "postgresql":
            from django.contrib.postgres.expressions import ArraySubquery

            users = users.annotate(role_list=ArraySubquery(Role.objects.filter(users=OuterRef("pk")).values("code")))
        user = users.filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        codes = getattr(user, "role_list", None)
        if codes is not None:
            user._role_codes = frozenset(codes)  # what User.role_codes caches for the request
        return user
