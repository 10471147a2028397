"""Two concurrent edits of one prompt make two versions, never one lost: real threads against
the prompt row the edit locks (PostgreSQL)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from core.models import Prompt, PromptVersion
from tests.factories import AssistantFactory, PromptFactory, UserFactory

THREADS = 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_edits_make_one_version_each():
    user = UserFactory()
    prompt = PromptFactory(author=AssistantFactory(owner=user), body="start")
    barrier = threading.Barrier(THREADS)
    codes: list = [None] * THREADS

    def worker(i):
        try:
            client = APIClient()
            client.force_authenticate(user=user)
            barrier.wait()
            r = client.patch(f"/api/v1/prompts/{prompt.pk}/", {"body": f"edit {i}"}, format="json")
            codes[i] = r.status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * THREADS
    versions = PromptVersion.objects.filter(prompt=prompt).order_by("number")
    assert [v.number for v in versions] == list(range(1, THREADS + 2))
    assert sorted(v.body for v in versions[1:]) == sorted(f"edit {i}" for i in range(THREADS))
    prompt = Prompt.objects.get(pk=prompt.pk)
    assert prompt.version == THREADS + 1
    assert prompt.body == versions.last().body
