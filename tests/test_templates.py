"""No template syntax ever reaches a reader: every template compiles, none holds a multi-line
`{# #}` comment (Django strips only single-line ones and prints the rest as page text), and the
demo's pages, as each demo login reads them, show no `{#`, `#}`, `{%` or `{{`."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.template.loader import get_template
from django.test import Client, override_settings

import servicechain
from servicechain import demo

PACKAGE = Path(servicechain.__file__).parent
TEMPLATES = sorted(
    path
    for path in PACKAGE.rglob("*")
    if path.suffix in (".html", ".txt") and "templates" in path.relative_to(PACKAGE).parts
)
TEMPLATE_SYNTAX = ("{#", "#}", "{%", "%}", "{{", "}}")


def template_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return "/".join(parts[parts.index("templates") + 1 :])


def test_the_package_has_templates_to_check():
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("path", TEMPLATES, ids=template_name)
def test_template_compiles(path):
    get_template(template_name(path))


@pytest.mark.parametrize("path", TEMPLATES, ids=template_name)
def test_template_has_no_multi_line_hash_comment(path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        opened = [m.start() for m in re.finditer(r"\{#", line)]
        for start in opened:
            assert "#}" in line[start:], (
                f"{template_name(path)}:{number} opens a {{# comment that does not close on the "
                "same line; Django would print it as text. Use {% comment %}…{% endcomment %}."
            )


class VisibleText(HTMLParser):
    """The text a person reads: everything outside <script>, <style> and tags."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self.hidden += 1
        if tag == "a":
            self.links.extend(value for name, value in attrs if name == "href" and value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(self.parts)


def read(response) -> VisibleText:
    parser = VisibleText()
    parser.feed(response.content.decode())
    return parser


@pytest.fixture(scope="module")
def demo_organisation(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with override_settings(INSIGHTS_BOOTSTRAP_REPLICATES=40):
            organization = demo.seed_demo(size="small", seed=7)
        yield organization
        call_command("flush", interactive=False, verbosity=0)


def pages_of(client: Client, start: str) -> dict[str, object]:
    """The start page and every same-site page it links to (one level deep), as read."""
    seen: dict[str, object] = {}
    first = client.get(start, follow=True)
    seen[start] = first
    for href in read(first).links:
        url = urlsplit(href)
        if url.netloc or not url.path.startswith("/o/") or url.path.endswith((".csv", ".png")):
            continue
        target = url.path + (f"?{url.query}" if url.query else "")
        if target not in seen:
            seen[target] = client.get(target)
    return seen


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("username", [login.username for login in demo.all_logins()])
def test_no_page_a_demo_login_reads_shows_template_syntax(demo_organisation, username):
    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    pages = pages_of(client, f"/o/{demo_organisation.slug}/")
    charts = 0
    for url, response in pages.items():
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        text = read(response).text
        charts += response.content.decode().count('class="chart-figure"')
        for syntax in TEMPLATE_SYNTAX:
            assert syntax not in text, f"{username} reads {syntax!r} on {url}"
    assert charts >= 1, f"{username}'s pages drew no chart, so the check above proved little"
