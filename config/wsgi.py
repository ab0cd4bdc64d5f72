"""WSGI entry point. Keys are checked before the first request: a missing or wrong
master key stops the server with a clear message instead of serving garbage."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

from hygie.crypto.keys import check_keys  # noqa: E402  (needs the app registry)

check_keys()
