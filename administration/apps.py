from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    """The Django admin for a partnership's administrators.

    It sits above every app it administers, so saving a partnership's calendar can call the
    service that reschedules the cases' deadlines directly (no signal), while agencies itself
    depends on nothing above it.
    """

    name = "administration"
    verbose_name = "Administration"
