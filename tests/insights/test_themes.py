"""Reading comments: accuracy on held-out labelled comments, negation, contrast and speed.

The accuracy tests are measurements by the app's own code on the test split of
`servicechain/insights/data/labelled_comments.csv`, which the lexicon and the rules were
never tuned on (docs/insights.md, "Comments").
"""

from __future__ import annotations

import time

import pytest

from servicechain.insights import themes
from servicechain.simulate.text import (
    CUSTOMER_FRAMES,
    CUSTOMER_PHRASES,
    EMPLOYEE_PHRASES,
    FRAMES,
)
from servicechain.surveys.bank import load_bank


def read(text: str, population: str = "employee") -> themes.Reading:
    return themes.read_comment(text, population)


# ----------------------------------------------------------------------------- accuracy


def test_sentiment_is_right_for_at_least_85_percent_of_held_out_comments():
    assert themes.accuracy("test")["sentiment"] >= 0.85


def test_the_driver_is_right_for_at_least_80_percent_of_held_out_comments():
    assert themes.accuracy("test")["driver"] >= 0.80


def test_the_labelled_set_has_300_comments_covering_every_driver_in_both_splits():
    frame = themes.labelled_comments()
    assert len(frame) >= 300 and frame["id"].is_unique and frame["text"].is_unique
    bank = load_bank()
    for population in ("employee", "customer"):
        expected = {*bank.drivers(population), themes.OTHER}
        for split in ("development", "test"):
            part = frame[(frame["population"] == population) & (frame["split"] == split)]
            assert set(part["driver"]) == expected, (population, split)
            assert set(part["sentiment"]) == set(themes.SENTIMENTS), (population, split)


def test_the_held_out_split_is_about_a_third_and_shares_no_comment_with_development():
    development, test = themes.labelled_comments("development"), themes.labelled_comments("test")
    assert 0.25 <= len(test) / (len(test) + len(development)) <= 0.35
    assert not set(test["text"]) & set(development["text"])


def simulated_comments():
    for population, phrases, frames in (
        ("employee", EMPLOYEE_PHRASES, FRAMES),
        ("customer", CUSTOMER_PHRASES, CUSTOMER_FRAMES),
    ):
        for driver, by_sentiment in phrases.items():
            for sentiment, options in by_sentiment.items():
                for phrase in options:
                    for frame in frames[sentiment]:
                        text = frame.format(phrase)
                        yield population, driver, sentiment, text[0].upper() + text[1:]


def test_the_demo_comments_are_read_as_the_simulator_labelled_them():
    wrong = []
    for population, driver, sentiment, text in simulated_comments():
        reading = read(text, population)
        if (reading.driver, reading.sentiment) != (driver, sentiment):
            wrong.append(text)
    assert wrong == []


# ----------------------------------------------------------------------------- the review's examples


@pytest.mark.parametrize(
    ("text", "population", "driver", "sentiment"),
    [
        ("I was thrown in without proper training", "employee", "training", "negative"),
        (
            "Nothing was fixed and I will have to contact you again",
            "customer",
            "fcr",
            "negative",
        ),
        ("The advice I got was expert", "customer", "competence", "positive"),
        ("The advice I got was expert, thank you!", "customer", "competence", "positive"),
        ("Staff were really polite", "customer", "friendliness", "positive"),
        ("Our systems and kit make the job easy.", "employee", "tools", "positive"),
    ],
)
def test_the_review_examples_are_read_right(text, population, driver, sentiment):
    reading = read(text, population)
    assert (reading.driver, reading.sentiment) == (driver, sentiment)


# ----------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("text", "sentiment"),
    [
        ("My manager is not supportive.", "negative"),
        ("I have never been thanked for covering a shift.", "negative"),
        ("We were left without any training on the new tills.", "negative"),
        ("No one has fixed the broken scanner.", "negative"),
        ("Hardly anyone gets promoted here.", "negative"),
        ("The new rota is not bad at all.", "positive"),
        ("I no longer have to wait for sign-off on refunds.", "positive"),
        ("She could not have been more helpful.", "positive"),
    ],
)
def test_a_negator_turns_the_praise_or_complaint_it_governs(text, sentiment):
    assert read(text).sentiment == sentiment


@pytest.mark.parametrize(
    ("text", "sentiment"),
    [
        ("The staff were friendly but I waited an hour to be served.", "negative"),
        ("Although the queue was long, the cashier sorted my refund quickly.", "positive"),
        ("Love the team, hate the rota.", "negative"),
    ],
)
def test_the_clause_after_a_contrast_carries_the_point(text, sentiment):
    assert read(text, "customer").sentiment == sentiment


def test_a_contrast_also_decides_which_driver_a_comment_is_about():
    reading = read("The staff were friendly but I waited an hour to be served.", "customer")
    assert reading.driver == "speed"


def test_a_suggestion_is_neutral_not_a_complaint():
    assert read("It would be helpful to get the rota a month ahead.").sentiment == "neutral"


def test_praise_that_opens_a_complaint_reads_as_irony():
    assert read("Great, another rota change with a day's notice.").sentiment == "negative"


def test_a_comment_about_no_driver_is_filed_under_other():
    assert read("The car park lights have been broken since March.").driver == themes.OTHER


def test_the_score_lies_between_minus_one_and_one_and_has_the_label_sign():
    strong = read("Terrible, rude, slow and useless.", "customer")
    assert -1 < strong.score < -0.5 and strong.sentiment == "negative"


def test_theme_names_are_the_item_bank_driver_names_and_other_topics():
    names = themes.theme_names("employee")
    assert names["training"] == "Training" and names["worklife"] == "Work-life balance"
    assert list(names)[-1] == themes.OTHER and names[themes.OTHER] == "Other topics"


def test_reading_ten_thousand_distinct_comments_takes_under_two_seconds_of_cpu():
    frame = themes.labelled_comments()
    texts = [
        (f"{text} (comment {i})", population)
        for i, (text, population) in enumerate(
            zip(frame["text"].tolist() * 27, frame["population"].tolist() * 27, strict=True)
        )
    ][:10_000]
    read("warm up")  # the lexicon tables are built once per process
    start = time.process_time()
    for text, population in texts:
        themes.read_comment.__wrapped__(text, population)
    assert time.process_time() - start < 2.0
