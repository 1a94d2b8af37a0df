"""The comments explorer: gated like the scores, themed by driver, filtered, exported."""

from __future__ import annotations

import csv
import io

import pytest

from servicechain.insights import themes
from servicechain.insights.access import Audience
from servicechain.insights.pages import comments_page
from servicechain.org.access import scope_for
from servicechain.org.models import Unit
from servicechain.surveys.bank import load_bank
from servicechain.surveys.models import Response

pytestmark = pytest.mark.django_db


def explore(world, role="hr_analyst", **filters):
    audience = Audience(scope_for(world.users[role], world.slug))
    arguments = {
        "source": "employee",
        "wave_id": None,
        "unit_id": None,
        "theme": "",
        "query": "",
        "sentiment": "",
    }
    return comments_page(audience, **(arguments | filters))


def comments_url(world, **query):
    pairs = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/o/{world.slug}/insights/comments/" + (f"?{pairs}" if pairs else "")


# ----------------------------------------------------------------------------- anonymity


def test_comments_are_shown_for_the_organisation_without_any_attribute(demo_world, client):
    page = explore(demo_world)
    assert page.shown and page.total > 0
    client.force_login(demo_world.users["hr_analyst"])
    rows = client.get(f"/api/orgs/{demo_world.slug}/insights/comments").json()["comments"]
    assert rows and all(
        set(r) == {"comment", "theme", "theme_code", "sentiment", "sentiment_label"} for r in rows
    )


def test_comments_are_ordered_by_a_hash_of_their_text_not_by_who_or_when(demo_world):
    texts = [c.text for c in explore(demo_world).comments]
    assert texts == sorted(texts, key=themes.text_hash)


def test_comments_of_a_unit_below_the_minimum_group_size_are_not_shown(demo_world):
    page = explore(demo_world)
    small = next(
        u
        for u in Unit.objects.filter(organization=demo_world.organization)
        if not explore(demo_world, unit_id=u.pk, wave_id=page.wave.pk).shown
        and Response.objects.filter(wave=page.wave, unit=u).exists()
    )
    hidden = explore(demo_world, unit_id=small.pk, wave_id=page.wave.pk)
    assert hidden.comments == [] and hidden.themes == [] and hidden.total == 0


def test_a_unit_whose_comments_are_withheld_says_so_and_shows_no_comment(demo_world, client):
    page = explore(demo_world)
    small = next(
        u
        for u in Unit.objects.filter(organization=demo_world.organization)
        if not explore(demo_world, unit_id=u.pk, wave_id=page.wave.pk).shown
        and Response.objects.filter(wave=page.wave, unit=u).exists()
    )
    client.force_login(demo_world.users["hr_analyst"])
    html = client.get(comments_url(demo_world, wave=page.wave.pk, unit=small.pk)).content.decode()
    assert f"Comments of {small.name} are not shown" in html
    assert 'id="comments"' not in html and 'id="comment-themes"' not in html


# ----------------------------------------------------------------------------- themes


def test_every_theme_is_a_driver_of_the_survey_or_other_topics(demo_world):
    page = explore(demo_world)
    names = {load_bank().scales[code].name for code in load_bank().drivers("employee")}
    assert page.themes and {t.name for t in page.themes} <= names | {"Other topics"}
    assert sum(t.count for t in page.themes) == page.total


def test_a_theme_counts_its_comments_by_sentiment(demo_world):
    for theme in explore(demo_world).themes:
        assert theme.positive + theme.neutral + theme.negative == theme.count
        assert -1 <= theme.sentiment <= 1


def test_customer_comments_are_themed_by_the_customer_service_drivers(demo_world):
    page = explore(demo_world, source="customer")
    codes = {t.code for t in page.themes}
    assert page.shown and codes and codes <= {"friendliness", "competence", "speed", "fcr", "other"}


def test_the_page_shows_themes_as_driver_names_with_a_chart_and_no_jargon(demo_world, client):
    client.force_login(demo_world.users["hr_analyst"])
    html = client.get(comments_url(demo_world)).content.decode()
    page = explore(demo_world)
    top = page.themes[0]
    assert f'<tr data-theme="{top.code}">' in html and f">{top.name}</a></th>" in html
    assert 'id="comment-themes-chart"' in html and "What the comments of" in html
    assert "Themes group comments by the part of work they talk about" in html
    for jargon in ("TF-IDF", "NMF", "VADER", "compound"):
        assert jargon not in html


REVIEW_QUOTES = {
    ("customer", "polite"): ("friendliness", "positive"),
    ("customer", "the advice i got was expert"): ("competence", "positive"),
    ("customer", "nothing was fixed"): ("fcr", "negative"),
    ("employee", "without proper training"): ("training", "negative"),
}


def test_the_demo_comments_the_review_quoted_are_themed_and_scored_right(demo_world):
    checked = 0
    for (source, quote), expected in REVIEW_QUOTES.items():
        for comment in explore(demo_world, source=source).comments:
            if quote in comment.text.lower():
                assert (comment.theme, comment.label) == expected, comment.text
                checked += 1
    assert checked > 0


# ----------------------------------------------------------------------------- filters


def test_filtering_by_theme_lists_exactly_that_theme_count(demo_world):
    theme = explore(demo_world).themes[0]
    themed = explore(demo_world, theme=theme.code)
    assert len(themed.comments) == theme.count
    assert {c.theme for c in themed.comments} == {theme.code}


def test_search_and_sentiment_filters_narrow_the_comments(demo_world):
    everything = explore(demo_world)
    word = everything.comments[0].text.split()[1].strip(".,").lower()
    found = explore(demo_world, query=word)
    assert found.comments and all(word in c.text.lower() for c in found.comments)
    negative = explore(demo_world, sentiment="negative")
    assert negative.comments and all(c.label == "negative" for c in negative.comments)
    assert all(c.sentiment < 0 for c in negative.comments)


def test_theme_and_sentiment_filters_combine_in_the_page(demo_world, client):
    theme = next(t for t in explore(demo_world).themes if 0 < t.negative < t.count)
    client.force_login(demo_world.users["hr_analyst"])
    html = client.get(comments_url(demo_world, theme=theme.code, sentiment="negative"))
    listed = html.content.decode().split('id="comments"')[1].split("</ul>")[0]
    assert listed.count("<li data-theme=") == theme.negative
    assert listed.count(f'<li data-theme="{theme.code}" data-sentiment="negative">') == (
        theme.negative
    )


def test_an_unknown_theme_or_sentiment_is_a_clear_404(demo_world, client):
    client.force_login(demo_world.users["hr_analyst"])
    assert client.get(comments_url(demo_world, theme="snacks")).status_code == 404
    api = client.get(f"/api/orgs/{demo_world.slug}/insights/comments?sentiment=angry")
    assert api.status_code == 404 and "positive, neutral or negative" in api.json()["detail"]


# ----------------------------------------------------------------------------- exports


def test_the_themes_export_as_csv_with_their_counts(demo_world, client):
    client.force_login(demo_world.users["hr_analyst"])
    response = client.get(comments_url(demo_world, format="csv", table="themes"))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    page = explore(demo_world)
    assert [r["theme"] for r in rows] == [t.name for t in page.themes]
    assert [int(r["comments"]) for r in rows] == [t.count for t in page.themes]


def test_the_comments_export_carries_the_theme_name_and_nothing_about_the_writer(
    demo_world, client
):
    client.force_login(demo_world.users["hr_analyst"])
    response = client.get(comments_url(demo_world, format="csv", table="comments"))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows and set(rows[0]) == {
        "comment",
        "theme",
        "theme_code",
        "sentiment",
        "sentiment_label",
    }
    assert {r["theme"] for r in rows} <= set(themes.theme_names("employee").values())
