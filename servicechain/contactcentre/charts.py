"""Charts of the contact centre: the service-level curve of a day and a forecast."""

from __future__ import annotations

import altair as alt
import pandas as pd

from servicechain.charts import Chart, to_chart


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def service_level_chart(
    coverage: list[dict], *, target: float, id: str = "service-level-chart", title: str = ""
) -> Chart:
    """Required vs scheduled agents per interval and the projected service level with target.

    Agents on the left axis, service level (0–100 %) on the right; the dashed rule is the
    target. The description states the peak, the shortfalls and the weakest interval.
    """
    frame = pd.DataFrame(coverage)
    agents = frame.melt(
        id_vars=["clock"],
        value_vars=["required", "scheduled"],
        var_name="series",
        value_name="agents",
    )
    agents["series"] = agents["series"].map(
        {"required": "Required agents", "scheduled": "Scheduled on the phone"}
    )
    levels = frame[["clock", "projected_service_level"]].assign(
        service_level=lambda f: f["projected_service_level"].clip(0, 1)
    )
    x = alt.X("clock:O", title="Interval start", axis=alt.Axis(labelAngle=-60))
    agent_lines = (
        alt.Chart(agents)
        .mark_line(interpolate="step-after", strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y("agents:Q", title="Agents"),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(range=["#8a4b00", "#2f6f8f"]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("clock:O", title="Interval"),
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("agents:Q", title="Agents"),
            ],
        )
    )
    level_axis = alt.Y(
        "service_level:Q",
        title="Projected service level",
        scale=alt.Scale(domain=[0, 1]),
        axis=alt.Axis(format="%", orient="right"),
    )
    level_line = (
        alt.Chart(levels)
        .mark_line(color="#1e6b3a", strokeDash=[1, 0], point=alt.OverlayMarkDef(size=18))
        .encode(
            x=x,
            y=level_axis,
            tooltip=[
                alt.Tooltip("clock:O", title="Interval"),
                alt.Tooltip("service_level:Q", title="Projected service level", format=".0%"),
            ],
        )
    )
    target_rule = (
        alt.Chart(pd.DataFrame({"service_level": [target]}))
        .mark_rule(color="#a4262c", strokeDash=[6, 4])
        .encode(y=level_axis)
    )
    chart = alt.layer(agent_lines, alt.layer(level_line, target_rule)).resolve_scale(
        y="independent"
    )
    return to_chart(
        chart.properties(height=260),
        id=id,
        title=title or "Agents and projected service level per interval",
        description=_describe_day(frame, target),
    )


def _describe_day(frame: pd.DataFrame, target: float) -> str:
    if frame.empty:
        return "No intervals."
    peak = frame.loc[frame["required"].idxmax()]
    short = frame[frame["scheduled"] < frame["required"]]
    below = frame[frame["projected_service_level"] < target]
    weakest = frame.loc[frame["projected_service_level"].idxmin()]
    parts = [
        f"From {frame['clock'].iloc[0]}, {len(frame)} intervals.",
        f"Required agents peak at {int(peak['required'])} at {peak['clock']}.",
        f"Scheduled agents meet the requirement in {len(frame) - len(short)} of {len(frame)} "
        "intervals.",
    ]
    if below.empty:
        parts.append(f"Projected service level stays at or above the {_percent(target)} target.")
    else:
        parts.append(
            f"Projected service level is below the {_percent(target)} target in {len(below)} "
            f"interval(s), lowest {_percent(weakest['projected_service_level'])} at "
            f"{weakest['clock']}."
        )
    return " ".join(parts)


def forecast_chart(days: pd.DataFrame, *, id: str = "forecast-chart") -> Chart:
    """Forecast calls and required agents per interval over the forecast's days."""
    frame = days.assign(
        when=lambda f: f["interval_start"].dt.strftime("%a %d %H:%M"),
    )
    x = alt.X("when:O", title="Interval", sort=None, axis=alt.Axis(labels=False, ticks=False))
    calls = (
        alt.Chart(frame)
        .mark_area(color="#9cc3d5", opacity=0.7)
        .encode(
            x=x,
            y=alt.Y("calls:Q", title="Forecast calls per interval"),
            tooltip=[
                alt.Tooltip("when:O", title="Interval"),
                alt.Tooltip("calls:Q", title="Calls", format=".1f"),
                alt.Tooltip("aht_s:Q", title="AHT (s)", format=".0f"),
                alt.Tooltip("required_agents:Q", title="Required agents"),
            ],
        )
    )
    required = (
        alt.Chart(frame)
        .mark_line(color="#8a4b00", interpolate="step-after")
        .encode(
            x=x,
            y=alt.Y("required_agents:Q", title="Required agents", axis=alt.Axis(orient="right")),
        )
    )
    peak = frame.loc[frame["required_agents"].idxmax()] if len(frame) else None
    description = (
        f"{len(frame)} intervals; {frame['calls'].sum():,.0f} calls forecast in total; "
        f"required agents peak at {int(peak['required_agents'])} ({peak['when']})."
        if peak is not None
        else "No intervals."
    )
    chart = alt.layer(calls, required).resolve_scale(y="independent").properties(height=220)
    return to_chart(
        chart, id=id, title="Forecast calls and required agents", description=description
    )
