"""The survey item bank: scales, items, instrument templates and scale scoring.

Pure module (standard library, numpy and pandas; no Django) so the simulator, the
analytics library and the Django survey app all read one source of truth,
``item_bank.json`` next to this file.

Scoring (see ``docs/item_bank.md``)
-----------------------------------
Each answered item is first put on a 0-100 scale, reverse-keyed items flipped first:

========  ==========================  ==================================
type      reverse key                  0-100 score
========  ==========================  ==================================
likert5   ``6 - x``                    ``(x - 1) / 4 * 100``
csat5     ``6 - x``                    ``(x - 1) / 4 * 100``
effort7   ``8 - x``                    ``(x - 1) / 6 * 100`` (higher = more effort)
yesno     ``1 - x``                    ``100 * x`` (share answering yes)
nps11     never                        not rescaled: the raw 0-10 answer
========  ==========================  ==================================

A scale score is the mean of its answered item scores, provided at least half of
the scale's items were answered (otherwise NaN); this "half rule" is the usual
pro-rating convention for multi-item scales (e.g. Schafer & Graham, 2002,
*Psychological Methods* 7(2), on person-mean imputation). NPS-type items are never
averaged with other items: a scale made of one ``nps11`` item (``enps``, ``nps``)
scores as the raw 0-10 answer, so promoters (9-10) and detractors (0-6) can still be
counted. ``text`` and ``choice`` items are not scored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "BankItem",
    "ItemBank",
    "Scale",
    "BANK_PATH",
    "ITEM_TYPES",
    "SCORED_TYPES",
    "load_bank",
    "parse_bank",
    "reverse_key",
    "score_scales",
]

BANK_PATH = Path(__file__).with_name("item_bank.json")

# Answer types as people read them (pages and forms show these, never the type codes).
ANSWER_TYPE_NAMES = {
    "likert5": "Agreement, 1–5",
    "nps11": "Likelihood to recommend, 0–10",
    "csat5": "Satisfaction, 1–5",
    "effort7": "Effort, 1–7",
    "yesno": "Yes or no",
    "choice": "One choice from a list",
    "text": "Free text",
}

#: Every response type and its answer range (None for unscored free types).
ITEM_TYPES: dict[str, tuple[int | None, int | None]] = {
    "likert5": (1, 5),
    "nps11": (0, 10),
    "csat5": (1, 5),
    "effort7": (1, 7),
    "yesno": (0, 1),
    "choice": (None, None),
    "text": (None, None),
}
SCORED_TYPES = frozenset({"likert5", "nps11", "csat5", "effort7", "yesno"})
POPULATIONS = frozenset({"employee", "customer"})

# Allowed item counts per scale kind; single-item outcome scales are listed by code.
_ITEM_COUNT_RANGES: dict[str, tuple[int, int]] = {
    "driver": (1, 4),
    "lifecycle": (4, 6),
    "open": (1, 1),
    "choice": (1, 1),
    "outcome": (1, 1),
}
_ITEM_COUNT_BY_SCALE: dict[str, tuple[int, int]] = {
    "engagement": (5, 5),
    "enps": (1, 1),
}
_EMPLOYEE_DRIVER_RANGE = (2, 4)
MIN_REVERSE_ITEMS = 4


@dataclass(frozen=True)
class BankItem:
    """One survey question.

    Attributes
    ----------
    code : str
        Unique item code, also the column name of the item in wide response frames.
    scale : str
        Code of the scale the item belongs to.
    text : str
        Question wording shown to respondents.
    type : str
        Response type, one of :data:`ITEM_TYPES`.
    reverse : bool
        True when agreeing means *less* of the construct (flipped before scoring).
    population : str
        ``"employee"`` or ``"customer"``.
    options : tuple of (value, label)
        Answer options of ``choice`` items; empty otherwise.
    """

    code: str
    scale: str
    text: str
    type: str
    reverse: bool
    population: str
    options: tuple[tuple[str, str], ...] = ()

    @property
    def min_value(self) -> int | None:
        """Smallest valid answer (None for text and choice items)."""
        return ITEM_TYPES[self.type][0]

    @property
    def max_value(self) -> int | None:
        """Largest valid answer (None for text and choice items)."""
        return ITEM_TYPES[self.type][1]

    @property
    def is_scored(self) -> bool:
        """Whether the item contributes to a numeric scale score."""
        return self.type in SCORED_TYPES


@dataclass(frozen=True)
class Scale:
    """A set of items measuring one construct.

    Attributes
    ----------
    code, name : str
        Stable code (used as the score column name) and display name.
    population : str
        ``"employee"`` or ``"customer"``.
    items : tuple of str
        Item codes in bank order.
    description : str
        What the scale measures.
    kind : str
        ``"outcome"``, ``"driver"``, ``"lifecycle"``, ``"open"`` or ``"choice"``.
    """

    code: str
    name: str
    population: str
    items: tuple[str, ...]
    description: str
    kind: str = "driver"


@dataclass
class ItemBank:
    """The parsed item bank (see :func:`load_bank`).

    Attributes
    ----------
    items : list of BankItem
        Every item, in bank order.
    scales : dict
        Scale code -> :class:`Scale`.
    instruments : dict
        Instrument name -> list of item codes, in the order they are asked.
    instrument_names : dict
        Instrument name -> the name people read ("engagement_census" -> "Engagement census").
    response_types : dict
        Type -> ``{"min", "max", "labels"}`` (answer labels for forms).
    version : str
        Bank version string.
    """

    items: list[BankItem]
    scales: dict[str, Scale]
    instruments: dict[str, list[str]]
    response_types: dict[str, dict[str, Any]] = field(default_factory=dict)
    version: str = ""
    instrument_names: dict[str, str] = field(default_factory=dict)
    _by_code: dict[str, BankItem] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_code = {item.code: item for item in self.items}

    def item(self, code: str) -> BankItem:
        """Return the item with this code; KeyError naming the known codes otherwise."""
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(
                f"unknown item code {code!r}; known codes: {', '.join(self._by_code)}"
            ) from None

    def instrument_items(self, name: str) -> list[BankItem]:
        """Items of a named instrument template, in the order they are asked."""
        if name not in self.instruments:
            raise KeyError(f"unknown instrument {name!r}; known: {', '.join(self.instruments)}")
        return [self._by_code[code] for code in self.instruments[name]]

    def text_item(self, instrument: str) -> str | None:
        """Code of the instrument's open-text item (stored in a response frame's ``comment``)."""
        for item in self.instrument_items(instrument):
            if item.type == "text":
                return item.code
        return None

    def drivers(self, population: str = "employee") -> list[str]:
        """Codes of the driver scales of a population, in bank order."""
        return [
            s.code
            for s in self.scales.values()
            if s.kind == "driver" and s.population == population
        ]

    @property
    def reverse_items(self) -> list[str]:
        """Codes of the reverse-keyed items."""
        return [item.code for item in self.items if item.reverse]


def parse_bank(data: dict[str, Any]) -> ItemBank:
    """Build and validate an :class:`ItemBank` from the JSON structure.

    Raises
    ------
    ValueError
        Listing every problem found (duplicate codes, unknown types or scales,
        item counts outside the allowed range, too few reverse-keyed items, ...).
    """
    items = [_parse_item(raw) for raw in data["items"]]
    scales: dict[str, Scale] = {}
    for raw in data["scales"]:
        codes = tuple(item.code for item in items if item.scale == raw["code"])
        scales[raw["code"]] = Scale(
            code=raw["code"],
            name=raw["name"],
            population=raw["population"],
            items=codes,
            description=raw.get("description", ""),
            kind=raw.get("kind", "driver"),
        )
    instruments: dict[str, list[str]] = {}
    for name, spec in data["instruments"].items():
        instruments[name] = [
            code for scale in spec["scales"] for code in _scale_items(scales, scale)
        ]
    bank = ItemBank(
        items=items,
        scales=scales,
        instruments=instruments,
        response_types=data.get("response_types", {}),
        version=str(data.get("version", "")),
        instrument_names={
            name: spec.get("name") or name.replace("_", " ").capitalize()
            for name, spec in data["instruments"].items()
        },
    )
    problems = validate_bank(bank, raw_scale_codes=[raw["code"] for raw in data["scales"]])
    if problems:
        raise ValueError("invalid item bank:\n- " + "\n- ".join(problems))
    return bank


def _scale_items(scales: dict[str, Scale], code: str) -> tuple[str, ...]:
    if code not in scales:
        raise ValueError(f"instrument refers to unknown scale {code!r}")
    return scales[code].items


def _parse_item(raw: dict[str, Any]) -> BankItem:
    options = tuple((str(o["value"]), str(o["label"])) for o in raw.get("options", []))
    return BankItem(
        code=raw["code"],
        scale=raw["scale"],
        text=raw["text"],
        type=raw["type"],
        reverse=bool(raw.get("reverse", False)),
        population=raw["population"],
        options=options,
    )


def validate_bank(bank: ItemBank, raw_scale_codes: list[str] | None = None) -> list[str]:
    """Return a list of human-readable problems with the bank (empty when valid)."""
    problems: list[str] = []
    codes = [item.code for item in bank.items]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(f"item code {code!r} is used {codes.count(code)} times")
    scale_codes = raw_scale_codes if raw_scale_codes is not None else list(bank.scales)
    for code in sorted({c for c in scale_codes if scale_codes.count(c) > 1}):
        problems.append(f"scale code {code!r} is defined more than once")
    for item in bank.items:
        where = f"item {item.code!r}"
        if item.type not in ITEM_TYPES:
            problems.append(f"{where}: type {item.type!r} is not one of {sorted(ITEM_TYPES)}")
        if item.population not in POPULATIONS:
            problems.append(f"{where}: population {item.population!r} is not employee/customer")
        if item.scale not in bank.scales:
            problems.append(f"{where}: scale {item.scale!r} is not defined")
        elif bank.scales[item.scale].population != item.population:
            problems.append(f"{where}: population differs from its scale's")
        if not item.text.strip():
            problems.append(f"{where}: empty text")
        if item.type == "choice" and len(item.options) < 2:
            problems.append(f"{where}: a choice item needs at least two options")
        if item.reverse and item.type not in {"likert5", "csat5", "effort7", "yesno"}:
            problems.append(f"{where}: only rating items can be reverse-keyed")
    for scale in bank.scales.values():
        low, high = _item_count_range(scale)
        if not low <= len(scale.items) <= high:
            problems.append(
                f"scale {scale.code!r} has {len(scale.items)} items; expected {low}-{high}"
            )
        types = {bank._by_code[c].type for c in scale.items if c in bank._by_code}
        if "nps11" in types and len(types) > 1:
            problems.append(f"scale {scale.code!r} mixes nps11 with other item types")
    n_reverse = sum(item.reverse for item in bank.items)
    if n_reverse < MIN_REVERSE_ITEMS:
        problems.append(f"only {n_reverse} reverse-keyed items; at least {MIN_REVERSE_ITEMS}")
    for name, item_codes in bank.instruments.items():
        if len(set(item_codes)) != len(item_codes):
            problems.append(f"instrument {name!r} lists an item twice")
    return problems


def _item_count_range(scale: Scale) -> tuple[int, int]:
    if scale.code in _ITEM_COUNT_BY_SCALE:
        return _ITEM_COUNT_BY_SCALE[scale.code]
    if scale.kind == "driver" and scale.population == "employee":
        return _EMPLOYEE_DRIVER_RANGE
    return _ITEM_COUNT_RANGES.get(scale.kind, (1, 10))


@lru_cache(maxsize=1)
def load_bank() -> ItemBank:
    """Load, validate and cache the bundled item bank (``item_bank.json``).

    Returns
    -------
    ItemBank
        The shared, cached bank; treat it as read-only.
    """
    with BANK_PATH.open(encoding="utf-8") as fh:
        return parse_bank(json.load(fh))


def _item_matrix(responses: pd.DataFrame, code: str, item: BankItem) -> np.ndarray:
    """Column as float array (NaN = unanswered), checked against the item's range."""
    values = pd.to_numeric(responses[code], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    raw_missing = responses[code].isna().to_numpy()
    bad_text = np.flatnonzero(np.isnan(values) & ~raw_missing)
    if bad_text.size:
        row = responses.index[bad_text[0]]
        raise ValueError(
            f"item {code!r}: value {responses[code].iloc[bad_text[0]]!r} in row {row!r} is not a number"
        )
    low, high = item.min_value, item.max_value
    out_of_range = np.flatnonzero((values < low) | (values > high))
    if out_of_range.size:
        row = responses.index[out_of_range[0]]
        raise ValueError(
            f"item {code!r}: value {values[out_of_range[0]]:g} in row {row!r} "
            f"is outside {low}-{high} for type {item.type}"
        )
    return values


def _flip(values: np.ndarray, item: BankItem) -> np.ndarray:
    return item.min_value + item.max_value - values


def reverse_key(responses: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with every reverse-keyed rating item flipped.

    A reverse-keyed answer ``x`` on a ``min..max`` scale becomes ``min + max - x``
    (``6 - x`` for 1-5 items), so that higher always means more of the construct.
    Columns that are not reverse-keyed items are copied unchanged.
    """
    bank = load_bank()
    out = responses.copy()
    for code in responses.columns:
        item = bank._by_code.get(code)
        if item is None or not item.reverse:
            continue
        flipped = _flip(_item_matrix(responses, code, item), item)
        if pd.api.types.is_extension_array_dtype(responses[code].dtype):
            out[code] = pd.array(flipped, dtype="Float64").astype(responses[code].dtype)
        else:
            out[code] = flipped
    return out


def _item_score(values: np.ndarray, item: BankItem) -> np.ndarray:
    if item.reverse:
        values = _flip(values, item)
    if item.type == "nps11":
        return values
    if item.type == "yesno":
        return 100.0 * values
    return (values - item.min_value) / (item.max_value - item.min_value) * 100.0


def score_scales(responses: pd.DataFrame, scales: list[str] | None = None) -> pd.DataFrame:
    """Score wide item responses into 0-100 scale scores.

    Parameters
    ----------
    responses : DataFrame
        One row per response, one column per item code (other columns ignored);
        NaN or NA for unanswered items.
    scales : list of str, optional
        Scale codes to score. By default every scored scale with at least one item
        column present in ``responses``. Items of a requested scale that are absent
        from ``responses`` count as unanswered.

    Returns
    -------
    DataFrame
        Same index as ``responses``, one float column per scale. Likert/CSAT items map
        to ``(x - 1) / 4 * 100`` after reverse-keying (``6 - x``), effort items to
        ``(x - 1) / 6 * 100``, yes/no to 0/100, and the score is the mean over
        answered items when at least half of the scale's items are answered, else
        NaN. NPS-type scales (``enps``, ``nps``) are the raw 0-10 answer.

    Raises
    ------
    ValueError
        For an unknown or unscored scale code, or an answer outside its item's range.
    """
    bank = load_bank()
    if scales is None:
        scales = [
            s.code
            for s in bank.scales.values()
            if any(bank._by_code[c].is_scored and c in responses.columns for c in s.items)
        ]
    scores: dict[str, np.ndarray] = {}
    for code in scales:
        if code not in bank.scales:
            raise ValueError(f"unknown scale {code!r}; known: {', '.join(bank.scales)}")
        items = [bank._by_code[c] for c in bank.scales[code].items]
        if not any(item.is_scored for item in items):
            raise ValueError(f"scale {code!r} has no scored items (its items are free text/choice)")
        scores[code] = _scale_score(responses, [i for i in items if i.is_scored])
    return pd.DataFrame(scores, index=responses.index, columns=list(scales), dtype=float)


def _scale_score(responses: pd.DataFrame, items: list[BankItem]) -> np.ndarray:
    n_rows = len(responses)
    item_scores = np.full((n_rows, len(items)), np.nan)
    for j, item in enumerate(items):
        if item.code in responses.columns:
            item_scores[:, j] = _item_score(_item_matrix(responses, item.code, item), item)
    answered = np.isfinite(item_scores)
    n_answered = answered.sum(axis=1)
    total = np.where(answered, item_scores, 0.0).sum(axis=1)
    enough = n_answered * 2 >= len(items)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(enough & (n_answered > 0), total / np.maximum(n_answered, 1), np.nan)


def score_items(responses: pd.DataFrame, items: list[BankItem]) -> pd.DataFrame:
    """Score wide responses into 0-100 scale scores for an explicit list of items.

    The same rules as :func:`score_scales` (reverse-keying, 0-100 rescaling, the half rule,
    raw 0-10 for NPS-type scales), but the scales are those of ``items`` rather than of the
    bank: an organisation's instrument may ask only some items of a bank scale, or add
    items of its own, and the half rule then counts the items actually asked.

    Parameters
    ----------
    responses : DataFrame
        One row per response, one column per item code; NaN for unanswered.
    items : list of BankItem
        The items asked (custom items converted to :class:`BankItem`); text and choice
        items are ignored.

    Returns
    -------
    DataFrame
        Same index as ``responses``; one float column per scale, in the order the
        scales first appear in ``items``.
    """
    by_scale: dict[str, list[BankItem]] = {}
    for item in items:
        if item.is_scored:
            by_scale.setdefault(item.scale, []).append(item)
    scores = {scale: _scale_score(responses, members) for scale, members in by_scale.items()}
    return pd.DataFrame(scores, index=responses.index, columns=list(by_scale), dtype=float)


def reverse_key_items(responses: pd.DataFrame, items: list[BankItem]) -> pd.DataFrame:
    """Copy of ``responses`` with every reverse-keyed item of ``items`` flipped to ``min + max - x``.

    Like :func:`reverse_key`, for an explicit list of items (custom items included).
    """
    out = responses.copy()
    for item in items:
        if item.reverse and item.code in responses.columns:
            out[item.code] = _flip(_item_matrix(responses, item.code, item), item)
    return out
