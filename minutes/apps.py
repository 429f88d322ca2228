from django.apps import AppConfig


class MinutesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "minutes"
    verbose_name = "Minutes"

    def ready(self) -> None:
        from core import events
        from minutes import history_words, services

        history_words.register()
        # What minutes does when strategy announces (core.events lists every event and who listens).
        events.subscribe(events.MeetingEnded, services.on_meeting_ended)
        events.subscribe(events.InviteeNamed, services.on_invitee_named)
