from django.contrib import admin
from django.urls import include, path

from api.health import livez, readyz
from api.metrics import metrics_view

urlpatterns = [
    path("livez", livez, name="livez"),
    path("readyz", readyz, name="readyz"),
    path("healthz", readyz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
]

handler404 = "api.views.not_found"
handler500 = "api.views.server_error"
