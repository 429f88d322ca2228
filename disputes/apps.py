from django.apps import AppConfig


class DisputesConfig(AppConfig):
    """Professional disagreements (DOMAIN section 7): raised on a case, escalated stage by stage on their own clocks."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "disputes"
    verbose_name = "Professional disagreements"

    def ready(self) -> None:
        from disputes.record import minutes_part
        from disputes.selectors import case_disagreements_panel, meeting_disagreements_panel
        from minutes.record import minutes_part_register
        from referrals.selectors import CASE_PANELS
        from strategy.selectors import MEETING_PANELS

        # The case page's open disagreements, for those who may see them (referrals never imports this app).
        CASE_PANELS.register("disputes/_case_panel.html", case_disagreements_panel)
        # The meeting page: the disagreement a stage-3 discussion resolves, and the case's open ones (strategy never
        # imports this app); a stage-3 discussion's minutes include the disagreement (nor does minutes).
        MEETING_PANELS.register("disputes/_meeting_panel.html", meeting_disagreements_panel)
        minutes_part_register("disagreement", minutes_part)
