"""`/healthz`, and the answers everybody gets while the database cannot be reached.

A database restart, failover or network cut shows up as OperationalError/InterfaceError from
whatever query a request makes. That is not a fault of the request: the API answers 503 with
a JSON `detail` (servicechain.api), pages get the 503 page (`server_error`, the site's
handler500), /healthz says 503, all with Retry-After, and the next request after the database
is back is served by the same processes (Django reconnects on its own).
"""

from __future__ import annotations

import sys

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
UNAVAILABLE_DETAIL = "The database cannot be reached just now; try again in a moment."
RETRY_AFTER_S = 5


@require_GET
@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        response = JsonResponse({"status": "error", "database": "unreachable"}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
    return JsonResponse({"status": "ok", "database": "ok"})


def server_error(request):
    """handler500: the 503 page while the database is away, else Django's 500 page.

    Django calls it inside the `except` that caught the request's exception, so
    sys.exc_info() names it. Like 500.html, 503.html needs no request and no database.
    """
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
    return defaults.server_error(request)
