"""The limit's WSGI entry point for gunicorn: ``application``, one ``LimitApp`` per worker
process. The limit itself (what it answers, and how) is the package ``bench.limit``.

    gunicorn bench.limit_wsgi:application   # DATABASE_URL=postgres://...
"""

from bench.limit.app import LimitApp

__all__ = ["LimitApp", "application"]

application = LimitApp()
