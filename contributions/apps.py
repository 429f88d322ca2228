from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    """Information from people who cannot attend or have no account (issue 31): external invitees, requests for
    information with their clocks, the code-protected link and the contributions sent through it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "contributions"
    verbose_name = "Contributions"

    def ready(self) -> None:
        from actions.selectors import action_panel_register
        from contributions.selectors import action_request_panel, meeting_contributions_panel
        from strategy.selectors import meeting_panel_register

        # The meeting page's written contributions and outstanding requests (strategy never imports this app).
        meeting_panel_register("contributions/_meeting_panel.html", meeting_contributions_panel)
        # An automatic "Obtain information from ..." action links to the request that meets it (actions never imports
        # this app).
        action_panel_register("contributions/_action_panel.html", action_request_panel)
