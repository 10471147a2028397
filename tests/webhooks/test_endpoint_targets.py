"""``/api/v1/webhooks/``: bad input, and where an endpoint may point (https, loopback http when
allowed, never a private, loopback or metadata address unless the setting allows it)."""

import pytest

from core.models import WebhookEndpoint
from tests.conftest import error_codes
from tests.webhooks.endpoints_helpers import create

# Nothing here may reach the network (see the no_requests fixture).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_requests")]


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "attr"),
    [
        ({"types": ["purchase.made"]}, "unknown_event_type", "types"),
        ({"types": "purchase.completed"}, "not_a_list", "types"),
        ({"url": "not a url"}, "invalid", "url"),
        ({"url": "ftp://93.184.215.14/x"}, "webhook_url_insecure", "url"),
        ({"url": "http://93.184.215.14/hook"}, "webhook_url_insecure", "url"),
        ({"url": "http://127.0.0.1:9/hook"}, "webhook_url_insecure", "url"),
        ({"url": "https://no-such-host.invalid/hook"}, "webhook_url_unresolvable", "url"),
        ({"description": "x" * 501}, "max_length", "description"),
    ],
)
def test_bad_input_is_400_and_creates_nothing(owner_client, body, code, attr):
    r = create(owner_client, **body)
    assert r.status_code == 400, r.content
    assert error_codes(r) == [code]
    assert r.json()["errors"][0]["attr"].startswith(attr)
    assert not WebhookEndpoint.objects.exists()


def test_http_to_loopback_is_accepted_when_allowed(owner_client, settings):
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = True
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert create(owner_client, url="http://127.0.0.1:9/hook").status_code == 201
    assert create(owner_client, url="http://[::1]:9/hook").status_code == 201


def test_plain_http_stays_refused_off_loopback_when_allowed(owner_client, settings):
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = True
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    for url in ("http://93.184.215.14/hook", "http://10.0.0.1/hook"):
        assert error_codes(create(owner_client, url=url)) == ["webhook_url_insecure"], url
    assert not WebhookEndpoint.objects.exists()


def test_http_to_loopback_is_accepted_under_debug(owner_client, settings):
    settings.DEBUG = True
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert create(owner_client, url="http://localhost:9/hook").status_code == 201


def test_http_to_loopback_needs_private_targets_too(owner_client, settings):
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = True
    r = create(owner_client, url="http://127.0.0.1:9/hook")
    assert error_codes(r) == ["webhook_url_forbidden"]


@pytest.mark.parametrize(
    "host",
    [
        "10.0.0.1",
        "10.255.255.254",
        "172.16.0.1",
        "192.168.1.10",
        "127.0.0.1",
        "169.254.169.254",  # cloud metadata
        "100.100.100.200",  # a cloud's metadata, in the shared address space
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "[::1]",
        "[::]",
        "[fe80::1]",
        "[fd00:ec2::254]",  # a cloud's IPv6 metadata
        "[fc00::1]",
        "[ff02::1]",
        "[::ffff:10.0.0.1]",
        "[::ffff:169.254.169.254]",
        "[2002:a00:1::]",  # 6to4 of 10.0.0.1
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
    ],
)
def test_forbidden_addresses_are_refused(owner_client, host):
    r = create(owner_client, url=f"https://{host}/hook")
    assert r.status_code == 400, r.content
    assert error_codes(r) == ["webhook_url_forbidden"]
    assert not WebhookEndpoint.objects.exists()


def test_a_name_resolving_to_any_forbidden_address_is_refused(owner_client, dns):
    dns["hooks.example.com"] = ["93.184.215.14", "10.1.2.3"]
    dns["metadata.example.com"] = ["169.254.169.254"]
    dns["fine.example.com"] = ["93.184.215.14"]
    for host in ("hooks.example.com", "metadata.example.com"):
        r = create(owner_client, url=f"https://{host}/hook")
        assert error_codes(r) == ["webhook_url_forbidden"], host
    assert create(owner_client, url="https://fine.example.com/hook").status_code == 201
    assert WebhookEndpoint.objects.count() == 1


def test_private_targets_are_allowed_by_the_setting(owner_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert create(owner_client, url="https://10.0.0.1/hook").status_code == 201
