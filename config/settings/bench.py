"""Benchmark settings: production-like (DEBUG off, no toolbar, no browsable API) on a bench
database, with throttling effectively off. The limit it is measured against is a separate
plain WSGI app (the package bench/limit/, served as bench.limit_wsgi:application).

Used by ``make bench`` (python -m bench.run). Never for serving users: the secret key is
generated per run unless SECRET_KEY is set, and only loopback hosts are allowed.
"""

import secrets
import warnings

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, env
from .environment import database_pool

DEBUG = False
# Static files are not served by the bench (no collectstatic): silence whitenoise about it.
warnings.filterwarnings("ignore", message="No directory at")
SECRET_KEY = env("SECRET_KEY") or secrets.token_urlsafe(64)
VAULT_SIGNING_KEY = env("VAULT_SIGNING_KEY", SECRET_KEY)
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

# Each run's cache keys apart (bench.harness.databases sets a fresh prefix), so nothing needs
# flushing.
CACHES["default"]["KEY_PREFIX"] = env("BENCH_CACHE_PREFIX") or "mythos-bench"  # noqa: F405

# As production: PostgreSQL through the bounded pool (DB_POOL_*); SQLite keeps its connection.
for _db in DATABASES.values():  # noqa: F405
    _db["CONN_MAX_AGE"] = 60
    database_pool(_db)

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    # JSON only: what clients and the load generator ask for.
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.FastJSONRenderer"],
    # Throttling on (its code path is what production runs) but at rates no run can reach.
    "DEFAULT_THROTTLE_RATES": {
        "anon": "100000000/min",
        "user": "100000000/min",
        "auth": "100000000/min",
    },
}

# A fast hasher: the bench creates its users in bulk; nobody logs in with a password.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
