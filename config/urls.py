from django.contrib import admin
from django.urls import include, path

from api.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
]

handler404 = "api.views.not_found"
handler500 = "api.views.server_error"
