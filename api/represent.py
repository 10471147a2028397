"""The serializer work of a write kept to what it needs: answers written by serializers whose
fields are built once per process, bodies validated with the plain context by serializers whose
fields are built once per thread.

A ``ModelSerializer`` builds its fields anew for every instance it is made for (deep copies of
the declared ones, the model's introspected): about half a millisecond for a write's answer.
``represent`` keeps one instance per serializer class and asks it for each object's
representation, as a ``many=True`` list reuses its child. Only for serializers whose output
depends on the object alone (no ``context``: request, viewer); the JSON is the same as
``serializer_class(instance).data``.
"""

import threading
from collections.abc import Callable
from typing import Any

from rest_framework import generics, serializers

_shared: dict[type[serializers.Serializer], serializers.Serializer] = {}


def represent(serializer_class: type[serializers.Serializer], instance: Any) -> dict:
    serializer = _shared.get(serializer_class)
    if serializer is None:
        serializer = serializer_class()
        serializer.fields  # noqa: B018 - built here, once, and read only afterwards
        _shared[serializer_class] = serializer
    return serializer.to_representation(instance)


def write_context(view) -> dict[str, Any]:
    """The serializer context DRF's ``GenericAPIView`` gives (request, format, view), without
    what a viewset adds for its reads (``AssistantsCountMixin``'s count): for a write's body."""
    return generics.GenericAPIView.get_serializer_context(view)


_bodies = threading.local()


def validated_body(
    view, serializer_class: type[serializers.Serializer], lookup: Callable[[], Any]
) -> Any:
    """The validated body of a write whose service reads (and locks) its object with the
    visibility rule: ``serializer_class`` given the view's request data and ``write_context``.
    A refused body runs ``lookup`` first (the view's ``get_object``), so an object the caller
    may not see is 404 whatever the body.

    The serializer's fields are not built for every request: DRF deep-copies a serializer's
    declared fields (re-running each field's ``__init__``) for each instance, about 70 µs for a
    rating's body. One instance per class and thread is kept and given each request's data and
    context (its fields read both through the serializer, their root); what it validated or
    refused is dropped as it goes back, with the request's data and context, so the kept
    instance holds nothing of the request it served. Taken from the pool while in use, so a
    nested use of the same class builds its own."""
    data, context = view.request.data, write_context(view)
    pool: dict = _bodies.__dict__
    # Made without arguments: DRF keeps a serializer's constructor arguments (``_kwargs``),
    # which would hold the first request's data and context for the thread's lifetime.
    serializer = pool.pop(serializer_class, None) or serializer_class()
    serializer.initial_data = data
    serializer._context = context
    try:
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
    except Exception:  # a 400, or the 403 of an acting-assistant field
        lookup()
        raise
    finally:
        for state in ("initial_data", "_validated_data", "_errors", "_data"):
            serializer.__dict__.pop(state, None)
        serializer._context = {}
        pool[serializer_class] = serializer
