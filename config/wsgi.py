import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# With DEBUG off, the server refuses to start while a demo account still has the demo password.
from agencies.checks import refuse_to_start_with_demo_passwords  # noqa: E402

refuse_to_start_with_demo_passwords()
