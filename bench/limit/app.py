"""``LimitApp``, the limit's WSGI callable: the routes of the scenarios (and ``/healthz``) to
the handlers of ``reads``, ``writes`` and ``step``, refusals turned into their answers, a lost
connection dropped so the next request reconnects, every body serialized by orjson."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import orjson
import psycopg

from bench.limit.reads import Reads
from bench.limit.refusals import Refused, Response
from bench.limit.step import Step
from bench.limit.writes import Writes

JSON = [("Content-Type", "application/json")]
STATUS = {
    200: "200 OK",
    201: "201 Created",
    400: "400 Bad Request",
    401: "401 Unauthorized",
    403: "403 Forbidden",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    409: "409 Conflict",
}


class LimitApp(Reads, Writes, Step):
    """The WSGI callable. One connection per process (gunicorn sync workers serve one request
    at a time), opened on the first request, in autocommit: a one-statement write commits with
    its statement."""

    def __init__(
        self,
        dsn: str | None = None,
        *,
        count_cache_seconds: int | None = None,
        count_cache_min_rows: int | None = None,
    ):
        super().__init__(
            dsn,
            count_cache_seconds=count_cache_seconds,
            count_cache_min_rows=count_cache_min_rows,
        )
        self.routes: list[tuple[str, re.Pattern, Callable[..., Response]]] = [
            ("GET", re.compile(r"/api/v1/market/prompts/"), self.market_list),
            ("GET", re.compile(r"/api/v1/prompts/(\d+)/reputation/"), self.reputation),
            ("POST", re.compile(r"/api/v1/market/prompts/(\d+)/buy/"), self.buy),
            ("POST", re.compile(r"/api/v1/prompts/(\d+)/rate/"), self.rate),
            ("POST", re.compile(r"/api/v1/train/chains/(\d+)/step/"), self.step),
            ("GET", re.compile(r"/healthz"), lambda env: (200, {"status": "ok"}, [])),
        ]

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        try:
            status, body, headers = self.dispatch(environ)
        except Refused as refused:
            status, body, headers = refused.response
        except psycopg.OperationalError:
            if self.conn is not None:
                self.conn.close()  # reconnect on the next request
            raise
        payload = orjson.dumps(body, option=orjson.OPT_UTC_Z)
        start_response(STATUS[status], [*JSON, *headers, ("Content-Length", str(len(payload)))])
        return [payload]

    def dispatch(self, environ: dict) -> Response:
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        for route_method, pattern, handler in self.routes:
            match = pattern.fullmatch(path)
            if match:
                if method != route_method:
                    raise Refused(405, "method_not_allowed", f'Method "{method}" not allowed.')
                return handler(environ, *(int(g) for g in match.groups()))
        raise Refused(404, "not_found", "Not found.")
