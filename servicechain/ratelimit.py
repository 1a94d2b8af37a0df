"""A rate limit on the survey links (`/s/<token>/…`, `/api/respond/<token>…`), per client address.

Survey links need no login, so anyone can send them requests as fast as they like. Each
server process keeps a token bucket per client address (servicechain.client_address) in
memory: SERVICECHAIN_SURVEY_LINK_RATE requests a second sustained, bursts up to
SERVICECHAIN_SURVEY_LINK_BURST; past that the answer is 429 with Retry-After. The limit is
per process, so a server with N processes lets an address through at up to N times the rate
— generous on purpose: many respondents may share one office address, and the form saves a
draft as people answer.

Why not django-ratelimit: it counts in Django's cache, which here is the per-process memory
cache (so no more shared than this) unless a cache server is added to the deployment, and it
adds a cache round trip to every survey submission, the hot path benchmarked by
benchmarks/survey_submit.py. A bucket in a dict costs a lock and some arithmetic, never a
database or network call.
"""

from __future__ import annotations

import math
import threading
import time

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from .client_address import client_ip

SURVEY_LINK_PREFIXES = ("/s/", "/api/respond/")
# Set by servicechain.surveys.shortcut, which answers survey submissions in front of Django:
# the buckets it spends from (this middleware then spends from the same ones), and a flag on
# a request it has already charged before handing it to Django. Keys no client can set.
ENVIRON_BUCKETS = "servicechain.survey_link_buckets"
ENVIRON_CHARGED = "servicechain.survey_link_charged"
# Addresses remembered per process; the least recently seen is forgotten first.
MAX_ADDRESSES = 50_000
# The buckets' clock (tests hold it still).
clock = time.monotonic


class TokenBuckets:
    """Token buckets keyed by client address: `rate` tokens a second, at most `burst` held."""

    def __init__(self, *, rate: float, burst: int, max_addresses: int = MAX_ADDRESSES):
        self.rate = rate
        self.burst = burst
        self.max_addresses = max_addresses
        self._buckets: dict[str, tuple[float, float]] = {}  # address → (tokens, last seen)
        self._lock = threading.Lock()

    def take(self, address: str, now: float) -> float:
        """Spend one token; 0 if there was one, else the seconds until there will be."""
        with self._lock:
            tokens, last = self._buckets.pop(address, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / self.rate
            self._buckets[address] = (tokens, now)  # re-inserted last: dict order is recency
            if len(self._buckets) > self.max_addresses:
                del self._buckets[next(iter(self._buckets))]
            return wait


class SurveyLinkRateLimitMiddleware:
    """429 for survey-link requests from an address that is over its rate."""

    def __init__(self, get_response):
        if not settings.SURVEY_LINK_RATE:
            raise MiddlewareNotUsed("SERVICECHAIN_SURVEY_LINK_RATE=0: survey links not limited")
        self.get_response = get_response
        self.buckets = TokenBuckets(
            rate=settings.SURVEY_LINK_RATE, burst=settings.SURVEY_LINK_BURST
        )

    def __call__(self, request):
        if request.path_info.startswith(SURVEY_LINK_PREFIXES) and not request.META.get(
            ENVIRON_CHARGED
        ):
            buckets = request.META.get(ENVIRON_BUCKETS, self.buckets)
            wait = buckets.take(client_ip(request), clock())
            if wait:
                return too_many_requests(request, retry_after=math.ceil(wait))
        return self.get_response(request)


def too_many_requests(request, *, retry_after: int) -> HttpResponse:
    """The API's `{"detail": …}`, or the respondent's page; never cached, no referrer."""
    if request.path_info.startswith("/api/"):
        response = JsonResponse(
            {
                "detail": f"Too many requests from your address; wait {retry_after} s and "
                "try again (this request was not processed)."
            },
            status=429,
        )
    else:
        response = HttpResponse(
            render_to_string("surveys/respond/too_many.html", {"retry_after": retry_after}),
            status=429,
        )
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    return response
