from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import EventStreamView, EventViewSet

router = SimpleRouter()
router.register("events", EventViewSet, basename="events")

urlpatterns = [
    path("events/stream/", EventStreamView.as_view(), name="events-stream"),
    *router.urls,
]
