"""The bench's limit view answers the market list's page exactly as the API does."""

from io import StringIO

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from bench.seed_scale import seed_scale


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="config.urls_bench")
@pytest.mark.parametrize(
    "query", ["ordering=-trust&page_size=50", "ordering=-trust&page_size=7&page=3"]
)
def test_limit_view_gives_the_same_page_as_the_api(query):
    seed_scale(size="tiny", stdout=StringIO())
    client = APIClient()
    api = client.get(f"/api/v1/market/prompts/?{query}").json()
    limit = client.get(f"/bench/limit/market/?{query}").json()
    for body, path in ((api, "/api/v1/market/prompts/"), (limit, "/bench/limit/market/")):
        for link in ("next", "previous"):
            body[link] = body[link] and body[link].replace(path, "/")
    assert len(api["results"]) > 1
    assert limit == api
