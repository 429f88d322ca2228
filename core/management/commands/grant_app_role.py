"""`manage.py grant_app_role`: the app's database role gets exactly its rights again (core/db_roles.py).

`migrate` does this itself after every run; this is for an operator who changed a grant by hand. Run it
connected as the owner (DATABASE_URL the owner's), with DATABASE_APP_ROLE naming the app's role.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from core.db_roles import grant_app_role


class Command(BaseCommand):
    help = "Give the app's database role (DATABASE_APP_ROLE) exactly its rights on every table; run as the owner."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **options: Any) -> None:
        role = settings.DATABASE_APP_ROLE
        connection = connections[options["database"]]
        if not role or connection.vendor != "postgresql":
            raise CommandError("Set DATABASE_APP_ROLE, on PostgreSQL, to the role the app connects as")
        tables = grant_app_role(connection, role)
        self.stdout.write(f"{role}: rights granted on {tables} tables")
