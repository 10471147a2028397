"""Settings shared by every environment; each value that differs comes from the environment."""

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .environment import database_config, env, env_bool, env_list

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env("SECRET_KEY", "insecure-local-development-key-do-not-use-in-production")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "django_tasks",
    "django_tasks_db",
    "core",
    "economy",
    "mentorship",
    "training",
    "api",
]

MIDDLEWARE = [
    # First: request id, request log line and HTTP metrics for every response (api/middleware.py).
    "api.middleware.ObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Django's MessageMiddleware with its storage made on first use (the admin's messages).
    "api.middleware.LazyMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Jobs (webhook deliveries, housekeeping) go through Django's task API with the database backend:
# nothing else to run on the SQLite default; workers on several hosts share one queue.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The worker (manage.py worker) enqueues housekeeping once per interval; finished job records
# are kept this many days.
HOUSEKEEPING_INTERVAL_SECONDS = int(env("HOUSEKEEPING_INTERVAL_SECONDS", "300") or 300)
JOB_RESULTS_KEEP_DAYS = int(env("JOB_RESULTS_KEEP_DAYS", "7") or 7)
# A job still running this long after it started lost its worker (killed, host gone):
# housekeeping records it as failed. Keep it above the longest run a job may take.
JOB_LOST_AFTER_SECONDS = int(env("JOB_LOST_AFTER_SECONDS", "900") or 900)
if JOB_LOST_AFTER_SECONDS < 60:  # less would fail jobs at work, housekeeping's own included
    raise ImproperlyConfigured("JOB_LOST_AFTER_SECONDS must be at least 60")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


# --- Database -------------------------------------------------------------------------------
# SQLite by default (a file in the project folder). WAL lets readers run beside one writer;
# IMMEDIATE transactions take the write lock up front so concurrent writers queue on the busy
# timeout instead of failing with "database is locked" halfway through a transaction.
SQLITE_PATH = BASE_DIR / "db.sqlite3"
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{SQLITE_PATH}")


DATABASES = {"default": database_config(DATABASE_URL or "")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Cache and throttling store ---------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Fails open: a Redis outage means cache misses and unthrottled requests, never 500s.
            "BACKEND": "api.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "mythos",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "mythos",
        }
    }


AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Requests are JSON of modest size; anything bigger is refused before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
API_MAX_BODY_BYTES = 1024 * 1024

LOGIN_URL = "rest_framework:login"
LOGIN_REDIRECT_URL = "/api/docs/"

# --- REST framework -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ReadOnlyOrAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "api.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "api.filters.SearchFilter",
        "api.ordering.StableOrderingFilter",  # ties broken by primary key, on every list
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.AnonRateThrottle",
        "api.throttling.UserRateThrottle",
        "api.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", "300/min"),
        "user": env("THROTTLE_USER", "1200/min"),
        "auth": env("THROTTLE_AUTH", "20/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": True,
    "NUM_PROXIES": int(env("NUM_PROXIES", "0") or 0),
}

REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=int(env("TOKEN_TTL_HOURS", "72") or 72)),
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_LIMIT_PER_USER": None,
    "AUTO_REFRESH": False,
}

DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "ALLOWED_ERROR_STATUS_CODES": [
        "400",
        "401",
        "403",
        "404",
        "405",
        "406",
        "409",
        "413",
        "415",
        "429",
        "503",
    ],
    "ERROR_SCHEMAS": dict.fromkeys(
        ["400", "401", "403", "404", "405", "406", "409", "413", "415", "429", "503"],
        "api.schema.ErrorResponseSerializer",
    ),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "MythOS prompt economy API",
    # Two models call their states "state": name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "LicenceStateEnum": "core.models.PromptLicence.State",
        "PurchaseStateEnum": "economy.models.Purchase.State",
    },
    "DESCRIPTION": (
        "Prompts earn reputation and trade on a token marketplace; assistants keep trust maps, "
        "mentor each other, trade curricula and run reflective training chains.\n\n"
        "Authenticate with `Authorization: Token <token>` from `POST /api/v1/auth/login/`. "
        "Every error has the shape `{type, errors: [{code, detail, attr}]}`; `code` is stable."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayOperationId": True},
}

# Lists whose count reaches API_COUNT_CACHE_MIN_ROWS reuse it for API_COUNT_CACHE_SECONDS
# (api.pagination.CachedCountPaginator); smaller counts are always exact.
API_COUNT_CACHE_SECONDS = int(env("API_COUNT_CACHE_SECONDS", "10") or 0)
API_COUNT_CACHE_MIN_ROWS = int(env("API_COUNT_CACHE_MIN_ROWS", "1000") or 0)

# --- Events (docs/events.md) ---------------------------------------------------------------------
# How a process's stream hub hears of commits in other processes: "auto" is LISTEN/NOTIFY on
# PostgreSQL, else Redis pub/sub when REDIS_URL is set, else a poll of the newest event id.
EVENTS_BUS = env("EVENTS_BUS", "auto") or "auto"
EVENTS_POLL_SECONDS = float(env("EVENTS_POLL_SECONDS", "0.5") or 0.5)
EVENTS_HEARTBEAT_SECONDS = float(env("EVENTS_HEARTBEAT_SECONDS", "15") or 15)
EVENTS_RETRY_MILLISECONDS = int(env("EVENTS_RETRY_MILLISECONDS", "3000") or 3000)

# --- Domain settings ------------------------------------------------------------------------------
TOKEN_GRANT: str = env("TOKEN_GRANT", "100.00") or "100.00"
# A user's first N assistants receive TOKEN_GRANT; later ones start at 0.00 (SPEC 2).
GRANTED_ASSISTANTS_PER_USER = int(env("GRANTED_ASSISTANTS_PER_USER", "1") or 0)
REPUTATION_WEIGHTS = {"ritual_effectiveness": 0.5, "assistant_approval": 0.5}
REPUTATION_PRIOR_MEAN = 0.5
REPUTATION_PRIOR_WEIGHT = 5
TRUST_EMA_ALPHA = 0.3
VAULT_SIGNING_KEY = env("VAULT_SIGNING_KEY", SECRET_KEY)
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
# A key still in progress after this long belongs to a request killed with its worker: a retry
# takes it over. Must exceed the longest a request may run (GUNICORN_TIMEOUT, 30 s).
IDEMPOTENCY_STALE_SECONDS = int(env("IDEMPOTENCY_STALE_SECONDS", "60") or 60)
# A buyer may refund a purchase it has not used for this long (SPEC 7); sellers at any time.
REFUND_WINDOW_HOURS = int(env("REFUND_WINDOW_HOURS", "24") or 24)

# Webhooks (SPEC 8). Retry delays in seconds after each failed attempt (jittered by ±20 %); once
# they are used up the delivery is failed. An endpoint failing for WEBHOOK_DISABLE_AFTER with no
# success is disabled. Private, loopback, link-local and metadata targets are refused unless
# WEBHOOK_ALLOW_PRIVATE_TARGETS; plain http is accepted only to loopback, under DEBUG or
# WEBHOOK_ALLOW_HTTP_LOOPBACK.
WEBHOOK_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000]
WEBHOOK_TIMEOUT_SECONDS = 10.0
WEBHOOK_DISABLE_AFTER = timedelta(days=5)
WEBHOOK_SECRET_ROTATION_GRACE = timedelta(hours=24)
WEBHOOK_DELIVERY_RETENTION = timedelta(days=30)
# A pending delivery this far past its attempt time lost its job: housekeeping enqueues it again.
WEBHOOK_REQUEUE_AFTER = timedelta(minutes=5)
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
WEBHOOK_ALLOW_HTTP_LOOPBACK = env_bool("WEBHOOK_ALLOW_HTTP_LOOPBACK", False)

# /metrics: open while DEBUG is on; otherwise served only with "Authorization: Bearer <token>",
# and not at all (404) without a token.
METRICS_TOKEN = env("METRICS_TOKEN")

# One JSON object per line on stdout, each with the request id of the request it belongs to
# (api/request_id.py); LOG_FORMAT=plain for a terminal.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "api.request_id.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if env("LOG_FORMAT") == "plain" else "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
