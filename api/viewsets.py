"""Base classes every domain ViewSet uses."""

from rest_framework import viewsets

# Ids longer than 18 digits cannot exist (BIGINT) and would overflow SQLite: they never match.
ID_REGEX = r"[0-9]{1,18}"


class IdLookupMixin:
    lookup_value_regex = ID_REGEX


class GenericViewSet(IdLookupMixin, viewsets.GenericViewSet):
    pass


class ModelViewSet(IdLookupMixin, viewsets.ModelViewSet):
    pass
