"""No survey token reaches a log: error answers on survey links log a hash prefix instead."""

import io
import json
import logging

import pytest

from servicechain.logging import SurveyTokenFilter, redact_survey_tokens, token_fingerprint
from servicechain.surveys import services
from tests.surveys.helpers import PULSE_ANSWERS, build_org, open_wave, send_links

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokens():
    org, units = build_org()
    wave = open_wave(org, units["north_a"])
    return wave, send_links(wave)


def _post_json(client, url, body, method="post"):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def assert_logged_without(caplog, token, statuses):
    """Each status was logged for the token's link, by fingerprint, and the token nowhere."""
    logged = [r for r in caplog.records if r.name == "django.request"]
    assert sorted(r.status_code for r in logged) == sorted(statuses)
    for record in caplog.records:
        assert token not in record.getMessage()
        assert token not in repr(vars(record))
    assert all(token_fingerprint(token) in r.getMessage() for r in logged)


def test_422_409_and_404_on_the_submit_api_log_no_token(client, tokens, caplog):
    _, (token, *_) = tokens
    invalid = _post_json(client, f"/api/respond/{token}", {"answers": {"ENG1": 99}})
    first = _post_json(client, f"/api/respond/{token}", {"answers": PULSE_ANSWERS})
    replay = _post_json(client, f"/api/respond/{token}", {"answers": PULSE_ANSWERS})
    assert (invalid.status_code, first.status_code, replay.status_code) == (422, 201, 409)
    assert_logged_without(caplog, token, [422, 409])

    caplog.clear()
    unknown = "Z" * 43
    assert _post_json(client, f"/api/respond/{unknown}", {"answers": {}}).status_code == 404
    assert_logged_without(caplog, unknown, [404])


def test_422_and_410_on_the_draft_api_log_no_token(client, tokens, caplog):
    wave, (token, *_) = tokens
    invalid = _post_json(client, f"/api/respond/{token}/draft", {"answers": {"ENG1": 0}}, "put")
    services.wave_close(wave=wave)
    closed = _post_json(client, f"/api/respond/{token}/draft", {"answers": {"ENG1": 4}}, "put")
    assert (invalid.status_code, closed.status_code) == (422, 410)
    assert_logged_without(caplog, token, [422, 410])


def test_422_404_and_410_on_the_html_form_log_no_token(client, tokens, caplog):
    wave, (token, other, *_) = tokens
    assert client.post(f"/s/{token}/", {**PULSE_ANSWERS, "ENG1": "9"}).status_code == 422
    assert_logged_without(caplog, token, [422])

    caplog.clear()
    mistyped = token[:-2] + ("xx" if not token.endswith("xx") else "yy")
    assert client.get(f"/s/{mistyped}/").status_code == 404
    assert_logged_without(caplog, mistyped, [404])

    caplog.clear()
    services.wave_close(wave=wave)
    assert client.get(f"/s/{other}/").status_code == 410
    assert_logged_without(caplog, other, [410])


def test_any_logger_printed_through_the_console_handler_shows_the_fingerprint():
    token = "q" * 43
    console = next(
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, SurveyTokenFilter) for f in handler.filters)
    )
    printed = io.StringIO()
    # Swapped by hand: setStream() flushes the old stream first, which pytest may have closed.
    previous, console.stream = console.stream, printed
    try:
        logging.getLogger("servicechain.anywhere").warning(
            "link %s", f"https://x.example/s/{token}/"
        )
    finally:
        console.stream = previous
    assert printed.getvalue() == f"link https://x.example/s/{token_fingerprint(token)}/\n"


def test_any_record_with_a_link_is_rewritten_once_and_others_are_untouched():
    token = "abcDEF123_-" * 4
    record = logging.LogRecord(
        "gunicorn.access",
        logging.INFO,
        __file__,
        1,
        '"%s" %s',
        (f"GET /s/{token}/thanks", 200),
        None,
    )
    SurveyTokenFilter().filter(record)
    SurveyTokenFilter().filter(record)  # the handler's filter after the logger's
    assert record.getMessage() == f'"GET /s/{token_fingerprint(token)}/thanks" 200'
    assert redact_survey_tokens("GET /o/acme/surveys/waves/3/ 200") == (
        "GET /o/acme/surveys/waves/3/ 200"
    )
    assert redact_survey_tokens(f"PUT /api/respond/{token}/draft") == (
        f"PUT /api/respond/{token_fingerprint(token)}/draft"
    )
