"""URLs of the benchmark server: the normal URLs plus the limit views under /bench/."""

from django.urls import path

from bench import limit
from config.urls import urlpatterns as base_urlpatterns

urlpatterns = [
    *base_urlpatterns,
    path("bench/limit/market/", limit.market_list, name="bench-limit-market"),
]
