"""Gunicorn settings for production (``make serve``). Every value can be set from the environment.

- ``GUNICORN_BIND`` (default ``0.0.0.0:$PORT``, PORT defaulting to 8000): where to listen.
- ``WEB_CONCURRENCY``: worker processes (default ``2 * cores + 1``).
- ``GUNICORN_WORKER_CLASS``: ``uvicorn_worker.UvicornWorker`` (ASGI, the default: an open event
  stream holds no thread) or ``gthread`` (WSGI; event streams then each hold a thread).
- ``GUNICORN_THREADS``: threads per worker for ``gthread`` (default 2).
- ``GUNICORN_TIMEOUT``: seconds a request may take before its worker is restarted (default 30).
- ``FORWARDED_ALLOW_IPS``: the load balancer addresses trusted for ``X-Forwarded-*``.
- ``GUNICORN_ACCESS_LOG`` / ``GUNICORN_ERROR_LOG``: file paths, ``-`` (stdout/stderr) by default.

Workers keep no state between requests (tokens, throttles and the cache live in PostgreSQL
and Redis), so any number of them on any number of hosts can serve behind a load balancer.
"""

import glob
import multiprocessing
import os


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "")
    return value if value.strip() else default


def _env_int(name: str, default: int, minimum: int = 1) -> int:
    raw = _env(name, str(default))
    try:
        value = int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise SystemExit(f"{name} must be at least {minimum}, got {value}")
    return value


worker_class = _env("GUNICORN_WORKER_CLASS", "uvicorn_worker.UvicornWorker")
# ASGI under uvicorn workers: Django runs the sync views in threads and the event stream on the
# event loop, so thousands of open streams cost a few coroutines, not a worker each.
wsgi_app = "config.asgi:application" if "uvicorn" in worker_class else "config.wsgi:application"
raw_env = [f"DJANGO_SETTINGS_MODULE={_env('DJANGO_SETTINGS_MODULE', 'config.settings.production')}"]

bind = [
    addr.strip() for addr in _env("GUNICORN_BIND", f"0.0.0.0:{_env('PORT', '8000')}").split(",")
]
workers = _env_int("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1)
threads = _env_int("GUNICORN_THREADS", 2)

# A request that runs longer than this is killed with its worker; load balancers usually give
# up at 60 s, so fail well before that. Graceful shutdown lets in-flight requests finish on a
# rolling restart.
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Longer than the load balancer's idle timeout would be wrong: the balancer must close first.
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)

# Worker recycling is off by default: a recycled worker closes its idle keep-alive connections,
# and a client that has just sent a request on one gets "connection reset" (the soak saw it once
# the API grew fast enough to reach 2,000 requests per worker). Set it only against a measured
# leak, behind a balancer that retries on a reset connection.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 0, minimum=0)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 0, minimum=0)

# Refuse oversized request lines and headers before Django sees them.
limit_request_line = 8190
limit_request_fields = 100

# Trust X-Forwarded-Proto (for SECURE_PROXY_SSL_HEADER) only from the balancer.
forwarded_allow_ips = _env("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Heartbeat files on tmpfs: a slow disk must not make the arbiter kill healthy workers.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

accesslog = _env("GUNICORN_ACCESS_LOG", "-")
errorlog = _env("GUNICORN_ERROR_LOG", "-")
loglevel = _env("GUNICORN_LOG_LEVEL", "info")
# Client (first X-Forwarded-For hop when behind the balancer), request, status, bytes,
# duration in microseconds, user agent.
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(B)s %(D)sus "%(a)s"'
proc_name = "mythos"

# gunicorn's runtime control socket (gunicornc) defaults to one path per user, which two
# servers on one host would fight over: off unless a path is given.
if _env("GUNICORN_CONTROL_SOCKET", ""):
    control_socket = _env("GUNICORN_CONTROL_SOCKET", "")
else:
    control_socket_disable = True


# Prometheus multiprocess mode (api/metrics.py): each worker writes its samples into
# PROMETHEUS_MULTIPROC_DIR; start from an empty directory and drop a dead worker's gauges.
if _env("PROMETHEUS_MULTIPROC_DIR", ""):

    def on_starting(server):
        directory = _env("PROMETHEUS_MULTIPROC_DIR", "")
        os.makedirs(directory, exist_ok=True)
        for path in glob.glob(os.path.join(directory, "*.db")):
            os.remove(path)

    def child_exit(server, worker):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
