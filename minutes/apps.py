from django.apps import AppConfig


class MinutesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "minutes"
    verbose_name = "Minutes"

    def ready(self) -> None:
        from minutes import history_words

        history_words.register()
