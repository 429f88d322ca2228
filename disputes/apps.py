from django.apps import AppConfig


class DisputesConfig(AppConfig):
    """Professional disagreements (DOMAIN section 7): raised on a case, escalated stage by stage on their own clocks."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "disputes"
    verbose_name = "Professional disagreements"

    def ready(self) -> None:
        from disputes.selectors import case_disagreements_panel
        from referrals.selectors import case_panel_register

        # The case page's open disagreements, for those who may see them (referrals never imports this app).
        case_panel_register("disputes/_case_panel.html", case_disagreements_panel)
