from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = "Partnerships, agencies and people"

    def ready(self) -> None:
        from agencies import checks, signals  # noqa: F401 (registers the system check; connects the sign-in audit)
