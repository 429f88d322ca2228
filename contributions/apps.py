from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    """Information from people who cannot attend or have no account (issue 31): external invitees, requests for
    information with their clocks, the code-protected link and the contributions sent through it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "contributions"
    verbose_name = "Contributions"

    def ready(self) -> None:
        from actions.selectors import ACTION_PANELS
        from contributions.selectors import action_request_panel, meeting_contributions_panel
        from strategy.selectors import MEETING_PANELS

        # The meeting page's written contributions and outstanding requests (strategy never imports this app).
        MEETING_PANELS.register("contributions/_meeting_panel.html", meeting_contributions_panel)
        # An automatic "Obtain information from ..." action links to the request that meets it (actions never imports
        # this app).
        ACTION_PANELS.register("contributions/_action_panel.html", action_request_panel)
