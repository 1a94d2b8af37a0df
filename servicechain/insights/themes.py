"""Read an open comment: which part of work it is about, and whether it praises or complains.

Pure module (standard library, pandas and the item bank; no Django, nothing downloaded):
the comments page, the API and the tests all read comments through `read_comments`.

Theme
    Each comment is put under one driver of the instrument (employee: career, manager,
    pay, …; customer: friendliness, competence, speed, first-contact resolution), or
    "other". Every phrase of `lexicon.DRIVER_PHRASES` found in the comment scores its
    weight for its driver; the driver with the highest score wins, provided it scores at
    least `MIN_DRIVER_SCORE` and beats the "other" topics (car park, prices, the survey).
    A phrase counts more in the clause that carries the comment's point ("the staff were
    nice but I waited an hour" is about speed) — the same clause weights as sentiment.

Sentiment
    A lexicon-and-rules reading in the manner of VADER (Hutto & Gilbert 2014, ICWSM),
    with a lexicon written for comments about work and service (`lexicon.VALENCE`) and
    five rules that VADER's general lexicon and three-word window miss:

    1. *Negation*: a negator ("not", "never", "without", "no one", "hardly", …) turns the
       next praise or complaint in its clause around, however far ("I don't see how what
       I do makes any difference"); left with nothing to turn, it complains a little on
       its own ("no career conversations"). "so"/"such" or a comparative after it keep the
       praise ("could not have been nicer", "never had a team that worked so well").
    2. *Contrast*: after "but"/"however"/"yet" a clause weighs 1.5, before it 0.5; a
       concession ("although …", "despite …") weighs 0.5 and the main clause 1.5; a
       scene-setting clause ("when a customer shouted, …") weighs 0.5. Two clauses of
       opposite sign with no marker ("love the job, hate the pay") are read as a contrast.
    3. *Requests*: a clause that asks or suggests ("could the rota …", "it would help if
       …", a question) counts a quarter: a suggestion is not a complaint.
    4. *Irony*: a cue ("thanks for nothing", "how generous") turns the praise of its
       sentence into complaint, and so does a praising opener followed by a complaint
       ("Great, another …", "Love spending twenty minutes …").
    5. *Intensity*: "really", "very", "so" raise the next word by 30 %, "quite" lowers it
       by 20 %; "too long", "too few" complain.

    The sum of the weighted words is the comment's score; at least `POSITIVE` in size
    reads as positive or negative, anything smaller as neutral. The score shown is the
    sum squashed into -1…+1, ``s / sqrt(s² + 4)``, so it can be averaged across comments.

Accuracy is measured on the labelled comments shipped in ``data/labelled_comments.csv``
(see docs/insights.md, "Comments"): the lexicon and the rules were tuned on its
development split only; `accuracy("test")` is the held-out measurement.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from servicechain.surveys.bank import load_bank

from . import lexicon

OTHER = "other"
OTHER_NAME = "Other topics"
POSITIVE = 0.5
MIN_DRIVER_SCORE = 1.0
SQUASH = 4.0
LABELLED_PATH = Path(__file__).with_name("data") / "labelled_comments.csv"
SENTIMENTS = ("positive", "neutral", "negative")


@dataclass(frozen=True)
class Reading:
    """What a comment is about (a driver code or "other") and how it feels (-1 to +1)."""

    driver: str
    score: float
    sentiment: str


def text_hash(text: str) -> str:
    return hashlib.sha256(text.strip().encode()).hexdigest()


def theme_names(population: str) -> dict[str, str]:
    """Driver code → the driver's name in the item bank, then "other", in bank order."""
    bank = load_bank()
    names = {code: bank.scales[code].name for code in bank.drivers(population)}
    return names | {OTHER: OTHER_NAME}


def read_comments(texts: Iterable[str], population: str) -> list[Reading]:
    """The reading of each comment, in order (see the module docstring for the method)."""
    return [read_comment(text, population) for text in texts]


@lru_cache(maxsize=50_000)
def read_comment(text: str, population: str) -> Reading:
    tokens = tokenise(text)
    clauses = _clauses(tokens)
    score = _sentiment(tokens, clauses)
    squashed = score / math.sqrt(score * score + SQUASH)
    return Reading(
        driver=_driver(tokens, clauses, population),
        score=round(squashed, 4),
        sentiment=_label(score),
    )


def _label(score: float) -> str:
    """The sentiment of a comment's unsquashed score."""
    if score > POSITIVE:
        return "positive"
    if score < -POSITIVE:
        return "negative"
    return "neutral"


# ----------------------------------------------------------------------------- tokens

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"'})
_CONTRACTIONS = {
    "can't": "can not", "cannot": "can not", "cant": "can not", "won't": "will not",
    "wont": "will not", "shan't": "shall not", "n't": " not", "'d": " would", "'ll": " will",
    "'ve": " have", "'re": " are", "'m": " am", "'s": "", "s'": "s",
}  # fmt: skip
# One pass: whole words, "dont"-style words typed without the apostrophe, then endings.
_CONTRACTION = re.compile(
    r"\b(?:can't|cannot|cant|won't|wont|shan't)\b"
    r"|\b(?P<aux>do|does|did|is|was|are|were|has|have|had|could|would|should)nt\b"
    r"|(?<=[a-z])(?:n't|'d|'ll|'ve|'re|'m|'s)\b|s'(?=\s|$)"
)


def _spell_out(match: re.Match) -> str:
    if match.group("aux"):
        return f"{match.group('aux')} not"
    return _CONTRACTIONS[match.group(0)]


_TOKEN = re.compile(r"[a-z0-9]+(?:[-/:][a-z0-9]+)*|[.,;:!?]")
_SENTENCE_END = frozenset({".", "!", "?"})
_CLAUSE_END = frozenset({",", ";", ":"})
_PUNCTUATION = _SENTENCE_END | _CLAUSE_END
_OPENERS = lexicon.CONTRASTS | lexicon.CIRCUMSTANCES | lexicon.CONCESSIONS | {"even"}


def tokenise(text: str) -> list[str]:
    """Lower-case words and punctuation, contractions spelt out ("don't" → "do not")."""
    text = _CONTRACTION.sub(_spell_out, text.lower().translate(_APOSTROPHES))
    return _TOKEN.findall(text)


def _phrase_table(phrases: Iterable[str]) -> dict[tuple[str, ...], str]:
    return {tuple(tokenise(p)): p for p in phrases}


@lru_cache(maxsize=1)
def _terms() -> tuple[dict[tuple[str, ...], tuple[str, float | None]], dict[str, int]]:
    """Every rule word and lexicon phrase as token tuples → (kind, value), and for each
    first word the length of the longest phrase it opens (the longest match wins)."""
    table: dict[tuple[str, ...], tuple[str, float | None]] = {}
    for phrase, value in lexicon.VALENCE.items():
        table[tuple(tokenise(phrase))] = ("valence", value)
    kinds = (
        ("negator", lexicon.NEGATORS),
        ("nothing", lexicon.NOTHING_TO_SAY),
        ("irony", lexicon.IRONY_CUES),
        ("dampener", lexicon.DAMPENERS),
    )
    for kind, phrases in kinds:
        for key in _phrase_table(phrases):
            value = table.get(key, (None, None))[1]
            table[key] = (kind, lexicon.IRONY_VALENCE if kind == "irony" and not value else value)
    return table, _reach(table)


def _reach(phrases: Iterable[tuple[str, ...]]) -> dict[str, int]:
    reach: dict[str, int] = {}
    for words in phrases:
        reach[words[0]] = max(reach.get(words[0], 0), len(words))
    return reach


@dataclass
class _Term:
    start: int
    end: int
    kind: str
    value: float | None


def _match_terms(tokens: Sequence[str]) -> list[_Term]:
    table, reach = _terms()
    terms: list[_Term] = []
    i = 0
    while i < len(tokens):
        for size in range(min(reach.get(tokens[i], 0), len(tokens) - i), 0, -1):
            entry = table.get(tuple(tokens[i : i + size]))
            if entry is not None:
                kind, value = entry
                terms.append(_Term(i, i + size, kind, value))
                i += size
                break
        else:
            i += 1
    return terms


# ----------------------------------------------------------------------------- clauses


@dataclass
class _Clause:
    start: int
    end: int
    sentence: int
    role: str = ""  # "contrast", "conceded", "circumstance", "request" or ""
    weight: float = 1.0  # in the sentiment
    topic_weight: float = 1.0  # in the choice of driver (a request still names its topic)


def _clauses(tokens: Sequence[str]) -> list[_Clause]:
    """Clauses with their weights: contrasts, concessions, scene-setting and requests."""
    clauses: list[_Clause] = []
    sentence, start = 0, 0
    for i, token in enumerate([*tokens, "."]):
        opener = token in _OPENERS and i > start and _opens_clause(tokens, i)
        if token in _PUNCTUATION or opener:
            if i > start:
                clauses.append(_Clause(start, i, sentence))
            start = i if opener else i + 1
            sentence += token in _SENTENCE_END
    for clause in clauses:
        clause.role = _role(tokens, clause)
    _weigh_markers(clauses)
    return clauses


def _opens_clause(tokens: Sequence[str], i: int) -> bool:
    """A contrast, concession or scene-setting word that is followed by more words."""
    if i + 1 >= len(tokens) or tokens[i + 1] in _PUNCTUATION:
        return False
    token = tokens[i]
    if token == "instead" and tokens[i + 1] == "of":  # nosec B105 # a word of a comment, not a secret
        return False
    return token in lexicon.CONTRASTS or token in lexicon.CIRCUMSTANCES or _concedes(tokens, i)


def _concedes(tokens: Sequence[str], i: int) -> bool:
    token = tokens[i]
    if token in ("while", "whilst"):  # concessive only where a sentence opens with it
        return i == 0 or tokens[i - 1] in _SENTENCE_END
    if token == "even":  # nosec B105 # a word of a comment, not a secret
        return i + 1 < len(tokens) and tokens[i + 1] in ("though", "if")
    return token in lexicon.CONCESSIONS


def _role(tokens: Sequence[str], clause: _Clause) -> str:
    if _concedes(tokens, clause.start):
        return "conceded"
    if tokens[clause.start] in lexicon.CONTRASTS:
        return "contrast"
    if tokens[clause.start] in lexicon.CIRCUMSTANCES:
        return "circumstance"
    if _is_request(tokens, clause):
        return "request"
    return ""


def _is_request(tokens: Sequence[str], clause: _Clause) -> bool:
    words = tokens[clause.start : clause.end]
    if any(" ".join(words[:size]) in lexicon.REQUEST_OPENERS for size in (3, 2, 1)):
        return True
    question = clause.end < len(tokens) and tokens[clause.end] == "?"
    return question and words[0] in lexicon.QUESTION_OPENERS


def _sentences(clauses: list[_Clause]) -> list[list[_Clause]]:
    groups: dict[int, list[_Clause]] = {}
    for clause in clauses:
        groups.setdefault(clause.sentence, []).append(clause)
    return list(groups.values())


def _weigh_markers(clauses: list[_Clause]) -> None:
    sentences = _sentences(clauses)
    for k, group in enumerate(sentences):
        if k and group[0].role == "contrast":  # "… . But / Instead / However, …"
            for earlier in sentences[:k]:
                for clause in earlier:
                    clause.weight *= lexicon.CONCEDED_WEIGHT
                    clause.topic_weight *= lexicon.CONCEDED_WEIGHT
    for group in sentences:
        turn = next((k for k, c in enumerate(group) if c.role == "contrast"), None)
        conceded = any(c.role == "conceded" for c in group)
        for k, clause in enumerate(group):
            factor = clause.weight
            if turn is not None:
                factor *= lexicon.CONTRAST_WEIGHT if k >= turn else lexicon.CONCEDED_WEIGHT
            if clause.role == "conceded":
                factor *= lexicon.CONCEDED_WEIGHT
            elif conceded and clause.role != "circumstance":
                factor *= lexicon.CONTRAST_WEIGHT
            if clause.role == "circumstance":
                factor *= lexicon.CIRCUMSTANCE_WEIGHT
            clause.topic_weight = factor
            clause.weight = factor * (lexicon.REQUEST_WEIGHT if clause.role == "request" else 1)


def _weigh_unmarked_contrasts(clauses: list[_Clause], sums: dict[int, float]) -> None:
    """Clauses of opposite sign with no contrast word: the last one carries the point."""
    for group in _sentences(clauses):
        if any(c.role in ("contrast", "conceded") for c in group):
            continue
        polar = [
            c
            for c in group
            if sums.get(id(c), 0.0) != 0.0 and c.role not in ("circumstance", "request")
        ]
        if len({sums[id(c)] > 0 for c in polar}) < 2:
            continue
        for clause in polar[:-1]:
            clause.weight *= lexicon.CONCEDED_WEIGHT
            clause.topic_weight *= lexicon.CONCEDED_WEIGHT
        polar[-1].weight *= lexicon.CONTRAST_WEIGHT
        polar[-1].topic_weight *= lexicon.CONTRAST_WEIGHT


# ----------------------------------------------------------------------------- sentiment


def _sentiment(tokens: list[str], clauses: list[_Clause]) -> float:
    terms = {t.start: t for t in _match_terms(tokens)}
    values = {id(c): _clause_values(tokens, c, terms) for c in clauses}
    _read_irony(tokens, clauses, terms, values)
    sums = {key: sum(v for _, v in pairs) for key, pairs in values.items()}
    _weigh_unmarked_contrasts(clauses, sums)
    return sum(c.weight * sums[id(c)] for c in clauses)


def _clause_values(tokens, clause: _Clause, terms: dict[int, _Term]) -> list[tuple[int, float]]:
    """(token index, value) of each praise or complaint in a clause, negation applied."""
    values: list[tuple[int, float]] = []
    negator, keep, boost, bare, flipped_at = None, False, 1.0, 0, None
    i = clause.start
    while i < clause.end:
        term, word = terms.get(i), tokens[i]
        if negator is not None and _ends_scope(negator, word, term):
            bare, negator = bare + 1, None
        if term is None:
            if word in lexicon.INTENSIFIERS:
                boost *= lexicon.INTENSIFY
            if word == "too" and _too_applies(tokens, clause, terms, i):
                values.append((i, lexicon.TOO))
            i += 1
            continue
        if term.kind == "nothing":
            return []
        if term.kind == "negator" or (negator is not None and word in _NEGATOR_WORDS):
            # A second negator, or a phrase that starts with one ("not even", "no problem"):
            # the pending negator found nothing to turn.
            bare += negator is not None
            negator, keep = None, False
        if term.kind == "negator":
            negator, keep = " ".join(tokens[term.start : term.end]), _kept(tokens, clause, i)
        elif term.kind == "dampener":
            boost *= lexicon.DAMPEN
        elif term.value:  # a lexicon word or phrase (an irony cue may be one)
            value = float(term.value) * boost
            if i > 0 and tokens[i - 1] == "too":
                value = value * lexicon.INTENSIFY if value < 0 else lexicon.TOO
            if negator is not None or flipped_at == i:
                value *= lexicon.INTENSIFY if keep else NEGATED
                # "not the warmest welcome", "without waiting for sign-off": the word that
                # completes a turned one (next to it, or after one small word) turns too.
                flipped_at = _completion(tokens, term, terms) if negator is not None else None
                negator = None
            values.append((i, value))
            boost = 1.0
        i = term.end
    last = terms.get(clause.end - 1)
    if negator is not None and last is not None and last.kind == "negator":
        values.append((clause.end - 1, lexicon.ELLIPTICAL_NEGATION))  # "the hours are not"
        negator = None
    bare += negator is not None
    if bare:
        values.append((clause.end - 1, lexicon.BARE_NEGATION))
    if _counterfactual(tokens, clause) and not keep:
        values = [(k, v * NEGATED if v > 0 else v) for k, v in values]
    return values


_SMALL_WORDS = frozenset({"for", "of", "the", "a", "an", "to", "on", "with"})


def _completion(tokens, turned: _Term, terms: dict[int, _Term]) -> int | None:
    """Where the word completing a turned one starts, if there is one: a lexicon word of the
    same sign ("warmest welcome"); one of the other sign is its object ("fixed the broken
    scanner")."""
    for i in (turned.end, turned.end + 1):
        term = terms.get(i)
        if term is not None and term.kind == "valence" and term.value:
            return i if (term.value > 0) == (turned.value > 0) else None
        if i >= len(tokens) or tokens[i] not in _SMALL_WORDS:
            return None
    return None


def _ends_scope(negator: str, word: str, term: _Term | None) -> bool:
    """Whether a word ends the reach of a pending negator (`negator`: its words)."""
    if term is not None and term.kind != "negator" and term.value:
        return False
    if word in lexicon.SCOPE_ENDS:
        return True
    return negator in lexicon.NOUN_SCOPE_NEGATORS and word in lexicon.VERBS_ENDING_NOUN_SCOPE


def _counterfactual(tokens, clause: _Clause) -> bool:
    words = tokens[clause.start : clause.end]
    if "have" not in words:
        return False
    return any(pair in lexicon.COUNTERFACTUALS for pair in zip(words, words[1:], strict=False))


NEGATED = -0.75  # VADER's N_SCALAR (-0.74): a negated word keeps most of its strength
_NEGATOR_WORDS = frozenset(phrase.split()[0] for phrase in lexicon.NEGATORS)


def _too_applies(tokens, clause, terms, i) -> bool:
    """ "too few", "too much": a complaint, unless a lexicon word follows (handled there)."""
    following = i + 1
    if following >= clause.end or tokens[following] in _PUNCTUATION:
        return False  # "… outside work too."
    nxt = terms.get(following)
    return nxt is None or nxt.kind != "valence"


def _kept(tokens, clause: _Clause, negator: int) -> bool:
    """Whether a negator keeps the praise instead of turning it ("could not be nicer")."""
    after = tokens[negator + 1 : clause.end]
    if any(w in lexicon.NEGATION_KEEPERS for w in after):
        return True
    # "Without X, I would have left": a counterfactual that praises X.
    sentence_rest = tokens[negator + 1 :]
    stop = next((k for k, w in enumerate(sentence_rest) if w in _SENTENCE_END), None)
    return tokens[negator] == "without" and "would" in sentence_rest[:stop]


def _read_irony(tokens, clauses, terms, values) -> None:
    """Cue phrases, and praising openers followed by complaint, turn praise into complaint."""
    cues = {t.start for t in terms.values() if t.kind == "irony"}
    for group in _sentences(clauses):
        pairs = [p for c in group for p in values[id(c)]]
        if any(c.start <= i < c.end for c in group for i in cues):
            for c in group:
                values[id(c)] = [(i, -abs(v)) for i, v in values[id(c)]]
            continue
        opener = _ironic_opener(tokens, group[0].start, terms)
        if opener is None:
            continue
        another = "another" in tokens[opener + 1 : opener + 4]  # "Great, another …"
        if not another and sum(v for i, v in pairs if i != opener) >= 0:
            continue
        for c in group:
            values[id(c)] = [(i, -abs(v) if i == opener else v) for i, v in values[id(c)]]


def _ironic_opener(tokens, start: int, terms) -> int | None:
    """A praising word opening a sentence as "Great, …", "Lovely staff, …", "Love spending…"."""
    i = start
    while i < len(tokens) and tokens[i] in lexicon.IRONY_OPENER_FILLERS:
        i += 1
    term = terms.get(i)
    if term is None or term.kind != "valence" or term.value <= 0 or term.end != i + 1:
        return None
    after = tokens[i + 1 : i + 3]
    if after and (after[0] in (",", "to") or after[0].endswith("ing")):
        return i
    return i if len(after) == 2 and after[1] == "," else None


# ----------------------------------------------------------------------------- drivers


@dataclass(frozen=True, eq=False)
class _TopicTable:
    """A population's driver and "other" phrases as token tuples (longest match wins)."""

    exact: dict[tuple[str, ...], tuple[tuple[str, float], ...]]
    # phrases ending in "*": their leading words → (stem of the last word, owners)
    stems: dict[tuple[str, ...], tuple[tuple[str, tuple[tuple[str, float], ...]], ...]]
    reach: dict[str, int]  # first word → length of the longest phrase it opens


@lru_cache(maxsize=2)
def _topic_table(population: str) -> _TopicTable:
    owners: dict[str, list[tuple[str, float]]] = {}
    for code in load_bank().drivers(population):
        for phrase, weight in lexicon.DRIVER_PHRASES[code].items():
            owners.setdefault(phrase, []).append((code, weight))
    for phrase, weight in lexicon.OTHER_PHRASES.items():
        owners.setdefault(phrase, []).append((OTHER, weight))
    exact, stems = {}, {}
    for phrase, found in owners.items():
        words = tuple(tokenise(phrase.rstrip("*")))
        if phrase.endswith("*"):
            stems.setdefault(words[:-1], []).append((words[-1], tuple(found)))
        else:
            exact[words] = tuple(found)
    reach = _reach([*exact, *(k + ("",) for k in stems if k)])
    return _TopicTable(exact, {k: tuple(v) for k, v in stems.items()}, reach)


def _topic_at(table: _TopicTable, tokens: Sequence[str], i: int, end: int):
    """The longest phrase starting at token i: (its length, its owners; none: ())."""
    reach = table.reach.get(tokens[i])
    if reach:
        for size in range(min(reach, end - i), 1, -1):
            found = table.exact.get(tuple(tokens[i : i + size]))
            if found is not None:
                return size, found
            for stem, stem_owners in table.stems.get(tuple(tokens[i : i + size - 1]), ()):
                if tokens[i + size - 1].startswith(stem):
                    return size, stem_owners
    return 1, _word_owners(table, tokens[i])


@lru_cache(maxsize=20_000)
def _word_owners(table: _TopicTable, word: str) -> tuple[tuple[str, float], ...]:
    """The owners of a one-word phrase (exact, else the longest matching stem)."""
    found = table.exact.get((word,))
    if found is not None:
        return found
    stems = [(stem, owners) for stem, owners in table.stems.get((), ()) if word.startswith(stem)]
    return max(stems, key=lambda pair: len(pair[0]))[1] if stems else ()


def _driver(tokens: list[str], clauses: list[_Clause], population: str) -> str:
    table = _topic_table(population)
    scores: dict[str, float] = {}
    for clause in clauses:
        i = clause.start
        while i < clause.end:
            size, owners = _topic_at(table, tokens, i, clause.end)
            for code, weight in owners:
                scores[code] = scores.get(code, 0.0) + weight * clause.topic_weight
            i += size
    if not scores:
        return OTHER
    best = max(scores, key=lambda code: (scores[code], code != OTHER))
    return best if best != OTHER and scores[best] >= MIN_DRIVER_SCORE else OTHER


# ----------------------------------------------------------------------------- measurement


@lru_cache(maxsize=1)
def _labelled() -> pd.DataFrame:
    return pd.read_csv(LABELLED_PATH, dtype=str, keep_default_na=False)


def labelled_comments(split: str | None = None) -> pd.DataFrame:
    """The labelled comments (id, population, driver, sentiment, split, text)."""
    frame = _labelled()
    return frame if split is None else frame[frame["split"] == split].reset_index(drop=True)


def read_frame(frame: pd.DataFrame) -> list[Reading]:
    """The reading of each row of a frame with `text` and `population` columns."""
    pairs = zip(frame["text"], frame["population"], strict=True)
    return [read_comment(text, population) for text, population in pairs]


def accuracy(split: str) -> dict[str, float]:
    """Share of a split's comments whose sentiment and whose driver the reader gets right."""
    frame = labelled_comments(split)
    readings = read_frame(frame)
    sentiment = sum(r.sentiment == s for r, s in zip(readings, frame["sentiment"], strict=True))
    driver = sum(r.driver == d for r, d in zip(readings, frame["driver"], strict=True))
    n = len(frame)
    return {"n": n, "sentiment": sentiment / n, "driver": driver / n}
