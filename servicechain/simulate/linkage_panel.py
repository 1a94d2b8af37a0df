"""The linkage panel a synthetic organisation yields through the app's own survey pipeline.

For validation: the app never sees the simulator's true unit EX and CX, only survey answers
and purchases. This module takes a :class:`SyntheticOrganisation`'s tables (what
``servicechain import`` would load) and builds the unit × month panel the way the insights
linkage report does:

* **EX** per unit and wave month: the engagement scale score (``surveys.bank``), the unit
  subtree's mean and standard error ``s/√n`` (those of ``metrics.mean_ci``, the estimator of
  the results pipeline) for the units the anonymity gate shows (``anonymity.suppress`` over the unit
  tree on answerer counts, ``min_n``); ``ex_se`` is that standard error as a measure of the
  staff's true mean (:func:`servicechain.analytics.linkage.survey_mean_se`: the unit's
  headcount when the wave opened, the engagement scale's Cronbach alpha in the wave).
* **CX** per unit and month a customer answered: the CSAT index (0-100), gated the same
  way month by month, with its standard error ``cx_se``.
* **Repeat rate and revenue growth** from purchases, each customer counted in the unit of
  the employee who owns the account (:func:`servicechain.analytics.linkage.business_panel`),
  with the repeat rate's binomial standard error ``repeat_rate_se``.

The gate here is per month and per wave on the unit tree; the app additionally gates the
months of a customer wave as a breakdown of the wave's cells, which can only withhold more
cells, never change a shown one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from servicechain.analytics import anonymity
from servicechain.analytics.linkage import business_panel, survey_mean_se
from servicechain.analytics.psychometrics import cronbach_alpha
from servicechain.simulate.organisation import SyntheticOrganisation
from servicechain.surveys.bank import load_bank, reverse_key, score_scales

__all__ = ["month_number", "survey_linkage_panel"]


def month_number(values) -> np.ndarray:
    """Dates or timestamps -> months since year 0 (``year · 12 + month − 1``)."""
    stamps = pd.Series(pd.to_datetime(values if isinstance(values, pd.Series) else list(values)))
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert(None)
    return (stamps.dt.year * 12 + stamps.dt.month - 1).to_numpy()


def _ancestors(units: pd.DataFrame) -> dict[str, list[str]]:
    """Unit external id -> itself and every unit above it."""
    parent = dict(zip(units["external_id"], units["parent_external_id"], strict=True))
    out = {}
    for unit in parent:
        chain, node = [], unit
        while isinstance(node, str):
            chain.append(node)
            node = parent.get(node)
        out[unit] = chain
    return out


def _gated_means(rows: pd.DataFrame, units: pd.DataFrame, min_n: int, name: str) -> pd.DataFrame:
    """Subtree mean, standard error and n of ``value`` per unit and ``period``, gated.

    ``rows``: ``unit``, ``period``, ``value`` (one answer each, NaN for no answer).
    """
    ancestors = _ancestors(units)
    answered = rows.dropna(subset=["value"])
    spread = answered.assign(unit=answered["unit"].map(ancestors)).explode("unit")
    parents = units.set_index("external_id")["parent_external_id"]
    frames = []
    for period, group in spread.groupby("period"):
        counts = group.groupby("unit").size().reindex(parents.index, fill_value=0)
        table = pd.DataFrame({"parent": parents, "respondents": counts})
        shown = ~anonymity.suppress(table, min_n=min_n, parent="parent")["suppressed"]
        cells = group[group["unit"].isin(shown.index[shown])].groupby("unit")["value"]
        # metrics.mean_ci's estimate and standard error, s/√n, for every cell at once
        n = cells.size()
        frames.append(
            pd.DataFrame(
                {
                    "unit": n.index,
                    "period": period,
                    name: cells.mean().to_numpy(),
                    f"{name}_se": (cells.std(ddof=1) / np.sqrt(n)).to_numpy(),
                    f"{name}_n": n.to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _headcounts(org: SyntheticOrganisation, day: pd.Timestamp) -> pd.Series:
    """People employed in each unit's subtree on a day."""
    employees = org.employees
    hired = pd.to_datetime(employees["hire_date"]) <= day
    left = pd.to_datetime(employees["leave_date"])
    active = employees.loc[hired & (left.isna() | (left >= day)), "unit_external_id"]
    ancestors = _ancestors(org.units)
    return active.map(ancestors).explode().value_counts()


def _ex(org: SyntheticOrganisation, min_n: int) -> pd.DataFrame:
    answers = org.employee_responses
    waves = org.employee_waves.set_index("wave_id")
    opens = pd.to_datetime(waves["opens_on"])
    period = month_number(opens.loc[answers["wave_id"]])
    rows = pd.DataFrame(
        {
            "unit": answers["unit_external_id"].to_numpy(),
            "period": period,
            "value": score_scales(answers, ["engagement"])["engagement"].to_numpy(),
        }
    )
    ex = _gated_means(rows, org.units, min_n, "ex").rename(columns={"ex_se": "ex_se_published"})
    items = list(load_bank().scales["engagement"].items)
    keyed = reverse_key(answers[items].astype("float64"))
    extras = []
    for wave_id, day in opens.items():
        month = int(month_number([day])[0])
        in_wave = (answers["wave_id"] == wave_id).to_numpy()
        heads = _headcounts(org, day)
        extras.append(
            pd.DataFrame(
                {
                    "unit": heads.index,
                    "period": month,
                    "headcount": heads.to_numpy(),
                    "reliability": cronbach_alpha(keyed[in_wave]),
                }
            )
        )
    ex = ex.merge(pd.concat(extras), on=["unit", "period"], how="left")
    population = ex["headcount"].fillna(ex["ex_n"])
    ex["ex_se"] = survey_mean_se(ex["ex_se_published"], ex["ex_n"], population, ex["reliability"])
    return ex


def _cx(org: SyntheticOrganisation, min_n: int) -> pd.DataFrame:
    answers = org.customer_responses.merge(
        org.interactions[["external_id", "unit_external_id"]],
        left_on="interaction_external_id",
        right_on="external_id",
    )
    rows = pd.DataFrame(
        {
            "unit": answers["unit_external_id"].to_numpy(),
            "period": month_number(answers["submitted_at"]),
            "value": score_scales(answers, ["csat"])["csat"].to_numpy(),
        }
    )
    return _gated_means(rows, org.units, min_n, "cx")


def _business(org: SyntheticOrganisation) -> pd.DataFrame:
    unit_of = org.employees.set_index("external_id")["unit_external_id"]
    owner = org.customers.set_index("external_id")["owner_employee_external_id"]
    purchases = org.transactions
    customer = purchases["customer_external_id"]
    return business_panel(
        pd.DataFrame(
            {
                "customer": customer.to_numpy(),
                "unit": customer.map(owner).map(unit_of).to_numpy(),
                "period": month_number(purchases["occurred_at"]),
                "amount": purchases["amount"].astype("float64").to_numpy(),
            }
        )
    )


def survey_linkage_panel(org: SyntheticOrganisation, *, min_n: int = 5) -> pd.DataFrame:
    """The unit × month linkage panel of a synthetic organisation, as the app measures it.

    Parameters
    ----------
    org : SyntheticOrganisation
    min_n : int, default 5
        The anonymity gate's minimum group size.

    Returns
    -------
    DataFrame
        One row per unit and month with purchases: ``unit`` (external id), ``period``
        (months since year 0), ``ex``, ``ex_se``, ``ex_n``, ``ex_se_published``,
        ``headcount``, ``reliability``, ``cx``, ``cx_se``, ``cx_n``, ``repeat_rate``,
        ``repeat_rate_se``, ``buyers``, ``revenue``, ``revenue_growth``. EX and CX are
        missing where no survey ran or the gate withholds the cell.
    """
    panel = _business(org)
    panel = panel.merge(_cx(org, min_n), on=["unit", "period"], how="left")
    panel = panel.merge(_ex(org, min_n), on=["unit", "period"], how="left")
    return panel.sort_values(["unit", "period"]).reset_index(drop=True)
