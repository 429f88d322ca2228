from django.apps import AppConfig


class ActionsConfig(AppConfig):
    """SMART actions agreed at strategy discussions, each led by one agency (DOMAIN section 4)."""

    name = "actions"
    verbose_name = "SMART actions"

    def ready(self) -> None:
        from actions.selectors import case_actions
        from referrals.selectors import case_part_register

        # The case page's actions (referrals asks without importing this app: tests/test_layers.py).
        case_part_register("actions", case_actions)
