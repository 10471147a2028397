"""Health endpoints for load balancers and orchestrators (outside the API: no auth, no
throttling, not in the OpenAPI schema, exempt from the HTTPS redirect).

- ``/livez``: the process answers; touches nothing else (restart the process when it fails).
- ``/readyz`` (and its alias ``/healthz``): can this process serve? Names each dependency:
  ``database`` and ``migrations`` make it 503 when down or pending (take the host out of
  rotation); a ``cache`` that is down gives 200 with ``status: degraded``, because every host
  shares the one Redis and failing them all would turn a cache blip into an outage (the API
  fails open without it: api/cache.py).
"""

import logging

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse

from .request_id import get_request_id

logger = logging.getLogger(__name__)

# Once a process has seen no pending migration it never checks again (the code it runs cannot
# gain migrations); while some are pending it re-checks on every probe, so the host turns ready
# as soon as the release step has migrated.
_migrations_applied = False


def livez(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database() -> str:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.warning("readiness: database unreachable", exc_info=True)
        return "down"
    return "ok"


def pending_migrations() -> int:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _migrations() -> str:
    global _migrations_applied
    if _migrations_applied:
        return "ok"
    try:
        pending = pending_migrations()
    except Exception:
        logger.warning("readiness: migrations could not be read", exc_info=True)
        return "unknown"
    if pending:
        return "pending"
    _migrations_applied = True
    return "ok"


def _cache() -> str:
    try:
        ping = getattr(cache, "ping", None)
        if ping is not None:
            ping()  # the fail-open Redis backend: a real round trip that raises when down
        else:
            cache.set("readyz", "1", 5)
            cache.get("readyz")
    except Exception:
        logger.warning("readiness: cache unreachable", exc_info=True)
        return "down"
    return "ok"


def readyz(request: HttpRequest) -> JsonResponse:
    database = _database()
    migrations = _migrations() if database == "ok" else "unknown"
    checks = {"database": database, "migrations": migrations, "cache": _cache()}
    if database != "ok" or migrations != "ok":
        body: dict = {"status": "unavailable", **checks, "request_id": get_request_id()}
        return JsonResponse(body, status=503)
    status = "ok" if checks["cache"] == "ok" else "degraded"
    return JsonResponse({"status": status, **checks})
