"""Page links are DRF's (``replace_query_param`` / ``remove_query_param``), remembered per
(url, page): the same text for every query, and a hot list's links are built once."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient
from rest_framework.utils.urls import remove_query_param, replace_query_param

from api.pagination import page_link
from tests.economy.factories import ListingFactory

BASE = "http://testserver/api/v1/market/prompts/"
query_items = st.lists(
    st.tuples(st.sampled_from(["page", "page_size", "ordering", "q", "é"]), st.text(max_size=6)),
    max_size=5,
)


@given(query_items, st.integers(min_value=1, max_value=10**6))
def test_links_are_drfs(items, number):
    from urllib.parse import urlencode

    url = f"{BASE}?{urlencode(items)}" if items else BASE
    expected = (
        remove_query_param(url, "page") if number == 1 else replace_query_param(url, "page", number)
    )
    assert page_link(url, "page", number) == expected


@pytest.mark.django_db
def test_a_hot_lists_links_are_built_once():
    for _ in range(3):
        ListingFactory()
    client = APIClient()
    url = "/api/v1/market/prompts/?page_size=1&ordering=-trust&page=2"
    body = client.get(url).json()
    assert (
        body["next"]
        == "http://testserver/api/v1/market/prompts/?ordering=-trust&page=3&page_size=1"
    )
    assert (
        body["previous"] == "http://testserver/api/v1/market/prompts/?ordering=-trust&page_size=1"
    )
    hits = page_link.cache_info().hits
    assert client.get(url).json() == body
    assert page_link.cache_info().hits == hits + 2  # both links remembered
