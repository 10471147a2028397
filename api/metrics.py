"""Prometheus metrics, served at ``/metrics``.

Metrics live in prometheus_client's default ``REGISTRY``: any module adds its own with
``Counter(...)`` at import. With several processes (gunicorn workers, job workers on one host)
set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory shared by them: each process writes its
samples there and a scrape of any worker aggregates them (docs/deploy.md). Job queue figures
are read from the database at scrape time, so they are right whichever process answers.

Access: open while DEBUG is on; otherwise only with ``Authorization: Bearer <METRICS_TOKEN>``,
and not served at all (404) when METRICS_TOKEN is unset.
"""

import os
import re
from functools import lru_cache

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

HTTP_REQUESTS = Counter(
    "mythos_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "mythos_http_request_duration_seconds",
    "Time to answer a request, by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
CACHE_ERRORS = Counter(
    "mythos_cache_errors",
    "Cache operations that failed open because the cache (Redis) was unreachable.",
    ["operation"],
)
JOB_FAILURES = Counter(
    "mythos_job_failures",
    "Jobs that raised, by task (counted by the worker process that ran them).",
    ["task"],
)
JOBS_LOST = Counter(
    "mythos_jobs_lost",
    "Jobs still running long after they started, their worker gone, recorded as failed by "
    "housekeeping (api.jobs.job_results_fail_lost), by task.",
    ["task"],
)

_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


@lru_cache(maxsize=1024)  # one entry per route: worked out once, not per request
def route_template(route: str | None) -> str:
    """``api/v1/prompts/(?P<pk>[0-9]{1,18})/$`` -> ``/api/v1/prompts/{pk}/``: one label value
    per route, never per URL (bounded cardinality); unmatched URLs share one value."""
    if route is None:
        return "unmatched"
    return "/" + _GROUP.sub(r"{\1}", route).replace("^", "").replace("$", "")


class JobQueueCollector:
    """Job figures read from the queue table at scrape time: ``mythos_job_queue_depth`` (jobs
    due and waiting for a worker) and ``mythos_jobs`` by status (failed ones stay until
    housekeeping prunes them)."""

    def _families(self) -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        depth = GaugeMetricFamily("mythos_job_queue_depth", "Jobs due and waiting for a worker.")
        by_status = GaugeMetricFamily(
            "mythos_jobs", "Jobs in the queue table, by status.", labels=["status"]
        )
        return depth, by_status

    def describe(self):
        # Registration asks for names: answer without a query (no database at import time).
        return list(self._families())

    def collect(self):
        from django_tasks_db.models import DBTaskResult

        depth, by_status = self._families()
        try:
            depth.add_metric([], DBTaskResult.objects.ready().count())
            rows = DBTaskResult.objects.values_list("status").annotate(n=Count("id")).order_by()
            for status, n in rows:
                by_status.add_metric([status], n)
        except Exception:  # the database is down: /readyz says so; the scrape still answers
            return
        yield depth
        yield by_status


JOB_QUEUE_COLLECTOR = JobQueueCollector()
REGISTRY.register(JOB_QUEUE_COLLECTOR)


def _registry():
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(JOB_QUEUE_COLLECTOR)
    return registry


def _allowed(request: HttpRequest) -> bool | None:
    """True: serve; False: wrong or missing token; None: metrics are off."""
    if settings.DEBUG:
        return True
    token = getattr(settings, "METRICS_TOKEN", None)
    if not token:
        return None
    return constant_time_compare(request.headers.get("Authorization", ""), f"Bearer {token}")


def metrics_view(request: HttpRequest) -> HttpResponse:
    allowed = _allowed(request)
    if allowed is None:
        return JsonResponse(
            {
                "type": "client_error",
                "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}],
            },
            status=404,
        )
    if not allowed:
        response = JsonResponse(
            {
                "type": "client_error",
                "errors": [
                    {
                        "code": "not_authenticated",
                        "detail": "A valid metrics bearer token is required.",
                        "attr": None,
                    }
                ],
            },
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
