"""Test settings: fast hashing, generous throttles, a file-backed SQLite test database.

The SQLite test database is a file (not ``:memory:``) so that threads in ``transaction=True``
tests see one database and queue on its write lock like production processes do.
"""

import os
import tempfile

from .base import *  # noqa: F403
from .base import DATABASES, REST_FRAMEWORK

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

_suffix = os.environ.get("TEST_DB_SUFFIX", "")
_default = DATABASES["default"]
if _default["ENGINE"] == "django.db.backends.sqlite3":
    _default["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"mythos-test{_suffix}-{os.getpid()}.sqlite3")
    }
else:
    _default["TEST"] = {"NAME": f"test_mythos{_suffix}"}

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "100000/min", "user": "100000/min", "auth": "100000/min"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
