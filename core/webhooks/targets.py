"""Where a webhook may go (SSRF): no private, loopback, link-local, multicast, reserved or
metadata address unless ``WEBHOOK_ALLOW_PRIVATE_TARGETS``. The host is resolved, every address
it resolves to is checked, and the connection goes to the address checked (a second DNS answer
never counts)."""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from .. import exceptions


def address_is_forbidden(address: str) -> bool:
    """Private, loopback, link-local (169.254.169.254, the cloud metadata address, among them),
    multicast, reserved, unspecified and every other non-global range (IPv4-mapped IPv6
    addresses, ``::ffff:0:0/96``, are never global, so none gets through)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # 6to4 and Teredo addresses carry an IPv4 address a relay may route to: check it too.
        inner = [ip.sixtofour, ip.teredo[1] if ip.teredo else None]
        if any(v4 is not None and address_is_forbidden(str(v4)) for v4 in inner):
            return True
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_link_local


def host_resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise exceptions.WebhookUrlUnresolvable(field="url") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise exceptions.WebhookUrlUnresolvable(field="url")
    return addresses


@dataclass(frozen=True)
class Target:
    url: httpx.URL  # the URL with its host replaced by the vetted address
    host_header: str
    sni_hostname: str | None


def webhook_target_vet(*, url: str) -> Target:
    """The rule for where a webhook may go, checked at creation, on every URL change and before
    every attempt: https, or http to a loopback address when DEBUG or WEBHOOK_ALLOW_HTTP_LOOPBACK;
    and no forbidden address among those the host resolves to unless
    WEBHOOK_ALLOW_PRIVATE_TARGETS. Answers the address to connect to."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in ("http", "https") or not host:
        raise exceptions.WebhookUrlInsecure(field="url")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise exceptions.WebhookUrlUnresolvable(field="url") from None
    addresses = host_resolve(host, port)
    if scheme == "http":
        http_allowed = settings.DEBUG or settings.WEBHOOK_ALLOW_HTTP_LOOPBACK
        loopback = all(ipaddress.ip_address(a.split("%", 1)[0]).is_loopback for a in addresses)
        if not (http_allowed and loopback):
            raise exceptions.WebhookUrlInsecure(field="url")
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS and any(map(address_is_forbidden, addresses)):
        raise exceptions.WebhookUrlForbidden(field="url")
    original = httpx.URL(url)
    return Target(
        url=original.copy_with(host=addresses[0]),
        host_header=original.netloc.decode("ascii"),
        sni_hostname=host if scheme == "https" else None,
    )
