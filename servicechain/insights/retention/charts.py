"""Charts of the retention pages (Altair, via `servicechain.charts.to_chart`): titles,
titled axes and a text alternative with the numbers; withheld groups are never drawn."""

from __future__ import annotations

import altair as alt
import pandas as pd

from servicechain.charts import Chart, to_chart

BLUE = "#2f6f8f"
INK = "#1d2733"


def monthly_chart(monthly: pd.DataFrame, focus_name: str) -> Chart | None:
    frame = monthly.dropna(subset=["rate_pct"]).copy()
    if frame.empty:
        return None
    frame["month"] = frame["month"].dt.strftime("%Y-%m")
    frame["rate_pct"] = frame["rate_pct"].round(2)
    line = (
        alt.Chart(frame)
        .mark_line(point=True, color=BLUE)
        .encode(
            x=alt.X("month:O", title="Month"),
            y=alt.Y("rate_pct:Q", title="Leavers, % of people employed that month"),
            tooltip=[
                alt.Tooltip("month:O", title="Month"),
                alt.Tooltip("rate_pct:Q", title="Turnover %", format=".1f"),
                alt.Tooltip("leavers:Q", title="Leavers"),
            ],
        )
    )
    peak = frame.loc[frame["rate_pct"].idxmax()]
    return to_chart(
        line.properties(height=220),
        id="turnover-monthly-chart",
        title=f"Monthly turnover, {focus_name}",
        description=(
            f"Monthly turnover of {focus_name} over {len(frame)} months, between "
            f"{frame['rate_pct'].min():.1f}% and {frame['rate_pct'].max():.1f}% "
            f"(highest in {peak['month']})."
        ),
    )


def rate_chart(records: list[dict], *, id: str, title: str, label: str) -> Chart | None:
    """Annualised turnover with its interval, one bar per shown group."""
    shown = [r for r in records if "rate_pct" in r]
    if not shown:
        return None
    frame = pd.DataFrame(shown)[["group", "rate_pct", "rate_lower_pct", "rate_upper_pct"]]
    frame[["rate_pct", "rate_lower_pct", "rate_upper_pct"]] = frame[
        ["rate_pct", "rate_lower_pct", "rate_upper_pct"]
    ].astype(float)
    y = alt.Y("group:N", title=label, sort=None)
    bars = (
        alt.Chart()
        .mark_bar(color=BLUE)
        .encode(
            y=y,
            x=alt.X("rate_pct:Q", title="Annualised turnover, % a year"),
            tooltip=[
                alt.Tooltip("group:N", title=label),
                alt.Tooltip("rate_pct:Q", title="Turnover %", format=".1f"),
                alt.Tooltip("rate_lower_pct:Q", title="95% CI from", format=".1f"),
                alt.Tooltip("rate_upper_pct:Q", title="95% CI to", format=".1f"),
            ],
        )
    )
    errors = (
        alt.Chart().mark_rule(color=INK).encode(y=y, x="rate_lower_pct:Q", x2="rate_upper_pct:Q")
    )
    withheld = len(records) - len(shown)
    return to_chart(
        alt.layer(bars, errors, data=frame).properties(height=max(90, 28 * len(frame))),
        id=id,
        title=title,
        description=(
            "Annualised turnover with 95% intervals: "
            + "; ".join(f"{r.group} {r.rate_pct:.1f}%" for r in frame.itertuples())
            + (
                f". {withheld} withheld (too few people, or would reveal such a group)."
                if withheld
                else "."
            )
        ),
    )


def curves_chart(curves, focus_name: str) -> Chart | None:
    rows = []
    for curve in curves.curves:
        for tenure, point in curve.table.iterrows():
            rows.append(
                {
                    "group": curve.label,
                    "months": float(tenure),
                    "retention": 100 * float(point["retention"]),
                    "lower": 100 * float(point["lower"]),
                    "upper": 100 * float(point["upper"]),
                }
            )
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    colour = alt.Color("group:N", title="Group")
    x = alt.X("months:Q", title=curves.axis)
    band = (
        alt.Chart()
        .mark_area(opacity=0.15, interpolate="step-after")
        .encode(x=x, y=alt.Y("lower:Q", title="Still employed, %"), y2="upper:Q", color=colour)
    )
    line = (
        alt.Chart()
        .mark_line(interpolate="step-after")
        .encode(
            x=x,
            y=alt.Y("retention:Q", title="Still employed, %", scale=alt.Scale(zero=False)),
            color=colour,
            tooltip=[
                alt.Tooltip("group:N", title="Group"),
                alt.Tooltip("months:Q", title="Months", format=".1f"),
                alt.Tooltip("retention:Q", title="Still employed %", format=".1f"),
            ],
        )
    )
    ends = "; ".join(
        f"{c.label}: {100 * c.table['retention'].iloc[-1]:.0f}% at {c.table.index[-1]:.0f} months"
        for c in curves.curves
        if len(c.table)
    )
    return to_chart(
        alt.layer(band, line, data=frame).properties(height=280),
        id="retention-curves-chart",
        title=f"Retention of {focus_name} by {curves.by.replace('_', ' ')}",
        description=f"Kaplan-Meier retention curves with 95% bands. {ends}.",
    )


def drivers_chart(rows: list[dict]) -> Chart | None:
    frame = pd.DataFrame([r for r in rows if r["ratio_per_10_points"] is not None])
    if frame.empty:
        return None
    frame = frame.sort_values("ratio_per_10_points")
    y = alt.Y("name:N", title="Unit score", sort=frame["name"].tolist())
    scale = alt.Scale(type="log")
    dots = (
        alt.Chart()
        .mark_point(filled=True, color=BLUE, size=60)
        .encode(
            y=y,
            x=alt.X(
                "ratio_per_10_points:Q",
                title="Change in the chance of leaving per 10 points (ratio)",
                scale=scale,
            ),
            tooltip=[
                alt.Tooltip("name:N", title="Score"),
                alt.Tooltip("ratio_per_10_points:Q", title="Ratio", format=".2f"),
                alt.Tooltip("lower:Q", title="95% CI from", format=".2f"),
                alt.Tooltip("upper:Q", title="95% CI to", format=".2f"),
            ],
        )
    )
    errors = (
        alt.Chart().mark_rule(color=INK).encode(y=y, x=alt.X("lower:Q", scale=scale), x2="upper:Q")
    )
    one = (
        alt.Chart(pd.DataFrame({"x": [1.0]}))
        .mark_rule(strokeDash=[4, 4], color="#888")
        .encode(x="x:Q")
    )
    lowest = frame.iloc[0]
    return to_chart(
        alt.layer(alt.layer(dots, errors, data=frame), one).properties(
            height=max(120, 26 * len(frame))
        ),
        id="leaving-drivers-chart",
        title="What goes with leaving: ratio per 10 points of a unit's score",
        description=(
            f"Hazard ratios of leaving per 10 points of {len(frame)} unit scores with 95% "
            f"intervals (below 1: people in units scoring higher leave less); lowest "
            f"{lowest['name']} {lowest['ratio_per_10_points']:.2f}."
        ),
    )


def flight_chart(records: list[dict], months: int = 12) -> Chart | None:
    key = f"expected_leavers_{months}m"
    shown = [r for r in records if key in r]
    if not shown:
        return None
    frame = pd.DataFrame(shown)[["unit", key, f"lower_{months}m", f"upper_{months}m"]]
    frame.columns = ["unit", "expected", "lower", "upper"]
    y = alt.Y("unit:N", title="Unit", sort=None)
    bars = (
        alt.Chart()
        .mark_bar(color=BLUE)
        .encode(
            y=y,
            x=alt.X("expected:Q", title=f"Expected leavers in the next {months} months"),
            tooltip=[
                alt.Tooltip("unit:N", title="Unit"),
                alt.Tooltip("expected:Q", title="Expected", format=".1f"),
                alt.Tooltip("lower:Q", title="95% from"),
                alt.Tooltip("upper:Q", title="95% to"),
            ],
        )
    )
    errors = alt.Chart().mark_rule(color=INK).encode(y=y, x="lower:Q", x2="upper:Q")
    return to_chart(
        alt.layer(bars, errors, data=frame).properties(height=max(90, 28 * len(frame))),
        id="flight-risk-chart",
        title=f"Expected leavers in the next {months} months, by unit",
        description=(
            "Expected leavers with 95% prediction intervals: "
            + "; ".join(
                f"{r.unit} {r.expected:.1f} ({r.lower:.0f} to {r.upper:.0f})"
                for r in frame.itertuples()
            )
            + "."
        ),
    )


def reasons_chart(records: list[dict], focus_name: str) -> Chart | None:
    shown = [r for r in records if "share_pct" in r]
    if not shown:
        return None
    frame = pd.DataFrame(shown)[["label", "share_pct", "share_lower_pct", "share_upper_pct"]]
    y = alt.Y("label:N", title="Main reason for leaving", sort=None)
    bars = (
        alt.Chart()
        .mark_bar(color=BLUE)
        .encode(
            y=y,
            x=alt.X("share_pct:Q", title="% of leavers who answered"),
            tooltip=[
                alt.Tooltip("label:N", title="Reason"),
                alt.Tooltip("share_pct:Q", title="%", format=".0f"),
            ],
        )
    )
    errors = (
        alt.Chart().mark_rule(color=INK).encode(y=y, x="share_lower_pct:Q", x2="share_upper_pct:Q")
    )
    return to_chart(
        alt.layer(bars, errors, data=frame).properties(height=max(90, 28 * len(frame))),
        id="exit-reasons-chart",
        title=f"Why leavers of {focus_name} left (leaver survey)",
        description="Shares with 95% intervals: "
        + "; ".join(f"{r.label} {r.share_pct:.0f}%" for r in frame.itertuples())
        + f". {len(records) - len(shown)} reasons withheld (too few leavers).",
    )


def cost_chart(records: list[dict], currency: str) -> Chart | None:
    shown = [r for r in records if "cost" in r]
    if not shown:
        return None
    frame = pd.DataFrame(shown)[["unit", "cost"]]
    frame["cost"] = frame["cost"].astype(float)
    chart = (
        alt.Chart(frame)
        .mark_bar(color=BLUE)
        .encode(
            y=alt.Y("unit:N", title="Unit", sort=None),
            x=alt.X(
                "cost:Q", title=f"Replacement cost of the last 12 months' leavers ({currency})"
            ),
            tooltip=[
                alt.Tooltip("unit:N", title="Unit"),
                alt.Tooltip("cost:Q", title="Cost", format=",.0f"),
            ],
        )
    )
    return to_chart(
        chart.properties(height=max(90, 28 * len(frame))),
        id="turnover-cost-chart",
        title="What this year's turnover cost, by unit",
        description="Replacement cost of the leavers of the last 12 months: "
        + "; ".join(f"{r.unit} {currency} {r.cost:,.0f}" for r in frame.itertuples())
        + ".",
    )
