"""/api/docs draws Swagger UI from the package's own static files: the operations are listed and
the content-security policy blocks nothing (no CDN, no console errors); pages ask for no
missing favicon."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_api_docs_list_the_operations_with_no_console_errors(page, live_server, artifacts_dir):
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            request.url.startswith(("http://", "https://"))
            and not request.url.startswith(live_server.url)
            and outside.append(request.url)
        ),
    )

    page.goto(f"{live_server.url}/api/docs")
    page.get_by_role("heading", name="servicechain API").wait_for(timeout=20_000)
    operations = page.locator(".opblock-summary-path")
    operations.first.wait_for()
    paths = operations.all_inner_texts()
    page.screenshot(path=str(artifacts_dir / "api-docs.png"), full_page=False)

    assert len(paths) >= 5
    assert any("/imports/" in path for path in paths)
    assert not outside, f"the docs fetched from outside the site: {outside}"
    assert not errors, f"console errors on /api/docs: {errors}"


def test_the_login_page_loads_with_no_console_errors(page, live_server):
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("heading", name="Log in").wait_for()
    page.wait_for_load_state("networkidle")
    assert not errors, f"console errors on the login page (a missing favicon?): {errors}"
