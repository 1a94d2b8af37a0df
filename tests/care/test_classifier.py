"""The classifier's measured figures on the held-out split (never tuned on: docs/care.md),
the labelled set's make-up, and that it only ever suggests."""

from __future__ import annotations

import pytest

from servicechain.care import classifier


def test_the_labelled_set_has_400_texts_of_every_kind_written_for_the_project():
    frame = classifier.labelled_incidents()
    assert len(frame) >= 400 and frame["id"].is_unique and frame["text"].is_unique
    assert set(frame["category"]) == set(classifier.CATEGORIES)
    assert set(frame["severity"]) == {1, 2, 3, 4}
    tags = frame["tags"].fillna("")
    abuse = frame[frame["category"] == "abusive_language"]
    assert (abuse["tags"].str.contains("swearing")).sum() >= 20
    assert (~abuse["tags"].str.contains("swearing")).sum() >= 20
    threats = frame[frame["category"] == "threat"]
    assert (~threats["tags"].str.contains("swearing")).sum() >= 50
    assert tags.str.contains("sarcasm").sum() >= 15
    assert (frame["language"] != "en").sum() >= 25


def test_the_held_out_split_is_about_a_third_and_shares_no_text_with_development():
    development = classifier.labelled_incidents("development")
    test = classifier.labelled_incidents("test")
    assert 0.25 <= len(test) / (len(test) + len(development)) <= 0.35
    assert not set(test["text"]) & set(development["text"])
    for split in (development, test):
        assert set(split["category"]) == set(classifier.CATEGORIES)


@pytest.fixture(scope="module")
def held_out():
    return classifier.evaluate("test", languages="en")


def test_threats_are_found_with_recall_of_at_least_90_percent(held_out):
    assert held_out.loc["threat", "recall"] >= 0.90


def test_violence_is_found_with_recall_of_at_least_90_percent(held_out):
    assert held_out.loc["violence", "recall"] >= 0.90


def test_abuse_is_suggested_with_precision_of_at_least_80_percent(held_out):
    assert held_out.loc["abusive_language", "precision"] >= 0.80


def test_texts_in_other_languages_get_no_suggestion():
    other = classifier.labelled_incidents("test")
    other = other[other["language"] != "en"]
    assert len(other) >= 10
    for text in other["text"]:
        suggestion = classifier.suggest(text)
        assert suggestion.category == "" and not suggestion.english


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I know where you live and I'll be waiting outside tonight.", "threat"),
        ("You're a useless f***ing idiot.", "abusive_language"),
        ("The customer spat at me and then shoved me.", "violence"),
        ("I've waited three weeks for my refund, this is ridiculous.", "upset"),
        ("He keeps calling every day asking what time I finish.", "harassment"),
    ],
)
def test_clear_cases_are_suggested_with_the_words_that_show_why(text, category):
    suggestion = classifier.suggest(text)
    assert suggestion.category == category
    assert suggestion.reasons and all(isinstance(r, str) for r in suggestion.reasons)
    low, high = classifier.SEVERITY_RANGE[category]
    assert low <= suggestion.severity <= high


def test_training_is_deterministic():
    first = classifier.IncidentClassifier().fit(*_dev())
    second = classifier.IncidentClassifier().fit(*_dev())
    texts = classifier.labelled_incidents("test")["text"]
    assert first.predict_categories(texts) == second.predict_categories(texts)


def test_an_unfitted_classifier_says_so():
    with pytest.raises(RuntimeError, match="not fitted"):
        classifier.IncidentClassifier().suggest("hello")


def _dev():
    frame = classifier.labelled_incidents("development")
    return frame["text"], frame["category"], frame["severity"]
