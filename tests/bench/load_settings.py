"""Settings for tests/bench/test_load.py's gunicorn: production's (config.settings with DEBUG off), except the static
files storage, which needs no collectstatic (collecting and compressing every asset takes about 10 s)."""

from config.settings import *  # noqa: F403

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
