"""CSV exports of the tables on the insights pages: the same gated records, audited.

A withheld cell is exported empty, next to a column saying why, so a spreadsheet never
shows a withheld value and never looks as if a value were simply missing. Comments, plan
titles and unit names are written so that no cell can run as a formula (`CsvWriter`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpResponse
from django.utils.text import slugify

from servicechain.csv_export import CsvWriter

from . import services


def csv_response(scope, *, table: str, records: list[dict], parameters: dict) -> HttpResponse:
    """Records as a CSV download, with the export audited (who, which table, which filters)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = slugify(f"{scope.organization.slug}-{table}")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    columns: list[str] = []
    for record in records:
        columns.extend(k for k in record if k not in columns)
    writer = CsvWriter(response)
    writer.writerow(columns or ["empty"])
    for record in records:
        writer.writerow(record.get(column) for column in columns)
    services.export_record(scope=scope, table=table, rows=len(records), parameters=parameters)
    return response


def maybe_export(
    request, scope, tables: dict[str, Callable[[], list[dict]]]
) -> HttpResponse | None:
    """Answer `?format=csv&table=<name>` with that table's CSV; None for a normal page view."""
    if request.GET.get("format") != "csv":
        return None
    table = request.GET.get("table") or next(iter(tables), "")
    if table not in tables:
        raise Http404(f"No table {table!r} on this page; use one of: {', '.join(tables)}.")
    parameters = {k: v for k, v in request.GET.items() if k not in ("format", "table")}
    return csv_response(scope, table=table, records=tables[table](), parameters=parameters)
