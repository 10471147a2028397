"""What a serving process does once, as it starts (``config.wsgi`` and ``config.asgi``), so that
no request pays for it: the URLconf, and through it every view module, is loaded now rather
than in the first request the worker serves (about a second of CPU), so a new or recycled
worker answers its first request as fast as its thousandth."""

from django.urls import get_resolver


def prepare_process() -> None:
    get_resolver().url_patterns  # noqa: B018
