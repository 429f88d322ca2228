"""Django's admin with the back office's own site (administration.site: staff only, 404 for anyone else signed in).

Listed in INSTALLED_APPS in place of "django.contrib.admin"; its own module, so that loading "administration"
finds one app config (administration.apps).
"""

from django.contrib.admin import apps


class StrategyAdminConfig(apps.AdminConfig):
    default_site = "administration.site.StrategyAdminSite"
