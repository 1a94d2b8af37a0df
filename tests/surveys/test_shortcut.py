"""Survey submissions recorded in front of Django (servicechain.surveys.shortcut), as a WSGI
server calls the application: the same answers, headers and guarantees as Django's own path,
and every outcome other than "recorded" answered by Django itself."""

import io
import json
import sys

import pytest
from django.core.handlers.wsgi import WSGIHandler

from servicechain.surveys import services, tokens
from servicechain.surveys.models import Draft, Invitation, Response
from servicechain.surveys.shortcut import SubmitShortcut
from tests.surveys.helpers import PULSE_ANSWERS, build_org, close_wave, open_wave, send_links

# The shortcut sends Django's request signals, which close a connection left outside
# autocommit: each test runs in autocommit, as a served request does.
pytestmark = pytest.mark.django_db(transaction=True)


class Counting:
    """Django's WSGI handler, counting the requests it answers."""

    def __init__(self):
        self.handler = WSGIHandler()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.handler(environ, start_response)


def call(app, path, body=b"", *, method="POST", address="203.0.113.4", **extra):
    """(status, headers, body) of one request, with the environ a WSGI server builds."""
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": address,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        **extra,
    }
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer.update(status=int(status.split()[0]), headers=headers)

    chunks = app(environ, start_response)
    content = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    return answer["status"], answer["headers"], content


@pytest.fixture
def links():
    org, units = build_org()
    wave = open_wave(org, units["root"])
    return wave, send_links(wave)


@pytest.fixture
def app():
    django = Counting()
    return SubmitShortcut(django), django


def stored(wave):
    return Response.objects.filter(wave=wave).count()


def test_a_submission_is_recorded_with_exactly_the_answer_django_gives(links, app):
    wave, issued = links
    shortcut, django = app
    ours = call(shortcut, f"/api/respond/{issued[0]}", {"answers": PULSE_ANSWERS})
    assert django.calls == 0  # recorded in front of Django
    theirs = call(django, f"/api/respond/{issued[1]}", {"answers": PULSE_ANSWERS})
    assert ours[0] == theirs[0] == 201
    assert ours[2] == theirs[2] and json.loads(ours[2]) == {"status": "recorded"}
    assert sorted(ours[1]) == sorted(theirs[1])
    headers = dict(ours[1])
    assert headers["Cache-Control"] == "private, no-store" and headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in headers["Content-Security-Policy"]

    response = Response.objects.get(submission_key=tokens.submission_key(issued[0]))
    assert response.answers["ENG1"] == 4 and response.answers["COMMENT"].startswith("More staff")
    invitation = Invitation.objects.get(token_hash=tokens.lookup_hash(issued[0]))
    assert invitation.responded and response.unit_id == invitation.unit_id
    assert response.job_family == invitation.job_family and response.source == "web"


def test_a_second_submission_and_every_other_outcome_are_django_s_answers(links, app):
    wave, issued = links
    shortcut, django = app
    assert call(shortcut, f"/api/respond/{issued[0]}", {"answers": PULSE_ANSWERS})[0] == 201

    again = call(shortcut, f"/api/respond/{issued[0]}", {"answers": PULSE_ANSWERS})
    unknown = call(shortcut, f"/api/respond/{'A' * 43}", {"answers": PULSE_ANSWERS})
    invalid = call(shortcut, f"/api/respond/{issued[1]}", {"answers": {"ENG1": 9}})
    not_json = call(shortcut, f"/api/respond/{issued[1]}", b"ENG1=4")
    no_answers = call(shortcut, f"/api/respond/{issued[1]}", {"ENG1": 4})
    assert [r[0] for r in (again, unknown, invalid, not_json, no_answers)] == [
        409,
        404,
        422,
        422,
        422,
    ]
    assert django.calls == 5
    assert "ENG1" in json.loads(invalid[2])["errors"]
    assert "answers" in json.loads(not_json[2])["detail"]
    assert stored(wave) == 1

    # Reading the questions (GET) and saving a draft (PUT) are Django's too.
    assert call(shortcut, f"/api/respond/{issued[1]}", method="GET")[0] == 200
    assert (
        call(shortcut, f"/api/respond/{issued[1]}/draft", {"answers": {"ENG1": 3}}, method="PUT")[0]
        == 200
    )
    assert django.calls == 7


def test_a_closed_wave_gets_django_s_410_and_nothing_is_stored(links, app):
    wave, issued = links
    shortcut, django = app
    close_wave(wave)
    status, _, body = call(shortcut, f"/api/respond/{issued[0]}", {"answers": PULSE_ANSWERS})
    assert status == 410 and "closed" in json.loads(body)["detail"].lower()
    assert django.calls == 1 and stored(wave) == 0


def test_the_draft_is_dropped_when_the_answers_are_recorded(links, app):
    wave, issued = links
    shortcut, _ = app
    services.draft_save(token=issued[0], answers={"ENG1": 2})
    assert Draft.objects.filter(key=tokens.draft_key(issued[0])).exists()
    assert call(shortcut, f"/api/respond/{issued[0]}", {"answers": PULSE_ANSWERS})[0] == 201
    assert not Draft.objects.filter(key=tokens.draft_key(issued[0])).exists()


def test_a_host_that_is_not_allowed_gets_django_s_400(links, app):
    wave, issued = links
    shortcut, django = app
    status, _, _ = call(
        shortcut,
        f"/api/respond/{issued[0]}",
        {"answers": PULSE_ANSWERS},
        HTTP_HOST="attacker.example",
    )
    assert status == 400 and django.calls == 1 and stored(wave) == 0


def test_plain_http_is_redirected_by_django_where_https_is_required(links, settings):
    wave, issued = links
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    django = Counting()  # Django's middleware reads these settings when it is loaded
    shortcut = SubmitShortcut(django)
    status, headers, _ = call(shortcut, f"/api/respond/{issued[0]}", {"answers": PULSE_ANSWERS})
    assert status == 301 and dict(headers)["Location"].startswith("https://")
    assert django.calls == 1 and stored(wave) == 0

    behind_proxy = {"HTTP_X_FORWARDED_PROTO": "https"}
    ours = call(shortcut, f"/api/respond/{issued[0]}", {"answers": PULSE_ANSWERS}, **behind_proxy)
    theirs = call(django, f"/api/respond/{issued[1]}", {"answers": PULSE_ANSWERS}, **behind_proxy)
    assert ours[0] == theirs[0] == 201 and django.calls == 2
    assert sorted(ours[1]) == sorted(theirs[1])
    assert dict(ours[1])["Strict-Transport-Security"] == "max-age=3600"


def test_a_body_over_the_upload_limit_is_left_to_django(links, app, settings):
    wave, issued = links
    shortcut, django = app
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50
    status, _, _ = call(shortcut, f"/api/respond/{issued[0]}", {"answers": PULSE_ANSWERS})
    assert status >= 400 and django.calls == 1 and stored(wave) == 0


def test_the_rate_limit_counts_shortcut_and_django_requests_in_the_same_buckets(
    links, settings, monkeypatch
):
    wave, issued = links
    settings.SURVEY_LINK_RATE = 1
    settings.SURVEY_LINK_BURST = 3
    monkeypatch.setattr("servicechain.ratelimit.clock", lambda: 1000.0)
    django = Counting()
    shortcut = SubmitShortcut(django)
    noisy, quiet = "203.0.113.9", "198.51.100.7"

    # A page of the survey link, then two submissions: the address's burst of 3 is spent.
    assert call(shortcut, f"/s/{issued[0]}/", method="GET", address=noisy)[0] == 200
    for token in issued[:2]:
        assert (
            call(shortcut, f"/api/respond/{token}", {"answers": PULSE_ANSWERS}, address=noisy)[0]
            == 201
        )
    limited = call(shortcut, f"/api/respond/{issued[2]}", {"answers": PULSE_ANSWERS}, address=noisy)
    assert limited[0] == 429 and "Too many requests" in json.loads(limited[2])["detail"]
    assert dict(limited[1])["Retry-After"] == "1"
    assert stored(wave) == 2
    # An unknown link handed to Django is charged once, not twice.
    assert call(shortcut, f"/api/respond/{'B' * 43}", {"answers": {}}, address=quiet)[0] == 404
    assert call(shortcut, f"/api/respond/{'B' * 43}", {"answers": {}}, address=quiet)[0] == 404
    assert (
        call(shortcut, f"/api/respond/{issued[2]}", {"answers": PULSE_ANSWERS}, address=quiet)[0]
        == 201
    )


def test_the_link_reads_the_wave_s_times_as_the_same_aware_instants(links):
    wave, issued = links
    wave.refresh_from_db()
    link = services.link_resolve(issued[0])
    assert (link.opens_at, link.closes_at) == (wave.opens_at, wave.closes_at)
    assert link.opens_at.utcoffset() is not None and link.closes_at.utcoffset() is not None
    assert link.instrument_updated_at == wave.instrument.updated_at


def test_django_s_request_signals_do_nothing_the_shortcut_leaves_out():
    """The shortcut calls close_old_connections instead of sending the request signals: if
    anything else ever listens to them, it must be called in the shortcut too."""
    from django.core import signals

    def receivers(signal):
        return {
            f"{receiver.__module__}.{receiver.__qualname__}"
            for receiver in signal._live_receivers(sender=SubmitShortcut)[0]
        }

    assert receivers(signals.request_started) == {
        "django.db.reset_queries",  # the query log: the shortcut's statements are not logged
        "django.db.close_old_connections",  # called by the shortcut
    }
    assert receivers(signals.request_finished) == {
        "django.db.close_old_connections",  # called by the shortcut
        "django.core.cache.close_caches",  # no cache is used on the path
        "django.core.handlers.base.reset_urlconf",  # no URLconf is set on the path
    }
