from django.apps import AppConfig


class MinutesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "minutes"
    verbose_name = "Minutes"

    def ready(self) -> None:
        from core import events
        from minutes import history_words, services
        from minutes.access import meeting_minutes_panel
        from strategy.selectors import MEETING_PANELS

        history_words.register()
        # The meeting page's link to its minutes, worded by what the reader may do there (strategy never imports this).
        MEETING_PANELS.register("minutes/_meeting_panel.html", meeting_minutes_panel)
        # What minutes does when strategy announces (core.events lists every event and who listens).
        events.subscribe(events.MeetingEnded, services.on_meeting_ended)
        events.subscribe(events.InviteeNamed, services.on_invitee_named)
