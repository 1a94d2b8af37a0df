"""Charts of recognition (Altair specs drawn by the bundled vega-embed; no CDN)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from servicechain.charts import Chart, to_chart


def gini_by_month(spread) -> Chart | None:
    """Gini coefficient of kudos received per person, month by month, for each unit shown
    (withheld cells are left out: a gap, never a value)."""
    table = spread.table[~spread.table["suppressed"]].dropna(subset=["gini"])
    if table.empty:
        return None
    frame = pd.DataFrame(
        {
            "Unit": table["unit_name"],
            "Month": [m.strftime("%Y-%m") for m in table["month"]],
            "Gini": table["gini"].astype(float).round(2),
            "Top 10 % share": (100 * table["top_share"].astype(float)).round(0),
        }
    )
    chart = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("Month:O", title="Month"),
            y=alt.Y(
                "Gini:Q",
                title="Gini (0 = even, 1 = one person gets all)",
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color("Unit:N", title="Unit"),
            tooltip=[
                "Unit",
                "Month",
                "Gini",
                alt.Tooltip("Top 10 % share", title="Top 10 % share (%)"),
            ],
        )
        .properties(height=260)
    )
    # Only closed months are published (recognition_spread): the last is the latest.
    focus = table[table["unit"] == spread.focus.pk]
    latest = focus.iloc[-1] if len(focus) else None
    summary = "The unit's own figures for last month are withheld."
    if latest is not None:
        summary = (
            f"In {latest['month']:%B %Y} the Gini of {spread.focus.name} was {latest['gini']:.2f}"
        )
        if pd.notna(latest["top_share"]):
            summary += f" and the top 10 % of people received {100 * latest['top_share']:.0f} % of its kudos"
        summary += "."
    return to_chart(
        chart,
        id="gini-chart",
        title="How evenly kudos are spread, by month",
        description=f"Line chart of the Gini coefficient of kudos received per person by month "
        f"for {spread.focus.name} and the units below it. {summary}",
    )
