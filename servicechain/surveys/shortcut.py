"""A survey submission (`POST /api/respond/<token>`) recorded in front of Django's request cycle.

Every survey's answers arrive here, thousands a minute when a census opens. Profiled through
`servicechain.wsgi` (docs/performance.md), about half of a submission's CPU was Django's
request cycle around the service — request object, URL resolution, a dozen middleware,
django-ninja's operation wrapper, response object — for an answer that is always the same
22 bytes. `SubmitShortcut` wraps Django's WSGI application and gives that one answer itself:

* It takes only a request Django would answer 201 in the same way: `POST` to
  `/api/respond/<token>`, sent to an allowed host (and over HTTPS where the settings redirect
  plain HTTP), a JSON body within Django's upload limit holding an `answers` object, from an
  address under the survey-link rate limit (the same per-process buckets Django's
  middleware spends from).
* It runs the same service (`services.response_submit`: token look-up, checks, answer
  validation, one statement that flags the invitation and stores the response), with the
  database connection looked after before and after as for any request:
  `close_old_connections`, which is what Django's `request_started` and `request_finished`
  signals do for a request that uses no cache, sets no URLconf and logs no queries. Sending
  the signals themselves cost about 5 % of a submission's CPU; tests/surveys/test_shortcut.py
  fails if another receiver is ever connected to them, so that it gets called here too.
* It answers 201 with the headers Django's own middleware puts on that answer (security
  headers, CSP, `X-Frame-Options`, `Cache-Control: private, no-store`), learnt once per
  process and shape of request (host, scheme) by running `settings.MIDDLEWARE`, loaded by
  Django's own handler code, around a view that records nothing (`_learn`).
  tests/surveys/test_shortcut.py checks they are what the full stack sends.
* Everything else goes to Django untouched, and so does any submission that did not end in
  201: unknown link, closed wave, already answered, invalid answers, a database error. The
  service only reads until its last statement, which either stored the answers or changed
  nothing, so Django running it again gives the true answer (a 404, 409, 410 or 422 with its
  message; or 201 where a dropped connection had stored nothing) with its usual logging.
  Nothing is recorded twice: the statement stores only while the invitation's flag is unset.

A token submission involves no session, user, message or CSRF token (servicechain.middleware
already stepped those aside for the survey-link API): the token in the path is the
respondent's only key.
"""

from __future__ import annotations

import io
import json
import logging
import re

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import setting_changed
from django.db import close_old_connections
from django.dispatch import receiver
from django.http import HttpResponse

from servicechain import ratelimit
from servicechain.client_address import client_ip_of

from . import services
from .questions import AnswerError

logger = logging.getLogger(__name__)

SUBMIT_PATH = re.compile(r"/api/respond/([^/]+)\Z")
RECORDED = json.dumps({"status": "recorded"}).encode()


def recorded_response() -> HttpResponse:
    """What a recorded submission answers, before the middleware adds its headers."""
    return HttpResponse(RECORDED, status=201, content_type="application/json")


class _HeaderProbe(BaseHandler):
    """settings.MIDDLEWARE, loaded as Django loads it, around a view that records nothing."""

    def _get_response(self, request):
        return recorded_response()


# What Django's answer to a submission can depend on besides the token and the body: the
# host it was sent to (ALLOWED_HOSTS) and whether it came over HTTPS (the HTTPS redirect,
# HSTS). For each such shape of request seen, the 201's headers, or None where Django must
# answer (a host not allowed, plain HTTP to be redirected, a middleware that varies).
_SHAPE = ("HTTP_HOST", "HTTP_X_FORWARDED_HOST", "SERVER_NAME", "SERVER_PORT", "wsgi.url_scheme")
_MAX_SHAPES = 64
_answers: dict[tuple, list[tuple[str, str]] | None] = {}


@receiver(setting_changed)
def _forget_answers(**kwargs) -> None:
    _answers.clear()


def _shape(environ: dict) -> tuple:
    proxy_header = settings.SECURE_PROXY_SSL_HEADER
    return (
        *(environ.get(key) for key in _SHAPE),
        environ.get(proxy_header[0]) if proxy_header else None,
    )


def _learn(environ: dict) -> list[tuple[str, str]] | None:
    """The 201's headers for requests shaped like this one, or None to leave them to Django.

    Django's own request object decides the host and the scheme, and settings.MIDDLEWARE —
    loaded by Django's own handler code — puts its headers on a recorded submission's answer.
    The probe request is a bodiless copy of the real one without the shared rate-limit
    buckets, so the probe's rate-limit middleware counts it in buckets of its own.
    """
    probe_environ = {
        key: value for key, value in environ.items() if not key.startswith("servicechain.")
    }
    probe_environ.update({"wsgi.input": io.BytesIO(b""), "CONTENT_LENGTH": "0"})
    request = WSGIRequest(probe_environ)
    try:
        request.get_host()
    except DisallowedHost:
        return None
    if settings.SECURE_SSL_REDIRECT and not request.is_secure():
        return None
    handler = _HeaderProbe()
    handler.load_middleware()
    response = handler.get_response(request)
    if response.status_code != 201 or response.cookies or response.content != RECORDED:
        return None  # a middleware changes this answer per request: always ask Django
    return list(response.items())


class SubmitShortcut:
    """WSGI: survey submissions recorded directly; every other request to `django`."""

    def __init__(self, django):
        self.django = django
        self.buckets = (
            ratelimit.TokenBuckets(rate=settings.SURVEY_LINK_RATE, burst=settings.SURVEY_LINK_BURST)
            if settings.SURVEY_LINK_RATE
            else None
        )

    def __call__(self, environ, start_response):
        if self.buckets is not None:
            # Django's rate-limit middleware spends from these same buckets.
            environ[ratelimit.ENVIRON_BUCKETS] = self.buckets
        match = SUBMIT_PATH.match(environ.get("PATH_INFO", ""))
        if match is None or environ.get("REQUEST_METHOD") != "POST":
            return self.django(environ, start_response)
        headers = self._submit(environ, match[1])
        if headers is None:
            return self.django(environ, start_response)
        start_response("201 Created", headers)
        return [RECORDED]

    def _submit(self, environ: dict, token: str) -> list[tuple[str, str]] | None:
        """The 201's headers once the answers are stored; None to let Django answer."""
        shape = _shape(environ)
        try:
            headers = _answers[shape]
        except KeyError:
            if len(_answers) >= _MAX_SHAPES:
                return None  # not learnt per request: Django answers further shapes
            headers = _answers[shape] = _learn(environ)
        if headers is None:
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length < 0 or (limit is not None and length > limit):
            return None
        if self.buckets is not None:
            if self.buckets.take(client_ip_of(environ), ratelimit.clock()):
                return None  # over the limit: Django's middleware answers the 429
            environ[ratelimit.ENVIRON_CHARGED] = True  # Django must not charge it again
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)  # for Django, if it answers after all
        if len(body) != length:
            return None
        try:
            answers = json.loads(body)["answers"]
        except (ValueError, KeyError, TypeError):
            return None
        if not isinstance(answers, dict):
            return None
        close_old_connections()  # as request_started does
        try:
            services.response_submit(token=token, answers=answers, returning=False)
        except (services.SurveyLinkError, AnswerError):
            return None  # Django answers the 404, 409, 410 or 422, with its message
        except Exception:  # a database error, a bug: Django runs it again and reports it
            logger.warning("A survey submission was handed to Django after an error", exc_info=True)
            return None
        finally:
            close_old_connections()  # as request_finished does
        return headers
