import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()

# The URLconf loaded as the worker starts, not in its first request (config/startup.py).
from config.startup import prepare_process  # noqa: E402

prepare_process()
