"""Project middleware: django-csp's with the unchanged policy built once; no-store; and
Django's session, authentication and messages middleware, which step aside for the
survey-link API. Django's own CSRF middleware stays in place everywhere (the deployment
check asks for it by name); django-ninja exempts the API views from it and checks CSRF
itself where a session cookie authenticates, which the survey-link API never does."""

from __future__ import annotations

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import middleware as messages_middleware
from django.contrib.sessions import middleware as sessions_middleware

# The survey-link API (`/api/respond/<token>…`): the token in the path is the respondent's
# only key. Its endpoints never read a session, a signed-in user or a message, so the
# middleware that prepares those steps aside there: on the survey submit path
# (benchmarks/survey_submit.py, profiled in docs/performance.md) it cost a few per cent of
# the request's CPU for nothing. The respondent's HTML pages (/s/<token>/) are not
# concerned. Security headers, CSP, no-store and the rate limit still apply.
SURVEY_API_PREFIX = "/api/respond/"


def _survey_api(request) -> bool:
    return request.path_info.startswith(SURVEY_API_PREFIX)


class SessionMiddleware(sessions_middleware.SessionMiddleware):
    """Django's, except on the survey-link API: no session is loaded, saved or sent."""

    def __call__(self, request):
        if _survey_api(request):
            return self.get_response(request)
        return super().__call__(request)


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, except on the survey-link API, where the visitor is anonymous by definition."""

    def __call__(self, request):
        if _survey_api(request):
            request.user = AnonymousUser()
            return self.get_response(request)
        return super().__call__(request)


class MessageMiddleware(messages_middleware.MessageMiddleware):
    """Django's, except on the survey-link API (JSON answers carry no flash messages)."""

    def __call__(self, request):
        if _survey_api(request):
            return self.get_response(request)
        return super().__call__(request)


# Per-view changes to the policy (django-csp's decorators) leave these on the response.
_OVERRIDES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
_KINDS = (
    (HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt", False),
    (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro", True),
)


class CSPMiddleware(LibraryCSPMiddleware):
    """django-csp's middleware, with the settings' policy built once rather than per response.

    django-csp rebuilds the header string from the settings for every response (two
    dataclass conversions and a join: about a tenth of a survey submission's CPU). Without
    a nonce or a per-view override that string is the same every time, so it is built on
    first use and rebuilt only if the settings object changes. A response with a nonce or
    an override takes the library's own path; exemptions, excluded URL prefixes and the
    DEBUG error pages behave exactly as in the library.
    """

    def __init__(self, get_response):
        super().__init__(get_response)
        self._built: dict[bool, tuple[object, str]] = {}

    def _plain_policy(self, setting: str, report_only: bool) -> str:
        config = getattr(settings, setting, None)
        built = self._built.get(report_only)
        if built is None or built[0] is not config:
            built = (config, build_policy(report_only=report_only))
            self._built[report_only] = built
        return built[1]

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _OVERRIDES
        ):
            return super().process_response(request, response)
        if response.status_code in (404, 500) and settings.DEBUG:
            return response
        for header, setting, exempt, report_only in _KINDS:
            policy = self._plain_policy(setting, report_only)
            if not policy or header in response or getattr(response, exempt, False):
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = policy
        # As in the library: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


class NoStoreMiddleware:
    """`Cache-Control: private, no-store` on every API answer and every page for a signed-in person.

    Results, comments, exports and personal records must not stay in a shared browser's
    cache or a proxy. A response that already says how to cache it (respondent pages, static
    files) keeps its own header. The check order keeps the survey submit path cheap: the
    header test, then the path, and only then the session behind `request.user`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" in response:
            return response
        if request.path_info.startswith("/api/") or _signed_in(request):
            response["Cache-Control"] = "private, no-store"
        return response


def _signed_in(request) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated
