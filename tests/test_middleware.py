"""The project's CSP middleware gives exactly django-csp's headers, only built once."""

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from servicechain.middleware import CSPMiddleware


def _both(request_path="/s/abc", decorate=lambda response: response, nonce=False):
    """The headers of one response through the library's middleware and through ours."""
    out = []
    for middleware_class in (LibraryCSPMiddleware, CSPMiddleware):
        request = RequestFactory().get(request_path)

        def view(request):
            if nonce:
                str(request.csp_nonce)
            return decorate(HttpResponse("ok"))

        response = middleware_class(view)(request)
        out.append((response.get(HEADER), response.get(HEADER_REPORT_ONLY)))
    return out


def test_the_plain_policy_is_the_librarys_header():
    library, ours = _both()
    assert ours == library and ours[0] and "script-src 'self'" in ours[0]


def test_a_nonce_or_a_per_view_override_still_takes_the_librarys_path():
    library, ours = _both(nonce=True)
    assert ours == library and ours[0]

    def update(response):
        response._csp_update = {"img-src": ["https://images.example"]}
        return response

    library, ours = _both(decorate=update)
    assert ours == library and "https://images.example" in ours[0]


def test_exempt_responses_and_excluded_prefixes_get_no_header(settings):
    def exempt(response):
        response._csp_exempt = True
        return response

    assert _both(decorate=exempt) == [(None, None), (None, None)]
    settings.CONTENT_SECURITY_POLICY = {
        **settings.CONTENT_SECURITY_POLICY,
        "EXCLUDE_URL_PREFIXES": ["/s/"],
    }
    assert _both() == [(None, None), (None, None)]


def test_a_changed_setting_is_picked_up(settings):
    middleware = CSPMiddleware(lambda request: HttpResponse("ok"))
    first = middleware(RequestFactory().get("/"))[HEADER]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    second = middleware(RequestFactory().get("/"))[HEADER]
    assert "script-src 'self'" in first and second == "default-src 'none'"


def test_a_nonce_asked_for_after_the_header_is_written_is_refused():
    request = RequestFactory().get("/")
    CSPMiddleware(lambda request: HttpResponse("ok"))(request)
    with pytest.raises(Exception, match="csp_nonce"):
        str(request.csp_nonce)
