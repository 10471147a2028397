import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()

# The URLconf, and through it every view module, loaded as the worker starts rather than in the
# first request it serves (which would otherwise take about a second of CPU): a new or
# recycled gunicorn worker answers its first request as fast as its thousandth.
get_resolver().url_patterns  # noqa: B018
