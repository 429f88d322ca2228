from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared building blocks with no models: GOV.UK forms and tags, middleware, error pages, the timescale engine."""

    name = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import signals  # noqa: F401 (starts the session time-outs at sign-in)
