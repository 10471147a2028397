"""Helpers shared by the webhook endpoint tests."""

from core.models import WebhookEndpoint
from core.webhooks import webhook_create

URL = "/api/v1/webhooks/"
PUBLIC = "https://93.184.215.14/hook"  # a global address: no lookup, and no request is made


def create(client, **body):
    return client.post(URL, {"url": PUBLIC, **body}, format="json")


def endpoint_for(user, **fields) -> WebhookEndpoint:
    return webhook_create(owner=user, url=fields.pop("url", PUBLIC), types=[], **fields)
