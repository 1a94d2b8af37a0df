"""Logging that never writes a survey link.

A survey token in a URL is the respondent's only key: whoever holds it can read their draft,
answer in their name and, with database access, find their response. Tokens travel in the
path (`/s/<token>/…`, `/api/respond/<token>…`), and paths reach the logs: Django logs every
4xx/5xx with its path, gunicorn's access log every request line. `SurveyTokenFilter` rewrites
each token in a record to `sha256:` and the first 8 hex digits of its SHA-256, enough to
follow one link through the logs and useless for opening it (the token has 256 random bits).

The filter sits on the console handler (every record the application prints) and on the
loggers that write request paths (so records are clean before any handler, mail or test
capture sees them); `GunicornLogger` puts it on gunicorn's access and error logs.
"""

from __future__ import annotations

import hashlib
import logging
import re

from gunicorn.glogging import Logger as _GunicornBaseLogger

# A path segment after a survey-link prefix; one already rewritten is left alone, so the
# filter may run twice on a record (logger, then handler) with the same result.
_TOKEN_IN_PATH = re.compile(r"(/s/|/api/respond/)(?!sha256:)([^/?#\s\"'<>]+)")


def token_fingerprint(token: str) -> str:
    """What the logs show instead of a survey token: `sha256:` and 8 hex digits."""
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()[:8]


def redact_survey_tokens(text: str) -> str:
    """`text` with every survey token in a link path replaced by its fingerprint."""
    if "/s/" not in text and "/respond/" not in text:
        return text
    return _TOKEN_IN_PATH.sub(lambda m: m.group(1) + token_fingerprint(m.group(2)), text)


class SurveyTokenFilter(logging.Filter):
    """Rewrites survey tokens in a record's message, traceback and stack; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: let the handler report it as logging does
            return True
        clean = redact_survey_tokens(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_survey_tokens(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_survey_tokens(record.stack_info)
        # Django attaches the request to its records; a handler that formats it (the admin
        # e-mail handler) would print the path with the token, so such a request goes.
        path = getattr(getattr(record, "request", None), "path", "")
        if path and redact_survey_tokens(path) != path:
            del record.request
        return True


_FILTER = SurveyTokenFilter()


class GunicornLogger(_GunicornBaseLogger):
    """gunicorn's logger with survey tokens rewritten in the access and error logs."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            log.addFilter(_FILTER)  # the same instance each time: a reload adds nothing
