"""Request ids (header, logs, 5xx bodies), JSON log lines and /metrics."""

import json
import logging
import re

import pytest
from django.test import override_settings
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from api.jobs import housekeeping
from api.request_id import HEADER, RequestIdFilter
from core import access
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_well_formed_request_id_is_kept_and_echoed():
    r = APIClient().get("/api/v1/prompts/", HTTP_X_REQUEST_ID="lb-7f3a.01_x")
    assert r.status_code == 200
    assert r[HEADER] == "lb-7f3a.01_x"


@pytest.mark.parametrize(
    "sent", ["", "has space", 'quote"d', "x" * 129, "tab\there", "ünïcode", "a/b"]
)
def test_a_malformed_request_id_is_replaced(sent):
    r = APIClient().get("/api/v1/prompts/", HTTP_X_REQUEST_ID=sent)
    assert r[HEADER] != sent
    assert re.fullmatch(r"[0-9a-f]{32}", r[HEADER])


def test_every_response_gets_an_id_even_errors():
    for url in ["/api/v1/nope/", "/livez", "/api/v1/prompts/abc/"]:
        r = APIClient().get(url)
        assert len(r[HEADER]) == 32


def test_a_server_error_names_its_request_in_body_header_and_log(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(access, "prompts_visible_to", broken)
    client = APIClient(raise_request_exception=False)
    with caplog.at_level(logging.INFO):
        r = client.get("/api/v1/prompts/", HTTP_X_REQUEST_ID="trace-500")
    assert r.status_code == 500
    assert r.json() == {
        "type": "server_error",
        "errors": [{"code": "error", "detail": "Server Error (500)", "attr": None}],
        "request_id": "trace-500",
    }
    assert r[HEADER] == "trace-500"
    error_logs = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert error_logs
    assert all(rec.request_id == "trace-500" for rec in error_logs)


def test_one_request_id_from_the_response_header_into_every_log_line(caplog):
    user = UserFactory(username="dana")
    user.set_password("a-long-passphrase")
    user.save()
    with caplog.at_level(logging.INFO):
        r = APIClient().post(
            "/api/v1/auth/login/", {"username": "dana", "password": "a-long-passphrase"}
        )
    request_id = r[HEADER]
    mine = [rec for rec in caplog.records if getattr(rec, "request_id", None) == request_id]
    request_line = [rec for rec in mine if rec.name == "api.request"]
    assert len(request_line) == 1
    assert (request_line[0].status, request_line[0].route) == (200, "/api/v1/auth/login/")
    # Outside a request the id is None: nothing leaks from one request into later lines.
    logging.getLogger("test").info("after")
    assert caplog.records[-1].request_id is None


def test_log_lines_are_one_json_object_each():
    from django.conf import settings
    from pythonjsonlogger.json import JsonFormatter

    formatter_conf = settings.LOGGING["formatters"]["json"]
    formatter = JsonFormatter(
        formatter_conf["format"], rename_fields=formatter_conf["rename_fields"]
    )
    record = logging.LogRecord("api.request", logging.INFO, __file__, 1, "GET /x 200", (), None)
    record.request_id = "abc"
    RequestIdFilter().filter(record)
    line = formatter.format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert (parsed["message"], parsed["level"], parsed["logger"], parsed["request_id"]) == (
        "GET /x 200",
        "INFO",
        "api.request",
        "abc",
    )


def scrape(client: APIClient, **headers) -> dict:
    r = client.get("/metrics", **headers)
    assert r.status_code == 200, r.content
    return {f.name: f for f in text_string_to_metric_families(r.content.decode())}


@override_settings(DEBUG=True)
def test_metrics_parse_and_count_requests_by_route_template_and_status(
    django_capture_on_commit_callbacks,
):
    client = APIClient()
    client.get("/api/v1/prompts/")
    client.get("/api/v1/prompts/999999/")
    with django_capture_on_commit_callbacks(execute=True):
        housekeeping.enqueue()
    families = scrape(client)
    requests = families["mythos_http_requests"]
    samples = {
        (s.labels["route"], s.labels["method"], s.labels["status"]): s.value
        for s in requests.samples
        if s.name == "mythos_http_requests_total"
    }
    assert samples[("/api/v1/prompts/", "GET", "200")] >= 1
    assert samples[("/api/v1/prompts/{pk}/", "GET", "404")] >= 1
    assert not [k for k in samples if "999999" in k[0]]  # one label per route, not per URL
    latency = families["mythos_http_request_duration_seconds"]
    assert any(
        s.name.endswith("_count") and s.labels["route"] == "/api/v1/prompts/"
        for s in latency.samples
    )
    assert families["mythos_job_queue_depth"].samples[0].value == 1
    assert "mythos_job_failures" in families
    assert "mythos_cache_errors" in families


def test_metrics_are_off_in_production_without_a_token():
    r = APIClient().get("/metrics")
    assert r.status_code == 404
    assert r.json()["errors"][0]["code"] == "not_found"


@override_settings(METRICS_TOKEN="s3cret-scrape-token")
def test_metrics_need_the_bearer_token_in_production():
    client = APIClient()
    for auth in [None, "Bearer wrong", "s3cret-scrape-token", "Token s3cret-scrape-token"]:
        headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
        r = client.get("/metrics", **headers)
        assert r.status_code == 401, auth
        assert r["WWW-Authenticate"].startswith("Bearer")
    families = scrape(client, HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert "mythos_http_requests" in families


@pytest.mark.django_db(transaction=True)  # the worker closes its connection between jobs
def test_job_failures_are_counted():
    from django.core.management import call_command

    from tests.ops import jobs

    def failures() -> float:
        with override_settings(DEBUG=True):
            family = scrape(APIClient())["mythos_job_failures"]
        return sum(
            s.value
            for s in family.samples
            if s.name == "mythos_job_failures_total"
            and s.labels["task"] == "tests.ops.jobs.always_fails"
        )

    before = failures()
    jobs.always_fails.enqueue()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert failures() == before + 1


def test_django_level_server_errors_carry_the_request_id_too():
    from django.test import RequestFactory

    from api.request_id import reset_request_id, set_request_id
    from api.views import server_error

    token = set_request_id("outside-drf")
    try:
        r = server_error(RequestFactory().get("/admin/"))
    finally:
        reset_request_id(token)
    assert r.status_code == 500
    assert json.loads(r.content)["request_id"] == "outside-drf"
