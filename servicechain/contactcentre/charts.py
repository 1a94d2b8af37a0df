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
    level_layer = _service_level_layer(levels, x, target, title="Projected service level")
    chart = alt.layer(agent_lines, level_layer).resolve_scale(y="independent")
    return to_chart(
        chart.properties(height=260),
        id=id,
        title=title or "Agents and projected service level per interval",
        description=_describe_day(frame, target),
    )


def _service_level_layer(levels: pd.DataFrame, x, target: float, *, title: str) -> alt.LayerChart:
    """A service-level line (0-100 %, right axis) with the target as a dashed rule."""
    level_axis = alt.Y(
        "service_level:Q",
        title=title,
        scale=alt.Scale(domain=[0, 1]),
        axis=alt.Axis(format="%", orient="right"),
    )
    level_line = (
        alt.Chart(levels)
        .mark_line(color="#1e6b3a", point=alt.OverlayMarkDef(size=18))
        .encode(
            x=x,
            y=level_axis,
            tooltip=[
                alt.Tooltip("clock:O", title="Interval"),
                alt.Tooltip("service_level:Q", title=title, format=".0%"),
            ],
        )
    )
    target_rule = (
        alt.Chart(pd.DataFrame({"service_level": [target]}))
        .mark_rule(color="#a4262c", strokeDash=[6, 4])
        .encode(y=level_axis)
    )
    return alt.layer(level_line, target_rule)


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
            f"interval{'' if len(below) == 1 else 's'}, lowest "
            f"{_percent(weakest['projected_service_level'])} at "
            f"{weakest['clock']}."
        )
    return " ".join(parts)


def forecast_chart(days: pd.DataFrame, *, id: str = "forecast-chart") -> Chart:
    """Forecast calls and required agents per interval over the forecast's days."""
    frame = days.assign(
        when=lambda f: f["interval_start"].dt.strftime("%a %-d %b %H:%M"),
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


def _series_scale(names: list[str], colours: list[str]) -> alt.Scale:
    return alt.Scale(domain=names, range=colours)


def daily_volume_chart(
    history: pd.DataFrame, forecast: pd.DataFrame | None = None, *, id: str = "volume-chart"
) -> Chart:
    """Calls per day over the stored history, and the forecast's days where there is one."""
    parts = [history.assign(series="Calls that came")]
    if forecast is not None and len(forecast):
        parts.append(forecast.assign(series="Forecast"))
    frame = pd.concat([p[["day", "calls", "series"]] for p in parts], ignore_index=True)
    frame["day"] = pd.to_datetime(frame["day"]).dt.strftime("%Y-%m-%d")
    names = ["Calls that came", "Forecast"]
    chart = (
        alt.Chart(frame)
        .mark_line(strokeWidth=1.5)
        .encode(
            x=alt.X("day:T", title="Day", axis=alt.Axis(format="%d %b %Y", labelAngle=0)),
            y=alt.Y("calls:Q", title="Calls per day"),
            color=alt.Color(
                "series:N",
                title=None,
                scale=_series_scale(names, ["#2f6f8f", "#8a4b00"]),
                legend=alt.Legend(orient="top"),
            ),
            strokeDash=alt.StrokeDash(
                "series:N", scale=_series_scale(names, [[1, 0], [6, 3]]), legend=None
            ),
            tooltip=[
                alt.Tooltip("day:T", title="Day", format="%a %d %b %Y"),
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("calls:Q", title="Calls", format=",.0f"),
            ],
        )
        .properties(height=240)
    )
    return to_chart(
        chart,
        id=id,
        title="Calls per day",
        description=_describe_daily(history, forecast),
    )


def _day_text(value) -> str:
    return pd.Timestamp(value).strftime("%a %-d %b %Y")


def _describe_daily(history: pd.DataFrame, forecast: pd.DataFrame | None) -> str:
    if history.empty:
        return "No calls are stored yet."
    busiest = history.loc[history["calls"].idxmax()]
    parts = [
        f"{len(history)} days from {_day_text(history['day'].iloc[0])} to "
        f"{_day_text(history['day'].iloc[-1])}: on average {history['calls'].mean():,.0f} "
        f"calls a day; the busiest day was {_day_text(busiest['day'])} with "
        f"{busiest['calls']:,.0f} calls."
    ]
    if forecast is not None and len(forecast):
        parts.append(
            f"The forecast expects {forecast['calls'].sum():,.0f} calls over {len(forecast)} "
            f"days from {_day_text(forecast['day'].iloc[0])}, "
            f"{forecast['calls'].mean():,.0f} a day."
        )
    return " ".join(parts)


def interval_profile_chart(
    recent: pd.DataFrame,
    forecast: pd.DataFrame | None = None,
    *,
    days: int = 28,
    id: str = "profile-chart",
) -> Chart:
    """The average day: calls per interval over the last ``days`` days, and the forecast's."""
    recent_name = f"Average of the last {days} days"
    parts = [recent.assign(series=recent_name)]
    if forecast is not None and len(forecast):
        parts.append(forecast.assign(series="Forecast"))
    frame = pd.concat([p[["clock", "calls", "series"]] for p in parts], ignore_index=True)
    names = [recent_name, "Forecast"]
    chart = (
        alt.Chart(frame)
        .mark_line(interpolate="step-after", strokeWidth=2)
        .encode(
            x=alt.X("clock:O", title="Interval start", axis=alt.Axis(labelAngle=-60)),
            y=alt.Y("calls:Q", title="Calls per interval"),
            color=alt.Color(
                "series:N",
                title=None,
                scale=_series_scale(names, ["#2f6f8f", "#8a4b00"]),
                legend=alt.Legend(orient="top"),
            ),
            strokeDash=alt.StrokeDash(
                "series:N", scale=_series_scale(names, [[1, 0], [6, 3]]), legend=None
            ),
            tooltip=[
                alt.Tooltip("clock:O", title="Interval"),
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("calls:Q", title="Calls", format=".1f"),
            ],
        )
        .properties(height=240)
    )
    if recent.empty:
        description = "No calls are stored for the last weeks."
    else:
        peak = recent.loc[recent["calls"].idxmax()]
        description = (
            f"Over the last {days} days an interval had on average "
            f"{recent['calls'].mean():.1f} calls, most at {peak['clock']} "
            f"({peak['calls']:.1f})."
        )
        if forecast is not None and len(forecast):
            top = forecast.loc[forecast["calls"].idxmax()]
            description += (
                f" The forecast's average day peaks at {top['clock']} with {top['calls']:.1f}."
            )
    return to_chart(
        chart, id=id, title="Calls per interval on an average day", description=description
    )


def intraday_chart(rows: list[dict], *, target: float, id: str = "intraday-chart") -> Chart:
    """Today per interval: calls planned, calls that came and calls now expected (left axis),
    and the service level now expected with the plan's agents (right axis) against target."""
    frame = pd.DataFrame(rows)
    calls = frame.melt(
        id_vars=["clock"],
        value_vars=["planned_calls", "actual_calls", "updated_calls"],
        var_name="series",
        value_name="calls",
    ).dropna(subset=["calls"])
    names = {
        "planned_calls": "Calls planned for",
        "actual_calls": "Calls that came",
        "updated_calls": "Calls now expected",
    }
    calls["series"] = calls["series"].map(names)
    x = alt.X("clock:O", title="Interval start", axis=alt.Axis(labelAngle=-60))
    call_lines = (
        alt.Chart(calls)
        .mark_line(interpolate="step-after", strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y("calls:Q", title="Calls per interval"),
            color=alt.Color(
                "series:N",
                title=None,
                scale=_series_scale(list(names.values()), ["#8795a1", "#2f6f8f", "#8a4b00"]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("clock:O", title="Interval"),
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("calls:Q", title="Calls", format=".1f"),
            ],
        )
    )
    levels = frame[["clock", "expected_service_level"]].assign(
        service_level=lambda f: f["expected_service_level"].clip(0, 1)
    )
    level_layer = _service_level_layer(levels, x, target, title="Service level now expected")
    chart = alt.layer(call_lines, level_layer).resolve_scale(y="independent")
    return to_chart(
        chart.properties(height=260),
        id=id,
        title="Today: calls and service level per interval",
        description=_describe_intraday(frame, target),
    )


def _describe_intraday(frame: pd.DataFrame, target: float) -> str:
    if frame.empty:
        return "No intervals."
    seen = frame.dropna(subset=["actual_calls"])
    parts = []
    if seen.empty:
        parts.append("No interval has closed yet today.")
    else:
        planned = seen["planned_calls"].sum()
        parts.append(
            f"{len(seen)} intervals closed: {seen['actual_calls'].sum():,.0f} calls came "
            f"against {planned:,.0f} planned for."
        )
    below = frame[frame["expected_service_level"] < target - 1e-12]
    if below.empty:
        parts.append(
            f"With the plan's agents, service level is expected at or above the "
            f"{_percent(target)} target in every interval."
        )
    else:
        weakest = frame.loc[frame["expected_service_level"].idxmin()]
        parts.append(
            f"With the plan's agents, service level is expected below the {_percent(target)} "
            f"target in {len(below)} of {len(frame)} intervals, lowest "
            f"{_percent(weakest['expected_service_level'])} at {weakest['clock']}."
        )
    return " ".join(parts)
