"""Themes and sentiment of open comments, found offline.

Themes: TF-IDF vectors of the organisation's distinct comments (unigrams and bigrams,
English stop words removed, sublinear term frequency) factorised by non-negative matrix
factorisation, ``X ≈ W·H`` (Lee & Seung 1999, *Nature* 401; scikit-learn's coordinate
descent with NNDSVDa initialisation). Each theme is labelled by its three heaviest terms in
``H``; a comment belongs to the theme with its largest weight in ``W``, or to none when all
its weights are tiny (it shares no vocabulary with any theme).

Sentiment: VADER's compound score (Hutto & Gilbert 2014, "VADER: a parsimonious rule-based
model for sentiment analysis of social media text", ICWSM), a lexicon and rules shipped
with the package, so nothing leaves the machine. Compound ≥ 0.05 reads as positive,
≤ −0.05 as negative (the authors' thresholds).

Annotations are keyed by the SHA-256 of a comment's text, never by the response that
carried it, so they add nothing that could lead back to a respondent.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np
from django.db import transaction

from servicechain.surveys.bank import load_bank
from servicechain.surveys.models import CustomerResponse, Item, Response

from .models import CommentAnnotation, CommentThemes

POSITIVE, NEGATIVE = 0.05, -0.05
MIN_COMMENTS_FOR_THEMES = 20
THEMES = {"employee": 12, "customer": 6}
MIN_THEME_WEIGHT = 1e-3


def text_hash(text: str) -> str:
    return hashlib.sha256(text.strip().encode()).hexdigest()


def sentiment_label(compound: float | None) -> str:
    if compound is None:
        return ""
    if compound >= POSITIVE:
        return "positive"
    if compound <= NEGATIVE:
        return "negative"
    return "neutral"


@lru_cache(maxsize=1)
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment(text: str) -> float:
    return float(_analyzer().polarity_scores(text)["compound"])


def text_codes(organization, population: str) -> list[str]:
    """Codes of the open-text questions (bank and the organisation's own) of a population."""
    bank = load_bank()
    codes = [i.code for i in bank.items if i.type == "text" and i.population == population]
    custom = Item.objects.filter(organization=organization, population=population, type="text")
    return codes + list(custom.values_list("code", flat=True))


def comments_of(answers_list, codes: list[str]) -> list[str]:
    """The non-empty comments in a list of answer dicts."""
    out = []
    for answers in answers_list:
        for code in codes:
            text = answers.get(code)
            if isinstance(text, str) and text.strip():
                out.append(text.strip())
    return out


def organisation_comments(organization, population: str) -> list[str]:
    model = CustomerResponse if population == "customer" else Response
    answers = model.objects.filter(wave__organization=organization).values_list(
        "answers", flat=True
    )
    return comments_of(answers.iterator(chunk_size=5000), text_codes(organization, population))


def _theme_model(texts: list[str], n_themes: int):
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        stop_words="english", ngram_range=(1, 2), min_df=2, max_df=0.5, sublinear_tf=True
    )
    matrix = vectorizer.fit_transform(texts)
    n_themes = max(1, min(n_themes, matrix.shape[1] - 1, len(texts) // 5))
    model = NMF(n_components=n_themes, init="nndsvda", random_state=0, max_iter=500)
    weights = model.fit_transform(matrix)
    terms = vectorizer.get_feature_names_out()
    themes = []
    for index, component in enumerate(model.components_):
        top = [str(terms[i]) for i in np.argsort(component)[::-1][:6]]
        themes.append({"id": index, "label": " · ".join(top[:3]), "terms": top})
    assigned = [int(np.argmax(row)) if row.max() > MIN_THEME_WEIGHT else None for row in weights]
    return themes, assigned


@transaction.atomic
def themes_fit(*, organization, population: str) -> CommentThemes:
    """Fit the organisation's comment themes and score every distinct comment's sentiment."""
    texts = sorted(set(organisation_comments(organization, population)))
    hashes = [text_hash(t) for t in texts]
    fingerprint = hashlib.sha256("".join(hashes).encode()).hexdigest()
    record, _ = CommentThemes.objects.get_or_create(
        organization=organization, population=population, defaults={"fingerprint": ""}
    )
    if record.fingerprint == fingerprint:
        return record
    themes, assigned = [], [None] * len(texts)
    if len(texts) >= MIN_COMMENTS_FOR_THEMES:
        themes, assigned = _theme_model(texts, THEMES.get(population, 8))
    record.themes = themes
    record.comments = len(texts)
    record.fingerprint = fingerprint
    record.save()
    record.annotations.all().delete()
    CommentAnnotation.objects.bulk_create(
        (
            CommentAnnotation(themes=record, text_hash=h, theme=theme, sentiment=sentiment(text))
            for h, theme, text in zip(hashes, assigned, texts, strict=True)
        ),
        batch_size=5000,
    )
    return record


def themes_current(organization, population: str) -> CommentThemes | None:
    return CommentThemes.objects.filter(organization=organization, population=population).first()
