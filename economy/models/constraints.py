"""Check constraints several economy models share."""

from django.db import models
from django.db.models import Q


def unit_interval(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 0.0}) & Q(**{f"{field}__lte": 1.0}), name=name
    )
