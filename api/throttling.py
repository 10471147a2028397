from rest_framework import throttling


class UserRateThrottle(throttling.UserRateThrottle):
    """DRF's per-user rate, for authenticated users only: anonymous callers are counted once,
    by ``AnonRateThrottle`` (DRF's class would count them twice, a cache round trip each)."""

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)
