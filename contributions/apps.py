from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    """Information from people who cannot attend or have no account (issue 31): external invitees, requests for
    information with their clocks, the code-protected link and the contributions sent through it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "contributions"
    verbose_name = "Contributions"
