from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

# Django tries these in order, each include's patterns in turn: the hot routes (market, buy,
# rate, reputation, step) come first. No two includes match the same path
# (tests/api/test_url_order.py), so the order changes only how soon a route is found.
v1 = [
    path("", include("api.economy.urls")),
    path("", include("api.training.urls")),
    path("auth/", include("api.auth.urls")),
    path("", include("api.core.urls")),
    path("", include("api.mentorship.urls")),
    path("", include("api.events.urls")),
    path("", include("api.webhooks.urls")),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html"),
        name="redoc",
    ),
    path("auth/", include("rest_framework.urls", namespace="rest_framework")),
]
