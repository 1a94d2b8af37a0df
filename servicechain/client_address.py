"""Who the client is: the one rule the login lockout and the survey-link rate limit share.

Behind a reverse proxy every request comes from the proxy's address, and the client's is in
X-Forwarded-For — a header anyone can send. So the header is believed only from the proxies
listed in SERVICECHAIN_TRUSTED_PROXIES, and read from the right: each trusted proxy vouches
for the hop before it, and the first address that is not a trusted proxy is the client.
Whatever a client writes into the header itself sits left of that and is never reached.

Hand-written rather than django-ipware: ipware matches trusted proxies by string prefix,
not by network, and this is a dozen lines.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _is_trusted_proxy(address: str, trusted) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_ip(request: HttpRequest) -> str:
    """The client's IP address: REMOTE_ADDR, or the forwarded one if a trusted proxy says so."""
    return client_ip_of(request.META)


def client_ip_of(environ) -> str:
    """`client_ip` from a request's WSGI environ (its META)."""
    remote = environ.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXIES
    if not trusted or not _is_trusted_proxy(remote, trusted):
        return remote
    client = remote
    for hop in reversed(environ.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        hop = hop.strip()
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return client  # not an address: the last trusted hop is all we know
        client = hop
        if not _is_trusted_proxy(hop, trusted):
            return client
    return client
