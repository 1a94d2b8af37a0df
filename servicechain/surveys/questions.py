"""An instrument's questions and the one rule for what counts as a valid answer.

Bank items are referenced by code; an organisation's own items are turned into the same
`BankItem` dataclass, so scoring, psychometrics, forms and validation treat both alike.
An instrument cannot change once a wave using it has opened (`services` enforces that), so
its questions are cached per process by (instrument id, updated_at): the respondent's
submit path then validates without reading the items again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .bank import ITEM_TYPES, BankItem, load_bank
from .models import Instrument, InstrumentItem, Item

MAX_TEXT_LENGTH = 5000


@dataclass(frozen=True)
class Question:
    """One question as asked: the item, its position and whether an answer is required."""

    item: BankItem
    number: int
    required: bool

    @property
    def code(self) -> str:
        return self.item.code


def bank_item_of(item: Item) -> BankItem:
    """A custom item as the bank's dataclass."""
    return BankItem(
        code=item.code,
        scale=item.scale,
        text=item.text,
        type=item.type,
        reverse=item.reverse,
        population=item.population,
        options=tuple((str(o["value"]), str(o["label"])) for o in item.options or ()),
    )


_CACHE: dict[int, tuple[Any, tuple[Question, ...]]] = {}


def questions_of(instrument: Instrument) -> tuple[Question, ...]:
    """The instrument's questions in asking order (cached until the instrument changes)."""
    cached = _CACHE.get(instrument.pk)
    if cached is not None and cached[0] == instrument.updated_at:
        return cached[1]
    questions = _load_questions(instrument)
    _CACHE[instrument.pk] = (instrument.updated_at, questions)
    return questions


def questions_for(instrument_id: int, updated_at) -> tuple[Question, ...]:
    """Like `questions_of`, from the id and version alone (the submit path's fast lane)."""
    cached = _CACHE.get(instrument_id)
    if cached is not None and cached[0] == updated_at:
        return cached[1]
    return questions_of(Instrument.objects.get(pk=instrument_id))


def _load_questions(instrument: Instrument) -> tuple[Question, ...]:
    bank = load_bank()
    entries = InstrumentItem.objects.filter(instrument=instrument).select_related("item")
    questions = []
    for number, entry in enumerate(entries.order_by("order", "pk"), start=1):
        item = bank.item(entry.bank_code) if entry.bank_code else bank_item_of(entry.item)
        questions.append(Question(item=item, number=number, required=entry.required))
    return tuple(questions)


class AnswerError(ValueError):
    """Answers that cannot be accepted; `errors` maps each bad field to what would be right."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))


def clean_answer(item: BankItem, value: Any) -> Any:
    """The stored form of one answer, or ValueError saying what a valid answer is.

    Empty values (None, "") mean "not answered" and come back as None.
    """
    if type(value) is int:  # the common case, a rating sent as a number: one range check
        low, high = ITEM_TYPES[item.type]
        if low is not None and low <= value <= high:
            return value
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if item.type == "text":
        if not isinstance(value, str):
            raise ValueError("must be text")
        text = value.strip()
        if len(text) > MAX_TEXT_LENGTH:
            raise ValueError(f"is {len(text)} characters long; at most {MAX_TEXT_LENGTH}")
        return text
    if item.type == "choice":
        allowed = [value for value, _ in item.options]
        if str(value) not in allowed:
            raise ValueError(f"{_shown(value)} is not one of: {', '.join(allowed)}")
        return str(value)
    number = _whole_number(value)
    if number is None or not item.min_value <= number <= item.max_value:
        raise ValueError(
            f"{_shown(value)} is out of range; answer a whole number from {item.min_value} to "
            f"{item.max_value}"
        )
    return number


def _shown(value: Any) -> str:
    """A value as the person typed it (no Python quotes around plain text or numbers)."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value).strip()[:40]
    return repr(value)[:40]


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None  # true/false is not a rating, however Python counts it
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


# id(questions) -> (questions, their codes): the instruments' cached question tuples, indexed
# once each rather than on every submission.
_BY_CODE: dict[int, tuple[tuple[Question, ...], dict[str, Question]]] = {}


def _by_code(questions: tuple[Question, ...]) -> dict[str, Question]:
    kept = _BY_CODE.get(id(questions))
    if kept is None or kept[0] is not questions:
        if len(_BY_CODE) > 256:
            _BY_CODE.clear()
        kept = _BY_CODE[id(questions)] = (questions, {q.code: q for q in questions})
    return kept[1]


def clean_answers(
    questions: tuple[Question, ...], answers: Any, *, partial: bool = False
) -> dict[str, Any]:
    """Validate a whole set of answers (item code -> value); AnswerError naming every bad field.

    Unknown codes are errors; unanswered optional questions are left out. With
    `partial` (drafts), required questions may still be unanswered.
    """
    if not isinstance(answers, dict):
        raise AnswerError({"answers": "must be an object mapping item codes to answers"})
    by_code = _by_code(questions)
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for code, value in answers.items():
        question = by_code.get(code)
        if question is None:
            errors[str(code)] = "is not a question of this survey"
            continue
        try:
            answer = clean_answer(question.item, value)
        except ValueError as exc:
            errors[code] = str(exc)
            continue
        if answer is not None:
            cleaned[code] = answer
    if not partial:
        for question in questions:
            if question.required and question.code not in cleaned and question.code not in errors:
                errors[question.code] = "is required"
    if errors:
        raise AnswerError(errors)
    return cleaned
