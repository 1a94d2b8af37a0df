"""The JSON API: one NinjaAPI mounting every app's router. Errors are `{"detail": ...}`."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import django_auth

from servicechain.health import RETRY_AFTER_S, UNAVAILABLE_DETAIL
from servicechain.org.imports import ImportFailed

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="servicechain API",
    version="1",
    description="Listen, understand, link, act and staff — the service-profit chain, employee-first.",
    auth=django_auth,
    urls_namespace="api",
)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or "Not found."}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or "Forbidden."}, status=403)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(request, {"detail": "Log in first."}, status=401)


@api.exception_handler(ValidationError)
def invalid(request, exc):
    detail = (
        "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
        if hasattr(exc, "error_dict")
        else " ".join(exc.messages)
    )
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(NinjaValidationError)
def invalid_request(request, exc):
    parts = []
    for error in exc.errors:
        where = ".".join(str(p) for p in error.get("loc", []) if p not in ("body", "payload"))
        parts.append(f"{where}: {error.get('msg')}")
    return api.create_response(
        request,
        {"detail": "; ".join(parts) or "Invalid request.", "errors": exc.errors},
        status=422,
    )


@api.exception_handler(ImportFailed)
def import_failed(request, exc):
    return api.create_response(
        request,
        {
            "detail": f"The file was rejected with {exc.total} error(s); nothing was imported.",
            "errors": [e.as_dict() for e in exc.errors],
            "total_errors": exc.total,
        },
        status=422,
    )


@api.exception_handler(HttpError)
def http_error(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request, exc):
    """The database is down, restarting or cut off: 503, try again, not an internal error."""
    logger.warning("Database unavailable: %s", str(exc).strip().split("\n")[0])
    response = api.create_response(request, {"detail": UNAVAILABLE_DETAIL}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response


@api.exception_handler(Exception)
def unexpected(request, exc):
    logger.exception("Unhandled API error")
    return api.create_response(
        request, {"detail": "Internal error; it has been logged."}, status=500
    )


def _mount_routers() -> None:
    from servicechain.care.api import router as care_router
    from servicechain.contactcentre.api import router as contactcentre_router
    from servicechain.insights.api import router as insights_router
    from servicechain.insights.retention.api import router as retention_router
    from servicechain.loyalty.api import router as loyalty_router
    from servicechain.notifications.api import router as notifications_router
    from servicechain.org.api import router as org_router
    from servicechain.recognition.api import router as recognition_router
    from servicechain.rewards.api import router as rewards_router
    from servicechain.surveys.api import respond_router
    from servicechain.surveys.api import router as surveys_router

    # Respondents' links first: the busiest path is matched after the fewest patterns.
    api.add_router("/", respond_router)
    api.add_router("/orgs/", org_router)
    # Each app's router declares its own full paths (e.g. /orgs/{org}/waves, /respond/{token}).
    api.add_router("/", surveys_router)
    api.add_router("/", insights_router)
    api.add_router("/", retention_router)
    api.add_router("/", contactcentre_router)
    api.add_router("/", notifications_router)
    api.add_router("/", loyalty_router)
    api.add_router("/", care_router)
    api.add_router("/", recognition_router)
    api.add_router("/", rewards_router)


_mount_routers()
