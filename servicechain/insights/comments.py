"""The comments page: a unit's comments in one wave, grouped by the part of work they are about.

Anonymity (DESIGN.md, "Anonymity gate"): comments are shown only for a unit whose
respondents the gate shows (`anonymity.comments_visible`), never with any attribute of
their writer, in an order unrelated to time or place (by a hash of their text). Themes and
sentiment come from `themes.read_comments`, which reads each comment on its own; nothing
about a comment is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlencode

import altair as alt
import pandas as pd
from django.http import Http404

from servicechain.analytics import anonymity
from servicechain.charts import Chart, to_chart
from servicechain.org.models import Unit
from servicechain.surveys.bank import load_bank
from servicechain.surveys.models import CustomerResponse, Item, Response, Wave

from . import selectors, themes
from .access import Audience

SENTIMENT_COLOURS = {"negative": "#a4262c", "neutral": "#8a949c", "positive": "#1e6b3a"}


@dataclass(frozen=True)
class Comment:
    text: str
    theme: str  # a driver code of the population, or "other"
    sentiment: float  # -1 (complaint) … +1 (praise)
    label: str  # "positive", "neutral" or "negative"


@dataclass(frozen=True)
class Theme:
    """One driver (or "other") with the number of comments about it and how they feel."""

    code: str
    name: str
    count: int
    positive: int
    neutral: int
    negative: int
    sentiment: float | None  # mean of the comments' scores, -1 … +1

    @property
    def tone(self) -> str:
        """The theme's feeling in words: mostly negative / mostly positive / mixed."""
        if self.negative * 2 > self.count:
            return "mostly negative"
        if self.positive * 2 > self.count:
            return "mostly positive"
        return "mixed"


@dataclass
class CommentsPage:
    audience: Audience
    wave: Wave
    focus: Unit
    shown: bool
    min_n: int
    themes: list[Theme] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    total: int = 0
    theme: str = ""
    query: str = ""
    sentiment: str = ""
    chart: Chart | None = None

    @property
    def population(self) -> str:
        return population_of(self.wave)

    @property
    def source(self) -> str:
        return self.population

    @property
    def sentiments(self) -> tuple[str, ...]:
        return themes.SENTIMENTS

    @cached_property
    def theme_names(self) -> dict[str, str]:
        return themes.theme_names(self.population)

    @property
    def theme_name(self) -> str:
        return self.theme_names.get(self.theme, "")

    @cached_property
    def waves(self) -> list[Wave]:
        organization = self.audience.scope.organization
        if self.population == "customer":
            return selectors.customer_waves(organization)
        return selectors.employee_waves(organization)

    @cached_property
    def crumbs(self) -> list[Unit]:
        return self.audience.breadcrumb(self.focus)

    @property
    def base_query(self) -> str:
        return urlencode({"source": self.source, "wave": self.wave.pk})

    @property
    def query_without_theme(self) -> str:
        filters = {"source": self.source, "wave": self.wave.pk, "unit": self.focus.pk}
        filters |= {k: v for k, v in (("q", self.query), ("sentiment", self.sentiment)) if v}
        return urlencode(filters)

    def tables(self) -> dict[str, Callable[[], list[dict]]]:
        """The page's CSV exports: the comments as filtered, and the theme counts."""
        return {"comments": self.comment_records, "themes": self.theme_records}

    def comment_records(self) -> list[dict]:
        return [
            {
                "comment": c.text,
                "theme": self.theme_names[c.theme],
                "theme_code": c.theme,
                "sentiment": c.sentiment,
                "sentiment_label": c.label,
            }
            for c in self.comments
        ]

    def theme_records(self) -> list[dict]:
        return [
            {
                "theme": t.name,
                "theme_code": t.code,
                "comments": t.count,
                "positive": t.positive,
                "neutral": t.neutral,
                "negative": t.negative,
                "average_sentiment": t.sentiment,
            }
            for t in self.themes
        ]


def population_of(wave: Wave) -> str:
    return "customer" if wave.kind == Wave.Kind.CUSTOMER else "employee"


def comments_explorer(
    audience: Audience,
    wave: Wave,
    focus: Unit,
    *,
    theme: str = "",
    query: str = "",
    sentiment: str = "",
) -> CommentsPage:
    """The comments of a unit's subtree in one wave, only when the gate shows that unit.

    Raises Http404 for a theme or sentiment the page does not know (a clear "no such
    theme", not an empty list that looks like nobody said anything).
    """
    population = population_of(wave)
    _check_filters(population, theme, sentiment)
    page = CommentsPage(
        audience=audience,
        wave=wave,
        focus=focus,
        shown=_comments_shown(wave, focus),
        min_n=wave.organization.min_group_size,
        theme=theme,
        query=(query or "").strip()[:100],
        sentiment=sentiment,
    )
    if not page.shown:
        return page
    comments = _annotate(_gated_comment_texts(wave, focus), population)
    page.themes = _theme_counts(comments, population)
    page.total = len(comments)
    page.comments = _filter(comments, theme=theme, query=page.query, sentiment=sentiment)
    page.chart = themes_chart(page.themes, unit=focus.name) if page.themes else None
    return page


def _check_filters(population: str, theme: str, sentiment: str) -> None:
    if theme and theme not in themes.theme_names(population):
        raise Http404(f"No theme {theme!r} among the {population} comments' themes.")
    if sentiment and sentiment not in themes.SENTIMENTS:
        raise Http404("Sentiment must be positive, neutral or negative.")


def _comments_shown(wave: Wave, focus: Unit) -> bool:
    """Whether the gate shows the unit's respondents in this wave (then its comments show)."""
    results = selectors.wave_results(wave)
    respondents = selectors.cells(results.snapshot, [focus.pk]).get(
        (focus.pk, selectors.RESPONDENTS)
    )
    return (
        respondents is not None
        and not respondents.suppressed
        and anonymity.comments_visible(respondents.n, wave.organization.min_group_size)
    )


def _gated_comment_texts(wave: Wave, focus: Unit) -> list[str]:
    """The unit subtree's comments, ordered by a hash of their text (not by who or when)."""
    population = population_of(wave)
    model = CustomerResponse if population == "customer" else Response
    answers = model.objects.filter(wave=wave, unit__path__startswith=focus.path).values_list(
        "answers", flat=True
    )
    texts = comments_of(answers, text_codes(wave.organization, population))
    return sorted(texts, key=themes.text_hash)


def _annotate(texts: list[str], population: str) -> list[Comment]:
    readings = themes.read_comments(texts, population)
    return [
        Comment(text, r.driver, r.score, r.sentiment)
        for text, r in zip(texts, readings, strict=True)
    ]


def _theme_counts(comments: list[Comment], population: str) -> list[Theme]:
    """Every theme with comments, most talked-about first ("Other topics" last)."""
    by_theme: dict[str, list[Comment]] = {}
    for comment in comments:
        by_theme.setdefault(comment.theme, []).append(comment)
    counted = []
    for code, name in themes.theme_names(population).items():
        about = by_theme.get(code, [])
        if not about:
            continue
        labels = [c.label for c in about]
        counted.append(
            Theme(
                code=code,
                name=name,
                count=len(about),
                positive=labels.count("positive"),
                neutral=labels.count("neutral"),
                negative=labels.count("negative"),
                sentiment=round(sum(c.sentiment for c in about) / len(about), 2),
            )
        )
    return sorted(counted, key=lambda t: (t.code == themes.OTHER, -t.count))


def _filter(comments: list[Comment], *, theme: str, query: str, sentiment: str) -> list[Comment]:
    needle = query.lower()
    return [
        c
        for c in comments
        if (not theme or c.theme == theme)
        and (not needle or needle in c.text.lower())
        and (not sentiment or c.label == sentiment)
    ]


def text_codes(organization, population: str) -> list[str]:
    """Codes of the open-text questions (bank and the organisation's own) of a population."""
    bank = load_bank()
    codes = [i.code for i in bank.items if i.type == "text" and i.population == population]
    custom = Item.objects.filter(organization=organization, population=population, type="text")
    return codes + list(custom.values_list("code", flat=True))


def comments_of(answers_list: Iterable[dict], codes: list[str]) -> list[str]:
    """The non-empty comments in a list of answer dicts."""
    out = []
    for answers in answers_list:
        for code in codes:
            text = answers.get(code)
            if isinstance(text, str) and text.strip():
                out.append(text.strip())
    return out


def themes_chart(counted: list[Theme], *, unit: str) -> Chart:
    """Comments per theme as bars split by sentiment, most talked-about theme on top."""
    rows = [
        {"theme": t.name, "sentiment": label, "comments": getattr(t, label), "order": order}
        for t in counted
        for order, label in enumerate(("negative", "neutral", "positive"))
        if getattr(t, label)
    ]
    chart = (
        alt.Chart(pd.DataFrame(rows))
        .mark_bar()
        .encode(
            y=alt.Y("theme:N", title="Theme", sort=[t.name for t in counted]),
            x=alt.X("sum(comments):Q", title="Comments", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(
                "sentiment:N",
                title="Sentiment",
                scale=alt.Scale(
                    domain=list(SENTIMENT_COLOURS), range=list(SENTIMENT_COLOURS.values())
                ),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("theme:N", title="Theme"),
                alt.Tooltip("sentiment:N", title="Sentiment"),
                alt.Tooltip("comments:Q", title="Comments"),
            ],
        )
        .properties(height=max(80, 26 * len(counted)))
    )
    parts = "; ".join(
        f"{t.name} {t.count} ({t.negative} negative, {t.neutral} neutral, {t.positive} positive)"
        for t in counted
    )
    return to_chart(
        chart,
        id="comment-themes-chart",
        title=f"What the comments of {unit} talk about",
        description=f"Comments per theme, split by sentiment: {parts}.",
    )
