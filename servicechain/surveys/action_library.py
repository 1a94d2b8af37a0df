"""The action library: suggested actions per employee driver, shipped with the item bank.

Pure module (standard library only; no Django), like ``bank.py``. The one source is
``action_library.json`` next to this file; ``docs/item_bank.md`` ("Action library") says
how it is built. Every driver entry carries a one-line rationale and the research it rests
on, and 3 to 6 concrete actions, each with an effort (low, medium, high) and the number of
weeks in which it should be in place. Action plans pre-fill their tasks from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .bank import ItemBank, load_bank

__all__ = [
    "ACTION_LIBRARY_PATH",
    "EFFORTS",
    "DriverActions",
    "SuggestedAction",
    "load_action_library",
    "parse_action_library",
]

ACTION_LIBRARY_PATH = Path(__file__).with_name("action_library.json")
EFFORTS = ("low", "medium", "high")
ACTIONS_PER_DRIVER = (3, 6)


@dataclass(frozen=True)
class SuggestedAction:
    code: str
    driver: str
    title: str
    how: str
    effort: str
    weeks: int

    @property
    def time_frame(self) -> str:
        return "within a week" if self.weeks == 1 else f"within {self.weeks} weeks"


@dataclass(frozen=True)
class DriverActions:
    driver: str
    rationale: str
    references: tuple[str, ...]
    actions: tuple[SuggestedAction, ...]

    def action(self, code: str) -> SuggestedAction:
        for action in self.actions:
            if action.code == code:
                return action
        raise KeyError(f"{code!r} is not a suggested action for {self.driver!r}")


def parse_action_library(data: dict[str, Any], bank: ItemBank) -> dict[str, DriverActions]:
    """Build the library (driver code -> `DriverActions`) and check it against the bank.

    Raises
    ------
    ValueError
        Listing every problem: a driver of the bank without actions, an entry for a scale
        that is not an employee driver, a driver with fewer than 3 or more than 6 actions, a
        duplicate action code or title, an unknown effort, a time frame outside 1-52 weeks, a
        missing rationale or reference.
    """
    problems: list[str] = []
    drivers = bank.drivers("employee")
    raw_drivers = data.get("drivers", {})
    problems += [f"driver {code!r} has no actions" for code in drivers if code not in raw_drivers]
    problems += [
        f"{code!r} is not an employee driver of the item bank"
        for code in raw_drivers
        if code not in drivers
    ]
    library: dict[str, DriverActions] = {}
    codes: set[str] = set()
    for driver, raw in raw_drivers.items():
        actions = tuple(
            SuggestedAction(
                code=a.get("code", ""),
                driver=driver,
                title=a.get("title", "").strip(),
                how=a.get("how", "").strip(),
                effort=a.get("effort", ""),
                weeks=a.get("weeks", 0),
            )
            for a in raw.get("actions", [])
        )
        problems += _driver_problems(driver, raw, actions, codes)
        codes.update(a.code for a in actions)
        library[driver] = DriverActions(
            driver=driver,
            rationale=raw.get("rationale", "").strip(),
            references=tuple(raw.get("references", [])),
            actions=actions,
        )
    if problems:
        raise ValueError("invalid action library:\n- " + "\n- ".join(problems))
    return {code: library[code] for code in drivers}


def _driver_problems(driver: str, raw: dict, actions, seen_codes: set[str]) -> list[str]:
    problems = []
    low, high = ACTIONS_PER_DRIVER
    if not low <= len(actions) <= high:
        problems.append(f"{driver}: {len(actions)} actions (give {low} to {high})")
    if not raw.get("rationale", "").strip():
        problems.append(f"{driver}: no rationale")
    if not [r for r in raw.get("references", []) if r.strip()]:
        problems.append(f"{driver}: no reference")
    titles: set[str] = set()
    for action in actions:
        where = f"{driver}/{action.code or '?'}"
        if not action.code or action.code in seen_codes:
            problems.append(f"{where}: missing or duplicate action code")
        seen_codes.add(action.code)
        if not action.title or action.title.lower() in titles:
            problems.append(f"{where}: missing or duplicate title")
        titles.add(action.title.lower())
        if action.effort not in EFFORTS:
            problems.append(f"{where}: effort {action.effort!r} (use one of {', '.join(EFFORTS)})")
        if not isinstance(action.weeks, int) or not 1 <= action.weeks <= 52:
            problems.append(f"{where}: weeks {action.weeks!r} (give 1 to 52)")
    return problems


@lru_cache(maxsize=1)
def load_action_library() -> dict[str, DriverActions]:
    """The shipped library, validated against the item bank once, then cached."""
    with ACTION_LIBRARY_PATH.open(encoding="utf-8") as handle:
        return parse_action_library(json.load(handle), load_bank())
