"""What every handler of the limit stands on: the process's one database connection
(autocommit, opened on the first request), the count cache's settings, the base URL and the
JSON body of a request, and knox's token authentication."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from hmac import compare_digest

import orjson
import psycopg

from bench.limit.constants import TOKEN_KEY_LENGTH
from bench.limit.refusals import Refused, auth_failed, not_authenticated
from bench.limit.sql_reads import token_sql


class LimitBase:
    """The connection, the count cache and the request helpers the handlers share."""

    def __init__(
        self,
        dsn: str | None = None,
        *,
        count_cache_seconds: int | None = None,
        count_cache_min_rows: int | None = None,
    ):
        self.dsn = dsn
        self.count_ttl = (
            count_cache_seconds
            if count_cache_seconds is not None
            else int(os.environ.get("API_COUNT_CACHE_SECONDS", "10") or 0)
        )
        self.count_min_rows = (
            count_cache_min_rows
            if count_cache_min_rows is not None
            else int(os.environ.get("API_COUNT_CACHE_MIN_ROWS", "1000") or 0)
        )
        self.conn: psycopg.Connection | None = None
        # The API keeps large counts for a few seconds in its cache; so does the limit, here.
        self.counts: tuple[float, int, int] | None = None

    def db(self) -> psycopg.Connection:
        if self.conn is None or self.conn.closed:
            dsn = self.dsn or os.environ["DATABASE_URL"]
            self.conn = psycopg.connect(dsn, autocommit=True, options="-c TimeZone=UTC")
        return self.conn

    # -- helpers --

    @staticmethod
    def _base_url(environ: dict) -> str:
        host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"

    @staticmethod
    def _body(environ: dict) -> dict:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            raise Refused(400, "parse_error", "JSON parse error.") from None
        if not isinstance(body, dict):
            raise Refused(
                400, "invalid", "Invalid data. Expected a dictionary.", "non_field_errors"
            )
        return body

    def user(self, environ: dict) -> tuple[int, bool]:
        """knox's TokenAuthentication: ``Token <token>``; rows by the token's first 15
        characters; an expired row is deleted and skipped; the SHA-512 digest compared in
        constant time; an inactive user refused. No credentials: 401 for a write."""
        parts = environ.get("HTTP_AUTHORIZATION", "").encode("latin-1").split()
        if not parts or parts[0].lower() != b"token":
            raise not_authenticated()
        if len(parts) == 1:
            raise auth_failed("Invalid token header. No credentials provided.")
        if len(parts) > 2:
            raise auth_failed("Invalid token header. Token string should not contain spaces.")
        token = parts[1].decode("utf-8")
        conn = self.db()
        now = datetime.now(UTC)
        for digest, expiry, user_id, is_active, is_staff in conn.execute(
            token_sql(), [token[:TOKEN_KEY_LENGTH]]
        ).fetchall():
            if expiry is not None and expiry < now:
                conn.execute("DELETE FROM knox_authtoken WHERE digest = %s", [digest])
                continue
            if compare_digest(hashlib.sha512(token.encode("utf-8")).hexdigest(), digest):
                if not is_active:
                    raise auth_failed("User inactive or deleted.")
                return user_id, is_staff
        raise auth_failed()
