"""How long django-axes pauses log-ins for a username from one client address.

A first lock lasts SERVICECHAIN_LOGIN_COOL_OFF_MINUTES (15). Failures while locked are still
counted (and restart the clock), and every further `AXES_FAILURE_LIMIT` of them doubles the
pause, up to a day: a person who mistypes waits a quarter of an hour, a script that keeps
guessing waits longer and longer. The lock is keyed on username *and* client address
(servicechain.client_address), so nobody can lock someone else out from another address.
"""

from __future__ import annotations

import datetime as dt

from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpResponse
from django.shortcuts import render

LONGEST_COOL_OFF = dt.timedelta(days=1)


def login_cool_off(request=None) -> dt.timedelta:
    """The cool-off for this request's (username, address); axes calls it through settings."""
    base = dt.timedelta(minutes=settings.LOGIN_COOL_OFF_MINUTES)
    address = getattr(request, "axes_ip_address", None)
    if request is None or address is None:
        return base
    username = get_client_username(request)
    failures = (
        AccessAttempt.objects.filter(username=username, ip_address=address).aggregate(
            total=Sum("failures_since_start")
        )["total"]
        or 0
    )
    limit = settings.AXES_FAILURE_LIMIT
    doublings = max(0, failures - limit) // limit
    if doublings >= 10:  # 2**10 × 15 minutes is already past the ceiling
        return LONGEST_COOL_OFF
    return min(base * 2**doublings, LONGEST_COOL_OFF)


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """The 429 page, saying how long this lock lasts (axes calls it through settings)."""
    minutes = round(login_cool_off(request).total_seconds() / 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
