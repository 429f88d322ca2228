from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared building blocks with no models: GOV.UK forms and tags, middleware, error pages, the timescale engine."""

    name = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks
        from django.db.models.signals import post_migrate

        from core import db_roles, logredact, signals  # noqa: F401 (signals: starts the session time-outs at sign-in)

        # Every log record of this process has single-use link tokens redacted as it is made (issue 26).
        logredact.install()

        # `<id:pk>` in every URL of the app, before any URLconf is read (core/converters.py).
        from django.urls import register_converter

        from core.converters import RowId

        register_converter(RowId, "id")

        # The app's database role gets its rights on the tables as every migrate leaves them.
        post_migrate.connect(db_roles.after_migrate, dispatch_uid="core.db_roles.after_migrate")
        # SQLite (`make run`): the audit's append-only triggers, made again if a table rebuild dropped them.
        post_migrate.connect(db_roles.sqlite_guards, dispatch_uid="core.db_roles.sqlite_guards")
        # `check --deploy --database default`: the app never connects as a superuser or a table's owner.
        checks.register(db_roles.check_app_connection, checks.Tags.database, deploy=True)
