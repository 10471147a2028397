"""Production: everything secret or host-specific must come from the environment.

Required: ``SECRET_KEY`` (50+ random characters), ``ALLOWED_HOSTS``, ``DATABASE_URL``
(PostgreSQL) and, with more than one worker process, ``REDIS_URL`` (shared throttle counters
and cache). See docs/deploy.md.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, env, env_bool, env_list
from .environment import database_pool

DEBUG = False
SECRET_KEY = env("SECRET_KEY") or ""
if not SECRET_KEY or SECRET_KEY.startswith("insecure-") or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to a random string of 50+ characters")
VAULT_SIGNING_KEY = env("VAULT_SIGNING_KEY", SECRET_KEY)

if not env("ALLOWED_HOSTS"):
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the host names this site answers to")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")

# Under ASGI (the default uvicorn workers) each request runs in a fresh thread, so a connection
# kept past its request would never be reused and would leak: 0 unless you serve WSGI (gthread).
DATABASES["default"]["CONN_MAX_AGE"] = int(env("CONN_MAX_AGE", "0") or 0)
# On PostgreSQL a bounded pool per process instead (DB_POOL_*; docs/deploy.md).
database_pool(DATABASES["default"])

STATIC_ROOT = Path(env("STATIC_ROOT") or BASE_DIR / "staticfiles")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Probes and scrapes reach the instance directly, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^(healthz|livez|readyz|metrics)$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000") or 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
