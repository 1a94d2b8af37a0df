"""Charts of the programme dashboard: members per tier, liability and repeat rate by month."""

from __future__ import annotations

import altair as alt
import pandas as pd

from servicechain.charts import Chart, bar_chart, to_chart


def tiers_chart(tiers: dict[str, int | None], min_n: int) -> Chart:
    """Members per tier; a tier the anonymity gate withheld (None) has no bar."""
    shown = {name: count for name, count in tiers.items() if count is not None}
    frame = pd.DataFrame(
        {
            "tier": pd.Series(list(shown), dtype="object"),
            "members": pd.Series(list(shown.values()), dtype="int64"),
        }
    )
    parts = ", ".join(
        f"{name} {count:,}" if count is not None else f"{name} withheld (fewer than {min_n})"
        for name, count in tiers.items()
    )
    return bar_chart(
        frame,
        x="tier",
        y="members",
        x_title="Tier",
        y_title="Members",
        id="tiers-chart",
        title="Members per tier",
        description=f"Members per tier: {parts or 'no members yet'}.",
    )


def liability_chart(rows: list[dict], currency: str) -> Chart:
    frame = pd.DataFrame(
        {
            "month": [r["month"].strftime("%Y-%m") for r in rows],
            "liability": [float(r["liability"]) for r in rows],
        }
    )
    last = rows[-1] if rows else None
    text = (
        f"Points liability at the end of each month; {last['month']:%B %Y}: "
        f"{last['liability']:,.2f} {currency}."
        if last
        else "No points issued yet."
    )
    chart = (
        alt.Chart(frame)
        .mark_line(point=True, color="#2f6f8f")
        .encode(
            x=alt.X("month:O", title="Month", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("liability:Q", title=f"Liability ({currency})"),
            tooltip=[
                alt.Tooltip("month:O", title="Month"),
                alt.Tooltip("liability:Q", title="Liability", format=",.2f"),
            ],
        )
    )
    return to_chart(chart, id="liability-chart", title="Points liability", description=text)


def repeat_rate_chart(frame: pd.DataFrame) -> Chart:
    """The gated months (`selectors.repeat_rate_by_month`); a withheld month has no point."""
    frame = frame[~frame["suppressed"].astype(bool)] if "suppressed" in frame else frame
    frame = frame.astype({"month": "object", "repeat_rate": "float64"})
    frame = frame.assign(percent=100 * frame["repeat_rate"])
    last = frame.iloc[-1] if len(frame) else None
    text = (
        f"Share of each finished month's previous buyers who bought again; {last['month']}: "
        f"{last['percent']:.0f}%."
        if last is not None
        else "Not enough purchases yet."
    )
    chart = (
        alt.Chart(frame)
        .mark_line(point=True, color="#8f5f2f")
        .encode(
            x=alt.X("month:O", title="Month", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("percent:Q", title="Repeat-customer rate (%)"),
            tooltip=[
                alt.Tooltip("month:O", title="Month"),
                alt.Tooltip("percent:Q", title="Repeat rate (%)", format=".1f"),
            ],
        )
    )
    return to_chart(chart, id="repeat-chart", title="Repeat-customer rate", description=text)
