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


class PageReader(HTMLParser):
    """What a person reads (text outside <script>, <style>), the links, and the form inputs."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0
        self.links: list[str] = []
        self.inputs: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self.hidden += 1
        if tag == "a":
            self.links.extend(value for name, value in attrs if name == "href" and value)
        if tag == "input":
            self.inputs.append(dict(attrs))

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(self.parts)


def read(response) -> PageReader:
    parser = PageReader()
    parser.feed(response.content.decode())
    return parser


@pytest.fixture(scope="module")
def demo_organisation(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with override_settings(INSIGHTS_BOOTSTRAP_REPLICATES=40):
            organization = demo.seed_demo(size="small", seed=7)
        yield organization
        call_command("flush", interactive=False, verbosity=0)


def pattern(path: str) -> str:
    """One page per kind of address: /o/demo/insights/plans/7/ and /plans/8/ are one kind."""
    return re.sub(r"/\d+(?=/|$)", "/N", path)


def pages_of(client: Client, start: str, depth: int = 2) -> dict[str, object]:
    """The start page and the same-site pages reachable within `depth` links, one page per
    kind of address (HTML pages only; exports are skipped)."""
    seen: dict[str, object] = {start: client.get(start, follow=True)}
    kinds = {pattern(start)}
    frontier = [start]
    for _ in range(depth):
        following = []
        for url in frontier:
            for href in read(seen[url]).links:
                link = urlsplit(href)
                if link.netloc or not link.path.startswith("/o/"):
                    continue
                if link.path.endswith((".csv", ".png", ".svg", ".xlsx")) or "export" in link.path:
                    continue
                if pattern(link.path) in kinds:
                    continue
                kinds.add(pattern(link.path))
                target = link.path + (f"?{link.query}" if link.query else "")
                seen[target] = client.get(target)
                following.append(target)
        frontier = following
    return seen


@pytest.fixture(scope="module")
def demo_pages(demo_organisation, django_db_blocker):
    """Every demo login's pages, read once for the checks below."""
    pages = {}
    with django_db_blocker.unblock():
        for login in demo.all_logins():
            client = Client()
            client.force_login(User.objects.get(username=login.username))
            readable = {
                url: response
                for url, response in pages_of(client, f"/o/{demo_organisation.slug}/").items()
                if response.status_code == 200 and "html" in response.get("Content-Type", "")
            }
            pages[login.username] = readable
    return pages


USERNAMES = [login.username for login in demo.all_logins()]


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("username", USERNAMES)
def test_no_page_a_demo_login_reads_shows_template_syntax(demo_pages, username):
    charts = 0
    for url, response in demo_pages[username].items():
        text = read(response).text
        charts += response.content.decode().count('class="chart-figure"')
        for syntax in TEMPLATE_SYNTAX:
            assert syntax not in text, f"{username} reads {syntax!r} on {url}"
    assert len(demo_pages[username]) >= 5
    assert charts >= 1, f"{username}'s pages drew no chart, so the check above proved little"


# What a browser's date and time inputs accept: anything else shows an empty field, and the
# form then loses the value when saved.
ISO_VALUES = {
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "datetime-local": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?"),
    "time": re.compile(r"\d{2}:\d{2}(:\d{2})?"),
    "month": re.compile(r"\d{4}-\d{2}"),
}


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("username", USERNAMES)
def test_every_date_and_time_input_a_demo_login_meets_holds_an_iso_value(demo_pages, username):
    for url, response in demo_pages[username].items():
        for field in read(response).inputs:
            kind, value = field.get("type"), field.get("value")
            if kind in ISO_VALUES and value:
                assert ISO_VALUES[kind].fullmatch(value), (
                    f"{username} on {url}: <input type={kind} name={field.get('name')}> "
                    f"holds {value!r}, which the browser shows as empty"
                )


def test_the_date_guard_catches_a_locale_formatted_date():
    from django.http import HttpResponse

    page = HttpResponse('<input type="date" name="due_date" value="28/02/2027">')
    (field,) = read(page).inputs
    assert not ISO_VALUES["date"].fullmatch(field["value"])


@pytest.mark.slow
@pytest.mark.django_db
def test_the_pages_read_include_date_and_time_inputs_to_check(demo_pages):
    kinds = {
        field.get("type")
        for pages in demo_pages.values()
        for response in pages.values()
        for field in read(response).inputs
        if field.get("value")
    }
    assert {"date", "time"} & kinds, "no filled date or time input was met: the guard proved little"
