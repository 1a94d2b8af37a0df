"""Charts: Altair specs rendered in the browser by the vega-embed bundle of vl-convert.

Every chart carries a title, labelled axes and a text alternative (`description`), so a
screen reader announces what the chart shows and the numbers stay available as a table.
No CDN: the browser loads the bundle from our own `/assets/vega-embed.js`.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import altair as alt
import pandas as pd
from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    spec: dict

    @property
    def spec_json(self) -> str:
        return json.dumps(self.spec, default=str)


def to_chart(chart: alt.TopLevelMixin, *, id: str, title: str, description: str) -> Chart:
    # Schema validation is the costliest step of a page with charts; our specs are built by
    # code and validated in debug and in the test suite, so production skips it.
    validate = settings.DEBUG or getattr(settings, "TESTING", False)
    spec = chart.properties(title=title, description=description).to_dict(validate=validate)
    spec.setdefault("config", {})["view"] = {"stroke": None}
    # The description is the chart's text alternative (Vega puts it on the SVG); the marks'
    # own ARIA nodes are hidden: unnamed "graphics-symbol" groups only add noise, and a
    # chart with no marks would otherwise leave image roles without a name.
    spec["config"]["aria"] = False  # guides
    spec["config"].setdefault("mark", {})["aria"] = False  # marks of every type
    spec["width"] = spec.get("width", "container")
    return Chart(id=id, title=title, description=description, spec=spec)


def bar_chart(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    x_title: str,
    y_title: str,
    id: str,
    title: str,
    description: str,
    horizontal: bool = True,
) -> Chart:
    if horizontal:
        encoding = {
            "y": alt.Y(f"{x}:N", title=x_title, sort=None),
            "x": alt.X(f"{y}:Q", title=y_title),
        }
    else:
        encoding = {
            "x": alt.X(f"{x}:N", title=x_title, sort=None),
            "y": alt.Y(f"{y}:Q", title=y_title),
        }
    chart = (
        alt.Chart(frame)
        .mark_bar(color="#2f6f8f")
        .encode(**encoding, tooltip=[alt.Tooltip(x, title=x_title), alt.Tooltip(y, title=y_title)])
    )
    return to_chart(chart, id=id, title=title, description=description)


@functools.lru_cache(maxsize=1)
def _vega_bundle() -> bytes:
    import vl_convert

    return vl_convert.javascript_bundle().encode()


@require_GET
@cache_control(max_age=86400, public=True)
def vega_bundle(request) -> HttpResponse:
    return HttpResponse(_vega_bundle(), content_type="text/javascript; charset=utf-8")
