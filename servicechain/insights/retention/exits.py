"""What leavers said: the latest closed leaver survey, by reason, beside the driver each
reason belongs to.

A reason's share and its leavers' exit-experience score describe a group of people, so
each reason of a unit is gated as a breakdown of that unit's respondents over the whole
tree (a reason given by three people is withheld, and so is whatever would let it be
worked out); the unit's own score only when its respondents may be described.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from servicechain.analytics.metrics import Estimate, mean_ci
from servicechain.org.models import Unit
from servicechain.surveys.bank import load_bank
from servicechain.surveys.models import Wave

from . import gate
from .data import exit_answers, latest_exit_wave, score_names

#: The engagement driver each reason of the leaver survey belongs to (the others have none).
REASON_DRIVER = {
    "career": "career",
    "pay": "pay",
    "manager": "manager",
    "worklife": "worklife",
    "customer_conduct": "wellbeing",
}


def reason_labels() -> dict[str, str]:
    return dict(load_bank().item("EXT_REASON").options)


@dataclass
class ExitReason:
    code: str
    label: str
    shown: bool
    share: Estimate | None = None  # 0-1
    exit_score: Estimate | None = None
    driver: str = ""
    driver_name: str = ""
    driver_score: float | None = None

    def record(self, min_n: int) -> dict:
        record = {"reason": self.code, "label": self.label, "driver": self.driver or None}
        if not self.shown:
            return {
                **record,
                "withheld": f"fewer than {min_n} leavers, or would reveal such a group",
            }
        return record | {
            "respondents": self.share.n,
            "share_pct": round(100 * self.share.value, 1),
            "share_lower_pct": round(100 * self.share.lower, 1),
            "share_upper_pct": round(100 * self.share.upper, 1),
            "exit_score": None if self.exit_score is None else round(self.exit_score.value, 1),
            "driver_score": None if self.driver_score is None else round(self.driver_score, 1),
        }


@dataclass
class ExitSummary:
    wave: Wave | None
    focus: Unit
    min_n: int
    respondents: int | None = None
    exit_score: Estimate | None = None
    reasons: list[ExitReason] = field(default_factory=list)
    withheld: str = ""


def exit_summary(
    organization, tree: pd.DataFrame, focus: Unit, min_n: int, scores: pd.DataFrame
) -> ExitSummary:
    wave = latest_exit_wave(organization)
    if wave is None:
        return ExitSummary(None, focus, min_n, withheld="No leaver survey has closed yet.")
    answers = exit_answers(wave, tree)
    hidden = gate.hidden_units(answers["unit_id"], tree, min_n)
    inside = answers["unit_id"].map(tree["path"]).str.startswith(focus.path).fillna(False)
    mine = answers[inside]
    if hidden.get(focus.pk, True):
        return ExitSummary(
            wave,
            focus,
            min_n,
            withheld=f"Fewer than {min_n} leavers of {focus.name} answered, or their answers "
            "would reveal such a group: nothing of theirs is shown.",
        )
    labels = reason_labels()
    reasons = answers["reason"].where(answers["reason"].isin(list(labels)), "")
    cells = gate.hidden_categories(
        answers["unit_id"], reasons, tree, min_n, hidden=hidden, order=list(labels)
    )
    names = score_names()
    summary = ExitSummary(
        wave,
        focus,
        min_n,
        respondents=len(mine),
        exit_score=mean_ci(mine["exit_score"].dropna())
        if mine["exit_score"].notna().any()
        else None,
    )
    answered = int(mine["reason"].isin(list(labels)).sum())
    for code, label in labels.items():
        group = mine[mine["reason"] == code]
        driver = REASON_DRIVER.get(code, "")
        reason = ExitReason(code, label, False, driver=driver, driver_name=names.get(driver, ""))
        if group.empty:
            continue
        if not cells.at[focus.pk, code]:
            lower, upper = proportion_confint(len(group), answered, method="wilson")
            reason.shown = True
            reason.share = Estimate(len(group) / answered, float(lower), float(upper), len(group))
            score = group["exit_score"].dropna()
            reason.exit_score = mean_ci(score) if len(score) > 1 else None
            if driver and driver in scores:
                value = scores.at[focus.pk, driver]
                reason.driver_score = None if pd.isna(value) else float(value)
        summary.reasons.append(reason)
    summary.reasons.sort(key=lambda r: (not r.shown, -(r.share.value if r.share else 0)))
    return summary
