"""Altair charts of the insights pages, built with `servicechain.charts.to_chart`.

Every chart has a title, titled axes and a text alternative that states what the chart
shows in numbers; withheld cells are drawn as withheld (grey, "fewer than N"), never left
blank, and never with a value.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from servicechain.charts import Chart, to_chart

DIVERGING = ["#a4262c", "#e8a3a0", "#f2f2f2", "#9cc9a9", "#1e6b3a"]
WITHHELD = "#d0d5da"


def heatmap_chart(heatmap) -> Chart:
    rows = []
    for row in heatmap.rows:
        for (_, name), cell in zip(heatmap.columns, row.cells, strict=True):
            rows.append(
                {
                    "unit": row.unit.name,
                    "scale": name,
                    "value": None if cell.suppressed else round(cell.value, 1),
                    "diff": cell.diff if cell.diff is not None else 0.0,
                    "label": _withheld_label(cell, heatmap.min_n)
                    if cell.suppressed
                    else f"{cell.value:.0f}",
                    "status": "withheld" if cell.suppressed else "shown",
                    "n": cell.n,
                }
            )
    frame = pd.DataFrame(rows)
    units = [r.unit.name for r in heatmap.rows]
    scales = [name for _, name in heatmap.columns]
    # Layers share the top-level data (per-layer data makes Altair hash each copy: slow).
    base = alt.Chart().encode(
        x=alt.X("scale:N", title="Scale", sort=scales, axis=alt.Axis(labelAngle=-40)),
        y=alt.Y("unit:N", title="Unit", sort=units),
    )
    shown = (
        base.transform_filter(alt.datum.status == "shown")
        .mark_rect()
        .encode(
            color=alt.Color(
                "diff:Q",
                title=f"Difference from {heatmap.focus.name}",
                scale=alt.Scale(domain=[-10, 10], range=DIVERGING, clamp=True),
            ),
            tooltip=[
                alt.Tooltip("unit:N", title="Unit"),
                alt.Tooltip("scale:N", title="Scale"),
                alt.Tooltip("value:Q", title="Score"),
                alt.Tooltip("n:Q", title="Responses"),
            ],
        )
    )
    withheld = base.transform_filter(alt.datum.status == "withheld").mark_rect(color=WITHHELD)
    text = base.mark_text(fontSize=11).encode(text="label:N")
    n_withheld = int((frame["status"] == "withheld").sum()) if len(frame) else 0
    return to_chart(
        alt.layer(shown, withheld, text, data=frame).properties(height=max(120, 28 * len(units))),
        id="heatmap-chart",
        title=f"{heatmap.wave.name}: scores by unit",
        description=(
            f"Heatmap of {len(scales)} scales for {len(units)} units, coloured by the "
            f"difference from {heatmap.focus.name}; {n_withheld} cells are withheld: '<"
            f"{heatmap.min_n}' where fewer than {heatmap.min_n} answered, '—' where showing the "
            "cell would reveal a smaller group."
        ),
    )


def _withheld_label(cell, min_n: int) -> str:
    """As the table says it: "<5" for a group below the minimum, "—" for a group withheld to
    protect another (it has at least min_n answers; "<5" would be untrue)."""
    return "—" if cell.reason == "complementary" else f"<{min_n}"


def driver_scores_chart(summary: dict, title: str) -> Chart:
    rows = [
        {
            "driver": d["name"],
            "score": d["cell"].value,
            "lower": d["cell"].lower,
            "upper": d["cell"].upper,
        }
        for d in summary["drivers"]
        if not d["cell"].suppressed
    ]
    frame = pd.DataFrame(rows, columns=["driver", "score", "lower", "upper"])
    frame[["score", "lower", "upper"]] = frame[["score", "lower", "upper"]].astype(float)
    order = frame.sort_values("score", ascending=False)["driver"].tolist()
    y = alt.Y("driver:N", title="Driver", sort=order)
    bars = (
        alt.Chart()
        .mark_bar(color="#2f6f8f")
        .encode(
            y=y,
            x=alt.X("score:Q", title="Score (0-100)", scale=alt.Scale(domain=[0, 100])),
            tooltip=[
                alt.Tooltip("driver:N", title="Driver"),
                alt.Tooltip("score:Q", title="Score", format=".1f"),
                alt.Tooltip("lower:Q", title="95% CI from", format=".1f"),
                alt.Tooltip("upper:Q", title="95% CI to", format=".1f"),
            ],
        )
    )
    errors = alt.Chart().mark_rule(color="#1d2733").encode(y=y, x="lower:Q", x2="upper:Q")
    best = ", ".join(f"{r.driver} {r.score:.0f}" for r in frame.nlargest(3, "score").itertuples())
    return to_chart(
        alt.layer(bars, errors, data=frame).properties(height=max(120, 26 * len(frame))),
        id="driver-scores-chart",
        title=title,
        description=(
            f"Scores of {len(frame)} drivers on a 0-100 scale with 95% confidence intervals; "
            f"highest: {best or 'none shown'}."
        ),
    )


QUADRANTS = {
    (True, False): "Focus here",
    (True, True): "Strengths",
    (False, True): "Maintain",
    (False, False): "Monitor",
}


def quadrant_split(drivers: list[dict]) -> tuple[float, float]:
    """Where the quadrants divide: the drivers' average importance and average score."""
    return (
        sum(d["importance"] for d in drivers) / len(drivers),
        sum(d["score"] for d in drivers) / len(drivers),
    )


def quadrants_of(drivers: list[dict]) -> dict[str, str]:
    """Driver code -> "Focus here", "Strengths", "Maintain" or "Monitor" (scored drivers only)."""
    scored = [d for d in drivers if d["score"] is not None]
    if not scored:
        return {}
    mean_x, mean_y = quadrant_split(scored)
    return {d["code"]: QUADRANTS[(d["importance"] >= mean_x, d["score"] >= mean_y)] for d in scored}


def quadrant_chart(section: dict, *, id: str, title: str) -> Chart:
    """Importance (x, with bootstrap CI) against score (y), split at the means."""
    scored = [d for d in section["drivers"] if d["score"] is not None]
    frame = pd.DataFrame(scored)
    mean_x, mean_y = quadrant_split(scored)
    frame["quadrant"] = frame["code"].map(quadrants_of(scored))
    x = alt.X(
        "importance:Q",
        title=f"Importance (% of the variance in {section['outcome_name']} it goes with)",
    )
    y = alt.Y("score:Q", title="Score (0-100)", scale=alt.Scale(zero=False))
    color = alt.Color(
        "quadrant:N",
        title="Quadrant",
        scale=alt.Scale(
            domain=["Focus here", "Strengths", "Maintain", "Monitor"],
            range=["#a4262c", "#1e6b3a", "#2f6f8f", "#8795a1"],
        ),
    )
    points = (
        alt.Chart()
        .mark_point(filled=True, size=90)
        .encode(
            x=x,
            y=y,
            color=color,
            tooltip=[
                alt.Tooltip("name:N", title="Driver"),
                alt.Tooltip("importance:Q", title="Importance", format=".1f"),
                alt.Tooltip("lower:Q", title="95% CI from", format=".1f"),
                alt.Tooltip("upper:Q", title="95% CI to", format=".1f"),
                alt.Tooltip("score:Q", title="Score", format=".1f"),
                alt.Tooltip("quadrant:N", title="Quadrant"),
            ],
        )
    )
    errors = alt.Chart().mark_rule(opacity=0.6).encode(x="lower:Q", x2="upper:Q", y=y, color=color)
    labels = (
        alt.Chart()
        .mark_text(align="left", dx=7, dy=-7, fontSize=11)
        .encode(x=x, y=y, text="name:N")
    )
    # The quadrant dividers: constant rules, no data of their own.
    vertical = alt.Chart().mark_rule(strokeDash=[4, 4]).encode(x=alt.datum(mean_x))
    horizontal = alt.Chart().mark_rule(strokeDash=[4, 4]).encode(y=alt.datum(mean_y))
    focus = frame[frame["quadrant"] == "Focus here"].sort_values("importance", ascending=False)
    strengths = frame[frame["quadrant"] == "Strengths"].sort_values("importance", ascending=False)
    return to_chart(
        alt.layer(errors, points, labels, vertical, horizontal, data=frame).properties(height=380),
        id=id,
        title=title,
        description=(
            f"{len(frame)} drivers by importance for {section['outcome_name']} (x: the share "
            f"of its variance each goes with, with 95% bootstrap intervals) and score (y). "
            f"Focus here (important, below-average score): "
            f"{', '.join(focus['name']) or 'none'}. Strengths: {', '.join(strengths['name']) or 'none'}."
        ),
    )


def trend_chart(
    points: list[dict], *, id: str, title: str, y_title: str, description: str
) -> Chart:
    """Monthly lines, one per unit, the first unit's with its 95% interval band; withheld
    months are absent points, never zeros."""
    frame = pd.DataFrame(points, columns=["month", "series", "value", "lower", "upper", "n"])
    x = alt.X("month:T", title="Month", axis=alt.Axis(format="%b %Y"))
    color = alt.Color("series:N", title="Unit", sort=list(dict.fromkeys(frame["series"])))
    first = frame["series"].iloc[0] if len(frame) else ""
    band = (
        alt.Chart()
        .transform_filter(alt.datum.series == first)
        .mark_area(opacity=0.15)
        .encode(x=x, y="lower:Q", y2="upper:Q", color=color)
    )
    line = (
        alt.Chart()
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
            color=color,
            tooltip=[
                alt.Tooltip("series:N", title="Unit"),
                alt.Tooltip("month:T", title="Month", format="%b %Y"),
                alt.Tooltip("value:Q", title=y_title, format=".1f"),
                alt.Tooltip("n:Q", title="Responses"),
            ],
        )
    )
    return to_chart(
        alt.layer(band, line, data=frame).properties(height=240),
        id=id,
        title=title,
        description=description,
    )


def linkage_chart(pairs: list[dict], fit: dict | None) -> Chart:
    frame = pd.DataFrame(pairs, columns=["unit_name", "month", "ex", "cx"])
    x = alt.X(
        "ex:Q", title="Engagement index in the survey month (0-100)", scale=alt.Scale(zero=False)
    )
    y = alt.Y(
        "cx:Q",
        title="Customer satisfaction index the month after (0-100)",
        scale=alt.Scale(zero=False),
    )
    points = (
        alt.Chart(frame)
        .mark_circle(size=45, opacity=0.7, color="#2f6f8f")
        .encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("unit_name:N", title="Unit"),
                alt.Tooltip("month:N", title="Survey month"),
                alt.Tooltip("ex:Q", title="Engagement", format=".1f"),
                alt.Tooltip("cx:Q", title="Customer satisfaction", format=".1f"),
            ],
        )
    )
    layers = [points]
    slope_text = "no fitted chain (not enough linked data)"
    if fit:
        line = pd.DataFrame(
            {
                "ex": [fit["ex_min"], fit["ex_max"]],
                "cx": [
                    fit["cx_mean"] + fit["slope"] * (fit["ex_min"] - fit["ex_mean"]),
                    fit["cx_mean"] + fit["slope"] * (fit["ex_max"] - fit["ex_mean"]),
                ],
            }
        )
        layers.append(alt.Chart(line).mark_line(color="#a4262c", strokeWidth=2).encode(x=x, y=y))
        slope_text = (
            f"the fitted chain (red) rises {fit['slope']:.2f} points of customer satisfaction "
            "per point of engagement within units"
        )
    return to_chart(
        alt.layer(*layers).properties(height=360),
        id="linkage-chart",
        title="Engagement and next-month customer satisfaction, by unit",
        description=f"{len(frame)} unit-survey points; {slope_text}.",
    )


CUSTOMER_TRENDS = (
    ("csat", "CSAT (% satisfied)"),
    ("nps", "NPS"),
    ("effort", "Effort (1-7, lower is easier)"),
)


def customer_charts(page: dict, focus) -> dict[str, Chart]:
    """Monthly CSAT, NPS and effort of the focus unit, each with its 95% interval band."""
    out = {}
    for code, label in CUSTOMER_TRENDS:
        points = page["trends"].get(code, [])
        own = [p for p in points if p["series"] == focus.name]
        if not own:
            continue
        latest = own[-1]
        out[code] = trend_chart(
            points,
            id=f"trend-{code}",
            title=f"{label} by month, {focus.name}",
            y_title=label,
            description=(
                f"{label} by month of {focus.name} and the units below it, months with enough "
                f"responses only; {focus.name} in {len(own)} months, "
                f"latest {latest['month'][:7]}: {latest['value']:.1f} "
                f"(95% CI {latest['lower']:.1f} to {latest['upper']:.1f}, n = {latest['n']})."
            ),
        )
    return out
