from django.apps import AppConfig


class ActionsConfig(AppConfig):
    """SMART actions agreed at strategy discussions, each led by one agency (DOMAIN section 4)."""

    name = "actions"
    verbose_name = "SMART actions"
