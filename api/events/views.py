"""The caller's events: the feed (``GET /events/``) and the live stream (``GET /events/stream/``)."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import django_filters
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from api.filters import MAX_ID, IdFilter
from api.pagination import AscendingCursorPagination
from core.events import CATALOGUE, event_backlog, event_last_id, events_of

from .hub import hub, sse_message
from .serializers import EVENT_LIST_SCHEMA, EventSerializer

TYPE_CHOICES = [(name, name) for name in CATALOGUE]


class EventFilter(django_filters.FilterSet):
    type = django_filters.MultipleChoiceFilter(
        choices=TYPE_CHOICES, help_text="Only these types (repeat the parameter for several)."
    )
    after = IdFilter(
        field_name="id",
        lookup_expr="gt",
        min_value=0,
        max_value=MAX_ID,
        help_text="Only events with a larger id (resume after the last one you handled).",
    )


@extend_schema(tags=["events"])
class EventViewSet(mixins.ListModelMixin, GenericViewSet):
    """The events addressed to you, oldest first (cursor-paginated). ``data`` is typed per
    ``type``: see the ``Event`` component and docs/events.md."""

    serializer_class = EventSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = AscendingCursorPagination
    filterset_class = EventFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]

    def get_queryset(self):
        return events_of(user_id=int(self.request.user.pk or 0))

    @extend_schema(responses=EVENT_LIST_SCHEMA)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


async def event_stream(*, user_id: int, after: int | None) -> AsyncIterator[bytes]:
    """The caller's events after ``after`` (or from now), then live ones as they commit, with a
    comment line every EVENTS_HEARTBEAT_SECONDS so proxies and clients know the line is alive.

    The stream subscribes before it reads its backlog, and skips any id it has sent: an event
    committed in between arrives once."""
    events = await hub()
    subscriber = events.subscribe(user_id)
    heartbeat = float(settings.EVENTS_HEARTBEAT_SECONDS)
    try:
        last = events.position if after is None else after
        backlog = await events.db(event_backlog, user_id=user_id, after=last)
        # Sent once subscribed and the first backlog page is read: from here on nothing is missed.
        yield f"retry: {int(settings.EVENTS_RETRY_MILLISECONDS)}\n\n".encode()
        while True:  # the backlog, in pages
            for delivery in backlog:
                yield sse_message(delivery)
                last = delivery.id
            if len(backlog) < 1000:
                break
            backlog = await events.db(event_backlog, user_id=user_id, after=last)
        queue = subscriber.queue
        while True:
            try:
                async with asyncio.timeout(heartbeat):  # a timer, not a task per wait
                    item = await queue.get()
            except TimeoutError:
                yield b": heartbeat\n\n"
                continue
            # Whatever else is already queued goes out in the same write.
            chunk = []
            while item is not None:
                event_id, message = item
                if event_id > last:  # else already sent from the backlog
                    chunk.append(message)
                    last = event_id
                if queue.empty():
                    break
                item = queue.get_nowait()
            if chunk:
                yield b"".join(chunk)
            if item is None:
                return  # too far behind: the client reconnects with Last-Event-ID
    finally:
        events.unsubscribe(subscriber)


def event_stream_once(*, user_id: int, after: int | None) -> Iterator[bytes]:
    """Under WSGI (a sync worker per open request) the stream is not held open: it sends what
    is there after ``after`` and ends, and the client reconnects after ``retry`` with its
    Last-Event-ID, which makes it a long poll that never loses an event."""
    yield f"retry: {int(settings.EVENTS_RETRY_MILLISECONDS)}\n\n".encode()
    for delivery in event_backlog(
        user_id=user_id, after=event_last_id() if after is None else after
    ):
        yield sse_message(delivery)


LAST_EVENT_ID_HEADER = OpenApiParameter(
    name="Last-Event-ID",
    type=OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Resume after this event id (EventSource sends it when it reconnects).",
)
LAST_EVENT_ID_QUERY = OpenApiParameter(
    name="last_event_id",
    type=OpenApiTypes.INT,
    location=OpenApiParameter.QUERY,
    required=False,
    description="The same as the header, for clients that cannot set headers.",
)


class EventStreamView(APIView):
    """Your events as Server-Sent Events: each has ``id:``, ``event:`` (the type) and ``data:``
    (the event as the feed shows it). Without ``Last-Event-ID`` the stream starts now; with it,
    it first sends every event after that id. A comment line every 15 s keeps it alive.

    Served asynchronously (ASGI): an open stream holds no worker thread."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="events_stream",
        tags=["events"],
        parameters=[LAST_EVENT_ID_HEADER, LAST_EVENT_ID_QUERY],
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                OpenApiTypes.STR,
                description="`text/event-stream`: `retry:`, then `id:`/`event:`/`data:` "
                "messages whose data is an `Event`, and `: heartbeat` comments.",
            ),
        },
    )
    def get(self, request):
        after = self._last_event_id(request)
        user_id = request.user.pk
        if isinstance(request._request, ASGIRequest) and not connection.in_atomic_block:
            # The stream may stay open for hours: give its database connection back now (the
            # hub reads for every stream on its own one).
            connection.close()
        if isinstance(request._request, ASGIRequest):
            body: Any = event_stream(user_id=user_id, after=after)
        else:
            body = event_stream_once(user_id=user_id, after=after)
        response = StreamingHttpResponse(body, content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
        return response

    @staticmethod
    def _last_event_id(request) -> int | None:
        raw = request.headers.get("Last-Event-ID") or request.query_params.get("last_event_id")
        if raw in (None, ""):
            return None
        try:
            value = int(raw)
        except ValueError:
            value = -1
        if not 0 <= value <= MAX_ID:
            raise exceptions.ValidationError(
                {"last_event_id": [exceptions.ErrorDetail("Must be an event id.", "invalid")]}
            )
        return value

    def perform_content_negotiation(self, request, force=False):
        # EventSource asks for text/event-stream; errors still come as JSON in the one shape.
        return JSONRenderer(), JSONRenderer.media_type
