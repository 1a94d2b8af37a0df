"""Suggest an incident's category and severity from what was written: offline, explainable.

Pure module (pandas and scikit-learn; no Django, nothing downloaded). A person always
confirms: the suggestion pre-fills the report form and never decides a sanction.

Method
    Two linear models over the same features, trained on the development split of the
    labelled texts shipped in ``data/labelled_incidents.csv`` (written for this project):

    * features: TF-IDF of words and word pairs, plus TF-IDF of character 2-5-grams inside
      words (these catch spelling variants, censored swearing such as "f***ing", and some
      words of other languages); censoring asterisks are first read as the letters they hide;
    * category: multinomial logistic regression with balanced class weights;
    * severity (1-4): a second logistic regression, then kept inside the range the category
      allows (violence is never below 3, an upset customer never above 2);
    * safety first: when the threat and violence probabilities together reach
      `SAFETY_THRESHOLD`, the more likely of the two is suggested even if another category
      scores higher — a missed threat costs more than a second look at a rude one. The
      threshold was chosen by cross-validation on the development split only.

    The words that pushed the model most towards its suggestion are returned with it
    (coefficient × feature value), so a person can see why.

The held-out test split was never used to choose anything; `evaluate("test")` measures it
(docs/care.md, "The classifier").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

LABELLED_PATH = Path(__file__).with_name("data") / "labelled_incidents.csv"
CATEGORIES = ("upset", "abusive_language", "harassment", "threat", "violence")
SAFETY = ("threat", "violence")
SAFETY_THRESHOLD = 0.3
SEVERITY_RANGE = {
    "upset": (1, 2),
    "abusive_language": (1, 3),
    "harassment": (2, 3),
    "threat": (3, 4),
    "violence": (3, 4),
}
RANDOM_STATE = 0
CUE_WEIGHT = 0.3

# Censored swearing, read as written in full (the model then learns one word, not five).
_CENSORED = [
    (re.compile(r"\bf[\*#@]+(k|ck|cking|king|ing|ed|er|ers|off)?\b", re.I), "fuck"),
    (re.compile(r"\bsh[\*#@]+t\b", re.I), "shit"),
    (re.compile(r"\bb[\*#@]+tch", re.I), "bitch"),
    (re.compile(r"\bc[\*#@]+ts?\b", re.I), "cunt"),
    (re.compile(r"\bw[\*#@]+nker", re.I), "wanker"),
    (re.compile(r"\bt[\*#@]+t\b", re.I), "twat"),
    (re.compile(r"\bp[\*#@]+ki\b", re.I), "slur"),
]


def normalise(text: str) -> str:
    """Lower-case text with censored swear words written out."""
    out = text or ""
    for pattern, word in _CENSORED:
        out = pattern.sub(word, out)
    return out.lower()


# Hand-written cues, one list of patterns per category: each text gets, per category, the
# number of its patterns it matches. They carry what a few hundred examples cannot teach a
# bag of words: that "punched" and "spat at" are acts, that "I'll … you" and "you'll regret"
# look ahead, that "keeps … every day" is a pattern of behaviour.
CUES = {
    "violence": [
        r"\b(punch|slap|kick|shov|push|headbutt|elbow|strangl|stab|slash|bit|groped?|pinch|stamp|yank|drag|rammed|struck|hit|attack|assault|smash|threw|throw|pour|spat|spit|grab|twist|pinned|shook|forced|blocked)\w*\b(?! (you|your) )",
        r"\b(hospital|arrested|bruise|injur|cut (my|her|his)|knocked)\w*",
        r"\b(touched|groped) (my|her|his)\b",
        r"\bthrew (a|the|his|her)\b.*\b(at|over|across)\b",
    ],
    "threat": [
        r"\b(i'll|i will|i'm going to|im going to|gonna|i would|he would|he'd|she would|he will|he'll)\b.*\b(kill|hurt|find|wait|visit|sort|deal|come|smash|break|burn|get|stab|shoot|cut|teach|hunt|ruin|punch|slap|kick|bash|throw|run)\w*",
        r"\b(you'll|you will|you'd better|you won't|you're dead|you are dead)\b",
        r"\b(regret|watch (your|yourself|herself)|be careful|shame if|know where you live|know what time|know people|never forget a face|what's coming|pay for this|get yours|see what happens|accidents happen|in a ditch)\b",
        r"\b(threat\w*|knife|gun|machete|bomb|weapon|acid|blade)\b",
        r"\b(outside|car park|on your way home|after work|at night|school gates|the station|bus stop)\b",
    ],
    "harassment": [
        r"\b(keeps?|kept|repeatedly|every (day|night|evening|time)|again and again|times (in|this)|over \w+ (times|emails)|most evenings|each time)\b",
        r"\b(boyfriend|single|sexy|gorgeous|darling|pretty|kisses|wink|leer|stare|staring|chest|legs|body|appearance|hug|hold my hand|ask(ed|ing)? (me|her) out|a drink|explicit|suggestive|sexual)\w*",
        r"\b(facebook|instagram|social media|friend request|online|whatsapp|voice ?notes?|messages?|messaging|emails?|letters?|notes|number|address|where (i|she) live|what time i finish|my shifts|which bus|personal)\b",
        r"\b(asking for me|asks? for me|by name|only (by|to) (me|the))\b",
        r"\b(film|photo|picture)\w*",
    ],
    "abusive_language": [
        r"\b(fuck\w*|shit\w*|bitch\w*|bastard|cunt|wanker|twat|arsehole|dickhead|prick|git|pillock|muppet|clown|moron|idiot|imbecile|halfwit|retard|cow|tart|pig|parasite|leech|loser|jobsworth|slur)\b",
        r"\b(stupid|thick|useless|pathetic|incompetent|brainless|brain-dead|dim|dimmest|gormless|dozy|clueless|worthless|disgrace|waste of|ugly|fat|liar|ignorant|rude|insult\w*|abuse|abusive|names)\b",
        r"\b(racist|homophobic|sexist|slurs?|foreigner|your kind|go back to|terrorist|whores?)\b",
        r"\bcalled (me|my|the|her|him)\b",
    ],
    "upset": [
        r"\b(refund|order|delivery|parcel|bill|billing|charged|price|queue|hold|wait(ed|ing)?|late|delayed|broken|faulty|cancel\w*|complain\w*|compensation|appointment|booking|callback|call back|manager|review|ombudsman)\b",
        r"\b(upset|frustrat\w*|annoy\w*|disappoint\w*|unhappy|not happy|angry|furious|livid|fed up|cross|irritated|distressed|tearful|cried|anxious|agitated|disgusted|sick of)\b",
        r"\b(brilliant|great|fantastic|wow|lovely|perfect|congratulations|thanks (so much|for nothing)|really (helpful|impressive)|oh (sure|brilliant|perfect))\b",
    ],
}


class CueCounter:
    """Per category, how many of its `CUES` patterns a text matches (scikit-learn transformer)."""

    def __init__(self, weight: float = 1.0):
        self.weight = weight

    def fit(self, texts, y=None):
        self.patterns_ = {c: [re.compile(p) for p in CUES[c]] for c in CATEGORIES}
        return self

    def transform(self, texts):
        rows = []
        for text in texts:
            plain = normalise(text)
            rows.append([sum(bool(p.search(plain)) for p in self.patterns_[c]) for c in CATEGORIES])
        return sparse.csr_matrix(np.asarray(rows, dtype=float) * self.weight)

    def get_params(self, deep: bool = True) -> dict:
        return {"weight": self.weight}

    def set_params(self, **params):
        for key, value in params.items():
            setattr(self, key, value)
        return self


_SHORT = frozenset(["ll", "ve", "re", "s", "t", "d", "m", "i'm", "i'll", "he'd", "you'll"])
# English function words that other European languages do not share as words ("a", "me",
# "in", "is", "was" are left out: Spanish, Italian, Dutch and German have them too).
_ENGLISH = frozenset(
    [
        "the",
        "and",
        "to",
        "of",
        "you",
        "your",
        "he",
        "she",
        "it",
        "that",
        "this",
        "with",
        "not",
        "have",
        "had",
        "but",
        "they",
        "what",
        "would",
        "said",
        "customer",
        "my",
        "for",
        "on",
        "at",
        "his",
        "if",
        "will",
        "be",
        "we",
        "our",
        "been",
        "are",
        "i'm",
        "i've",
        "i'll",
        "don't",
        "just",
        "who",
        "from",
        "when",
        "there",
        "i",
        "as",
        "so",
        "could",
        "you're",
        "you'll",
        "how",
        "never",
        "more",
        "well",
        "only",
        "too",
        "before",
        "called",
        "times",
    ]
)
_ACCENTED = re.compile("[ąćęłńśźżñ¿¡ßäöüãõçàèìòùâêîôûéíóú]")


def looks_english(text: str) -> bool:
    """A cheap guess: two English function words (one in a short text), and few accented
    letters. Texts in other languages get no suggestion: the model cannot read them."""
    words = re.findall(r"[a-zA-Z']+", (text or "").lower())
    hits = len({w for w in words if w in _ENGLISH})
    if _ACCENTED.search((text or "").lower()) and hits < 3:
        return False
    return hits >= (1 if len(words) <= 6 else 2)


def _features(cue_weight: float = CUE_WEIGHT) -> FeatureUnion:
    return FeatureUnion(
        [
            ("cues", CueCounter(cue_weight)),
            (
                "words",
                TfidfVectorizer(
                    preprocessor=normalise, ngram_range=(1, 2), min_df=1, sublinear_tf=True
                ),
            ),
            (
                "chars",
                TfidfVectorizer(
                    preprocessor=normalise,
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    min_df=2,
                    sublinear_tf=True,
                ),
            ),
        ]
    )


def _model(C: float, cue_weight: float) -> Pipeline:
    return Pipeline(
        [
            ("features", _features(cue_weight)),
            (
                "model",
                LogisticRegression(C=C, class_weight="balanced", max_iter=1000, solver="newton-cg"),
            ),
        ]
    )


CATEGORY_C = 10.0
SEVERITY_C = 10.0


@dataclass(frozen=True)
class Suggestion:
    """What the text suggests, how sure the model is, and the words that weighed most."""

    category: str  # "" when the text is not in English: no suggestion, a person reads it
    severity: int | None
    probabilities: dict[str, float]
    reasons: list[str] = field(default_factory=list)
    english: bool = True

    @property
    def confidence(self) -> float:
        return self.probabilities.get(self.category, 0.0)


class IncidentClassifier:
    """Category and severity suggester (scikit-learn style: parameters kept, work in `fit`)."""

    def __init__(
        self,
        *,
        category_C: float = CATEGORY_C,
        severity_C: float = SEVERITY_C,
        safety_threshold: float = SAFETY_THRESHOLD,
        cue_weight: float = CUE_WEIGHT,
    ):
        self.category_C = category_C
        self.severity_C = severity_C
        self.safety_threshold = safety_threshold
        self.cue_weight = cue_weight

    def fit(self, texts: pd.Series, categories: pd.Series, severities: pd.Series):
        self.category_model_ = _model(self.category_C, self.cue_weight).fit(
            list(texts), list(categories)
        )
        self.severity_model_ = _model(self.severity_C, self.cue_weight).fit(
            list(texts), list(severities)
        )
        self.classes_ = [str(c) for c in self.category_model_.classes_]
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "category_model_"):
            raise RuntimeError("The classifier is not fitted yet: call fit() first.")

    def predict_categories(self, texts) -> list[str]:
        """The suggested category of each text ("" for a text not in English)."""
        self._check_fitted()
        texts = list(texts)
        probabilities = self.category_model_.predict_proba(texts)
        return [
            self._decide(row) if looks_english(text) else ""
            for text, row in zip(texts, probabilities, strict=True)
        ]

    def _decide(self, row: np.ndarray) -> str:
        scores = dict(zip(self.classes_, row, strict=True))
        safety = sum(scores.get(c, 0.0) for c in SAFETY)
        if safety >= self.safety_threshold:
            return max(SAFETY, key=lambda c: scores.get(c, 0.0))
        return max(scores, key=scores.get)

    def suggest(self, text: str) -> Suggestion:
        self._check_fitted()
        text = (text or "").strip()
        if not looks_english(text):
            return Suggestion(category="", severity=None, probabilities={}, english=False)
        row = self.category_model_.predict_proba([text])[0]
        category = self._decide(row)
        severity = int(self.severity_model_.predict([text])[0])
        low, high = SEVERITY_RANGE[category]
        return Suggestion(
            category=category,
            severity=min(max(severity, low), high),
            probabilities={
                str(c): round(float(p), 3) for c, p in zip(self.classes_, row, strict=True)
            },
            reasons=self._reasons(text, category),
            english=looks_english(text),
        )

    def _reasons(self, text: str, category: str, k: int = 4) -> list[str]:
        """What in the text pointed to `category`: the cue phrases it matched, then the words
        (not character pieces, not the commonest words) that pushed the model most."""
        matched = []
        for pattern in CUES[category]:
            found = re.compile(pattern).search(normalise(text))
            if found and found.group(0).strip() not in matched:
                matched.append(found.group(0).strip())
        features = self.category_model_.named_steps["features"]
        words = dict(features.transformer_list)["words"]
        vector = words.transform([text])
        model = self.category_model_.named_steps["model"]
        row = self.classes_.index(category)
        offset = len(CATEGORIES)  # the cue counts come first
        weights = model.coef_[row][offset : offset + len(words.vocabulary_)]
        contributions = vector.multiply(weights).tocsr()
        names = words.get_feature_names_out()
        order = np.argsort(-contributions.data)
        picked = [
            names[contributions.indices[i]]
            for i in order
            if contributions.data[i] > 0
            and not set(names[contributions.indices[i]].split()) <= ENGLISH_STOP_WORDS | _SHORT
        ]
        reasons = [m for m in matched if len(m) <= 40]
        reasons += [w for w in picked if not any(w in m for m in reasons)]
        return reasons[:k]


def labelled_incidents(split: str | None = None) -> pd.DataFrame:
    """The labelled texts (id, category, severity, language, tags, split, text)."""
    frame = pd.read_csv(LABELLED_PATH, dtype={"tags": str}, keep_default_na=False)
    return frame if split is None else frame[frame["split"] == split].reset_index(drop=True)


@lru_cache(maxsize=1)
def trained() -> IncidentClassifier:
    """The shipped classifier: trained once per process on the development split (~0.5 s)."""
    frame = labelled_incidents("development")
    return IncidentClassifier().fit(frame["text"], frame["category"], frame["severity"])


def suggest(text: str) -> Suggestion:
    return trained().suggest(text)


def scores(truth: list[str], predicted: list[str]) -> pd.DataFrame:
    """Precision and recall per category (and support), as a table."""
    rows = []
    for category in CATEGORIES:
        tp = sum(t == category and p == category for t, p in zip(truth, predicted, strict=True))
        fp = sum(t != category and p == category for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == category and p != category for t, p in zip(truth, predicted, strict=True))
        rows.append(
            {
                "category": category,
                "support": tp + fn,
                "precision": tp / (tp + fp) if tp + fp else float("nan"),
                "recall": tp / (tp + fn) if tp + fn else float("nan"),
            }
        )
    return pd.DataFrame(rows).set_index("category")


def evaluate(split: str = "test", *, languages: str = "all") -> pd.DataFrame:
    """Precision and recall per category of the shipped classifier on a split.

    `languages` is "all", "en" (English texts only) or "other".
    """
    frame = labelled_incidents(split)
    if languages == "en":
        frame = frame[frame["language"] == "en"]
    elif languages == "other":
        frame = frame[frame["language"] != "en"]
    predicted = trained().predict_categories(frame["text"])
    table = scores(list(frame["category"]), predicted)
    severities = [trained().suggest(t).severity for t in frame["text"]]
    table.attrs["severity_exact"] = float(
        np.mean([s == t for s, t in zip(severities, frame["severity"], strict=True)])
    )
    table.attrs["accuracy"] = float(np.mean(np.array(predicted) == frame["category"]))
    table.attrs["abstained"] = int(sum(p == "" for p in predicted))
    return table
