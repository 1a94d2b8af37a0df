"""Benchmark: the engagement heatmap of a synthetic organisation on PostgreSQL.

    python benchmarks/heatmap.py [--quick | --size small|large|xlarge] [--reload] [--repeat N]

The organisation is loaded once into its own database, `bench_<size>` on the server of
DATABASE_URL (default postgres://app:app@127.0.0.1:5432/app), with COPY, and kept: later runs
reuse it (`--reload` starts afresh). Sizes:
* `large` (the default): 3,000 units, ~64,000 employees, ~280,000 employee survey responses
  in 8 waves, ~1.2 M customer responses, 4.7 M interactions, 3.4 M purchases;
* `small` (`--quick`): 20 units, for developing;
* `xlarge`: 10,000 units, ~1.3 M employees, one census wave of ~1,000,000 responses (the
  simulator's preset; its customer side is thinned). Responses are turned into JSON and
  copied RESPONSE_CHUNK rows at a time, so the loader's memory is the simulation's (~3 GB).
The latest two waves' gated results are published as the app does when a wave closes (that
time is reported too, but is not what is measured).

Measured, each `--repeat` times, for the HR analyst (whole organisation) and for a manager of
the unit whose subtree is nearest 500 units (the login `bench-manager`, made by the loader):
* the heatmap selector — the freshness check of the wave's stored cells plus
  `selectors.heatmap` for the person's default focus and its children;
* the engagement page — `GET /o/<org>/insights/` through Django's test client (middleware,
  sessions, the publish-due check and freshness checks of both waves, heatmap, headline,
  drivers, plan effects, charts, template);
* the same page with one heatmap row opened (`?unit=<the child with the largest subtree>`).

And, as the yardstick, in the same run:
* the raw aggregate — the one SQL statement that computes what the heatmap shows from the
  wave's responses (respondents and the mean of every numeric answer, per item, for the
  focus unit's subtree and each child's subtree: a GROUP BY over the answers' JSONB);
  `ratio_to_query` = the HR page's p50 ÷ this query's p50 (below 1: publishing the results
  when the wave closed makes the page cheaper than one pass over the answers). It runs
  `--query-repeat` times (default `--repeat`; 3 for xlarge, where one run takes seconds);
* the stored-cell read — the page's own necessary query (the published cells of the rows
  shown), the floor under any page: `cells_query_p50_ms`.

Peak memory: `peak_mb` is the process's ru_maxrss at the end — it includes the loader and
publishing when they ran in this run (the table also gives the high-water mark of the
measuring alone).

Prints a table; the last line is {"responses", "units", "heatmap_p50_ms", "page_p50_ms",
"publish_seconds", "query_p50_ms", "cells_query_p50_ms", "ratio_to_query", "size",
"xlarge_page_p50_ms", "worst_page_p50_ms", "peak_mb", "load_seconds"}: `page_p50_ms` and
`heatmap_p50_ms` are the HR analyst's, as before; `worst_page_p50_ms` is the worst p50 of the
four pages (two per person), and `xlarge_page_p50_ms` the same for `--size xlarge` (null for
other sizes); `load_seconds` is null when the database was reused.
Goal: every page's p50 < 300 ms.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://app:app@127.0.0.1:5432/app"
SLUG = "bench"
HR_USERNAME = "bench-hr"
MANAGER_USERNAME = "bench-manager"
#: The manager's unit: the one (below the root) whose subtree is nearest this many units.
MANAGER_SUBTREE = 500
#: Employee responses turned into JSON and copied at a time (bounds the loader's memory).
RESPONSE_CHUNK = 100_000


def database_url(base: str, name: str) -> str:
    parsed = urlparse(base)
    return urlunparse(parsed._replace(path=f"/{name}"))


def ensure_database(base: str, name: str, *, fresh: bool, template: str | None = None) -> bool:
    """Create (or, with `fresh`, recreate) the benchmark's own database — as a copy of
    `template` (`CREATE DATABASE … TEMPLATE`) when that one exists and nobody is connected to
    it. Returns whether the database was created empty (its data must still be loaded)."""
    import psycopg

    with psycopg.connect(base.replace("postgres://", "postgresql://"), autocommit=True) as conn:

        def found(query: str, database: str):
            return conn.execute(query, (database,)).fetchone()[0]

        exists = found("SELECT count(*) FROM pg_database WHERE datname = %s", name)
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = False
        if exists:
            return False
        if (
            template
            and found("SELECT count(*) FROM pg_database WHERE datname = %s", template)
            and not found("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", template)
        ):
            started = time.perf_counter()
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            print(f"  copied {template} in {time.perf_counter() - started:.0f} s", flush=True)
            return False
        conn.execute(f'CREATE DATABASE "{name}"')
        return True


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SERVICECHAIN_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["SERVICECHAIN_HTTPS"] = "0"
    os.environ["SERVICECHAIN_ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ.setdefault("SERVICECHAIN_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "servicechain.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# ----------------------------------------------------------------------------- loading


def copy_frame(table: str, frame) -> None:
    """COPY a DataFrame (columns named like the table's) in CSV chunks.

    An empty unquoted field is NULL, except in text columns with no missing value, where
    it is the empty string (FORCE_NOT_NULL).
    """
    from django.db import connection

    columns = ", ".join(frame.columns)
    text = [c for c in frame.columns if frame[c].dtype == object and frame[c].notna().all()]
    force = f", FORCE_NOT_NULL ({', '.join(text)})" if text else ""
    statement = f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv{force})"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for start in range(0, len(frame), 200_000):
            buffer = io.StringIO()
            frame.iloc[start : start + 200_000].to_csv(buffer, index=False, header=False)
            copy.write(buffer.getvalue())


def reset_sequence(table: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
        )


def next_id(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
        return cursor.fetchone()[0]


def answers_json(frame, codes: list[str], comment_code: str | None) -> list[str]:
    import numpy as np

    present = [c for c in codes if c in frame.columns]
    values = frame[present].to_numpy(dtype=float, na_value=np.nan)
    comments = frame["comment"].tolist()
    out = []
    for row, comment in zip(values, comments, strict=True):
        answers = {c: int(v) for c, v in zip(present, row, strict=True) if v == v}
        if comment_code and isinstance(comment, str) and comment.strip():
            answers[comment_code] = comment
        out.append(json.dumps(answers))
    return out


def load(size: str, progress) -> dict[str, float]:
    """Simulate the organisation and COPY it in (ids assigned here, paths computed here)."""
    import numpy as np
    import pandas as pd
    from django.db import transaction

    from servicechain.org import services as org_services
    from servicechain.org.models import encode_segment
    from servicechain.simulate import simulate_organisation
    from servicechain.surveys import services as survey_services
    from servicechain.surveys.bank import load_bank
    from servicechain.surveys.models import Wave

    started = time.perf_counter()
    stages = {}
    synthetic = simulate_organisation(size=size, seed=7)
    stages["simulate"] = time.perf_counter() - started
    progress(f"simulated {synthetic!r} in {stages['simulate']:.0f} s")
    bank = load_bank()
    with transaction.atomic():
        organization = org_services.organization_create(slug=SLUG, name=f"Benchmark ({size})")
        org_id = organization.pk

        units = synthetic.units.copy()
        units["id"] = np.arange(next_id("org_unit"), next_id("org_unit") + len(units))
        unit_id = dict(zip(units["external_id"], units["id"], strict=True))
        units["parent_id"] = units["parent_external_id"].map(unit_id).astype("Int64")
        paths, depths = {}, {}
        for row in units.itertuples():  # parents come before children
            parent = unit_id.get(row.parent_external_id)
            paths[row.id] = (paths[parent] if parent else "") + encode_segment(int(row.id))
            depths[row.id] = depths[parent] + 1 if parent else 0
        units["path"] = units["id"].map(paths)
        units["depth"] = units["id"].map(depths)
        units["organization_id"] = org_id
        copy_frame(
            "org_unit",
            units[
                [
                    "id",
                    "organization_id",
                    "external_id",
                    "name",
                    "kind",
                    "parent_id",
                    "path",
                    "depth",
                ]
            ],
        )

        employees = synthetic.employees.copy()
        employees["id"] = np.arange(
            next_id("org_employee"), next_id("org_employee") + len(employees)
        )
        employee_id = dict(zip(employees["external_id"], employees["id"], strict=True))
        employees["unit_id"] = employees["unit_external_id"].map(unit_id)
        employees["organization_id"] = org_id
        employees["hire_date"] = employees["hire_date"].dt.date
        employees["leave_date"] = employees["leave_date"].dt.date
        employees["user_id"] = None
        # Blank (not NULL) when the person has not left: the columns are NOT NULL CharFields.
        employees["leave_type"] = employees["leave_type"].fillna("")
        employees["leave_reason"] = employees["leave_reason"].fillna("")
        copy_frame(
            "org_employee",
            employees[
                [
                    "id",
                    "organization_id",
                    "external_id",
                    "unit_id",
                    "first_name",
                    "last_name",
                    "email",
                    "job_title",
                    "job_family",
                    "is_manager",
                    "hire_date",
                    "leave_date",
                    "leave_type",
                    "leave_reason",
                    "regretted",
                    "user_id",
                ]
            ],
        )

        customers = synthetic.customers.copy()
        customers["id"] = np.arange(
            next_id("org_customer"), next_id("org_customer") + len(customers)
        )
        customer_id = dict(zip(customers["external_id"], customers["id"], strict=True))
        customers["owner_id"] = (
            customers["owner_employee_external_id"].map(employee_id).astype("Int64")
        )
        customers["organization_id"] = org_id
        copy_frame(
            "org_customer",
            customers[["id", "organization_id", "external_id", "name", "email", "owner_id"]],
        )

        interactions = synthetic.interactions
        frame = pd.DataFrame(
            {
                "id": np.arange(
                    next_id("org_interaction"), next_id("org_interaction") + len(interactions)
                ),
                "organization_id": org_id,
                "external_id": interactions["external_id"],
                "customer_id": interactions["customer_external_id"].map(customer_id),
                "employee_id": interactions["employee_external_id"]
                .map(employee_id)
                .astype("Int64"),
                "unit_id": interactions["unit_external_id"].map(unit_id),
                "channel": interactions["channel"],
                "started_at": interactions["started_at"],
                "duration_s": interactions["duration_s"],
                "service_code": "",  # blank (NOT NULL): the simulation records no services
            }
        )
        interaction_id = dict(zip(frame["external_id"], frame["id"], strict=True))
        interaction_unit = dict(zip(frame["id"], frame["unit_id"], strict=True))
        copy_frame("org_interaction", frame)
        del frame

        purchases = synthetic.transactions
        copy_frame(
            "org_transaction",
            pd.DataFrame(
                {
                    "id": np.arange(
                        next_id("org_transaction"), next_id("org_transaction") + len(purchases)
                    ),
                    "organization_id": org_id,
                    "external_id": purchases["external_id"],
                    "customer_id": purchases["customer_external_id"].map(customer_id),
                    "employee_id": purchases["employee_external_id"]
                    .map(employee_id)
                    .astype("Int64"),
                    "amount": purchases["amount"],
                    "occurred_at": purchases["occurred_at"],
                    "service_code": "",
                }
            ),
        )
        for table in (
            "org_unit",
            "org_employee",
            "org_customer",
            "org_interaction",
            "org_transaction",
        ):
            reset_sequence(table)
        stages["organisation"] = time.perf_counter() - started - stages["simulate"]
        progress(f"organisation copied in {time.perf_counter() - started:.0f} s")

        from servicechain.org.models import Unit

        root = Unit.objects.get(organization=organization, depth=0)
        instruments = {
            template: survey_services.instrument_create(
                organization=organization,
                name=template,
                population=bank.item(bank.instruments[template][0]).population,
                template=template,
            )
            for template in ("engagement_census", "engagement_pulse", "customer_transactional")
        }
        previous = None
        responses = synthetic.employee_responses
        for row in synthetic.employee_waves.itertuples():
            wave = survey_services.wave_create(
                organization=organization,
                instrument=instruments[row.instrument],
                name=row.name,
                audience_unit=root,
                opens_at=pd.Timestamp(row.opens_on, tz="UTC").to_pydatetime(),
                closes_at=pd.Timestamp(row.closes_on, tz="UTC").to_pydatetime()
                + pd.Timedelta(hours=23).to_pytimedelta(),
                kind=row.kind,
                previous=previous,
            )
            # Streamed: RESPONSE_CHUNK rows at a time are turned into JSON and copied.
            rows = np.flatnonzero((responses["wave_id"] == row.wave_id).to_numpy())
            for start in range(0, rows.size, RESPONSE_CHUNK):
                part = responses.iloc[rows[start : start + RESPONSE_CHUNK]]
                copy_frame(
                    "surveys_response",
                    pd.DataFrame(
                        {
                            "id": [str(uuid.uuid4()) for _ in range(len(part))],
                            "wave_id": wave.pk,
                            "submission_key": "",
                            "external_id": part["response_id"].to_numpy(),
                            "unit_id": part["unit_external_id"].map(unit_id).to_numpy(),
                            "tenure_band": part["tenure_band"].fillna("").to_numpy(),
                            "job_family": part["job_family"].fillna("").to_numpy(),
                            "answers": answers_json(
                                part,
                                bank.instruments[row.instrument],
                                bank.text_item(row.instrument),
                            ),
                            "source": "seed",
                        }
                    ),
                )
            progress(f"  {row.name}: {rows.size:,} responses copied")
            previous = wave

        customer = synthetic.customer_responses
        quarters = (
            customer["submitted_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("Q")
        )
        codes = bank.instruments["customer_transactional"]
        for quarter in sorted(quarters.unique()):
            wave = survey_services.wave_create(
                organization=organization,
                instrument=instruments["customer_transactional"],
                name=f"Customer survey {quarter.year}-Q{quarter.quarter}",
                audience_unit=root,
                opens_at=pd.Timestamp(quarter.start_time, tz="UTC").to_pydatetime(),
                closes_at=pd.Timestamp((quarter + 1).start_time, tz="UTC").to_pydatetime()
                - pd.Timedelta(seconds=1).to_pytimedelta(),
                kind=Wave.Kind.CUSTOMER,
            )
            part = customer[quarters == quarter]
            ids = part["interaction_external_id"].map(interaction_id)
            copy_frame(
                "surveys_customerresponse",
                pd.DataFrame(
                    {
                        "id": np.arange(
                            next_id("surveys_customerresponse"),
                            next_id("surveys_customerresponse") + len(part),
                        ),
                        "wave_id": wave.pk,
                        "interaction_id": ids.to_numpy(),
                        "unit_id": ids.map(interaction_unit).to_numpy(),
                        "answers": answers_json(
                            part, codes, bank.text_item("customer_transactional")
                        ),
                        "submitted_at": part["submitted_at"].to_numpy(),
                        "source": "seed",
                        "external_id": part["response_id"].to_numpy(),
                    }
                ),
            )
        reset_sequence("surveys_customerresponse")
        Wave.objects.filter(organization=organization).update(status=Wave.Status.CLOSED)
    with __import__("django.db").db.connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    stages["surveys"] = time.perf_counter() - started - stages["simulate"] - stages["organisation"]
    stages["total"] = time.perf_counter() - started
    progress(f"surveys copied in {time.perf_counter() - started:.0f} s")
    return stages


def bench_user(organization, username: str, role: str, unit=None):
    """The benchmark's login with `role` (at `unit`), created on first use."""
    from django.contrib.auth import get_user_model

    from servicechain.org import services as org_services

    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = org_services.user_create(username=username, password=secrets.token_urlsafe(16))
        org_services.membership_grant(user=user, organization=organization, role=role, unit=unit)
    return user


def hr_user(organization):
    return bench_user(organization, HR_USERNAME, "hr_analyst")


def subtree_sizes(organization) -> dict[int, int]:
    """Units in each unit's subtree (itself included), from the parent links."""
    from servicechain.org.models import Unit

    units = list(
        Unit.objects.filter(organization=organization)
        .order_by("-depth")
        .values_list("pk", "parent_id")
    )
    sizes = {pk: 1 for pk, _ in units}
    for pk, parent in units:  # children before parents
        if parent is not None:
            sizes[parent] += sizes[pk]
    return sizes


def manager_user(organization):
    """A manager of the unit (below the root) whose subtree is nearest MANAGER_SUBTREE units."""
    from servicechain.org.models import Unit

    sizes = subtree_sizes(organization)
    below_root = Unit.objects.filter(organization=organization, depth__gt=0)
    unit_id = min(
        below_root.values_list("pk", flat=True),
        key=lambda pk: (abs(sizes[pk] - MANAGER_SUBTREE), pk),
    )
    unit = Unit.objects.get(pk=unit_id)
    return bench_user(organization, MANAGER_USERNAME, "manager", unit), sizes[unit_id]


def peak_rss_mb() -> float:
    """The process's peak resident set (ru_maxrss is in KiB on Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> bool:
    """Restart the kernel's high-water mark of this process's RSS (Linux: VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def hwm_mb() -> float | None:
    """The high-water mark of this process's RSS since the last reset (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# ----------------------------------------------------------------------------- timing

# What the heatmap shows, computed from the raw answers in one statement: for the focus unit
# and each of its children, the respondents of the subtree and, per item, the number of
# numeric answers and their mean (the scales are means of their items).
RAW_AGGREGATE = """
SELECT shown.id, count(DISTINCT r.id), kv.key, count(*), avg((kv.value)::text::numeric)
FROM org_unit shown
JOIN org_unit u ON u.organization_id = shown.organization_id AND u.path LIKE shown.path || '%%'
JOIN surveys_response r ON r.wave_id = %s AND r.unit_id = u.id
CROSS JOIN LATERAL jsonb_each(r.answers) kv
WHERE shown.id = ANY(%s) AND jsonb_typeof(kv.value) = 'number'
GROUP BY shown.id, kv.key
"""
# The page's own necessary read: the published cells of the rows shown.
CELLS_QUERY = """
SELECT unit_id, scale, value, lower, upper, se, n, suppressed, reason
FROM surveys_unitscore
WHERE snapshot_id = %s AND dimension = '' AND category = '' AND unit_id = ANY(%s)
"""


def timed_query(sql: str, params: list, repeat: int) -> list[float]:
    """Milliseconds of each of `repeat` runs of one statement, rows fetched (after one warm run)."""
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        for i in range(repeat + 1):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            if i:
                times.append(1000 * (time.perf_counter() - started))
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def time_page(client, url: str, repeat: int) -> list[float]:
    """Milliseconds of each of `repeat` GETs of a page (after one warm GET that must show a
    heatmap)."""
    first = client.get(url)
    assert first.status_code == 200, (url, first.status_code)
    assert b'id="heatmap"' in first.content, url
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append(1000 * (time.perf_counter() - started))
        assert response.status_code == 200, (url, response.status_code)
    return times


def biggest_child(sizes: dict[int, int], focus):
    """The focus unit's child with the largest subtree (a heatmap row one would open)."""
    from servicechain.org.models import Unit

    children = list(Unit.objects.filter(parent=focus).values_list("pk", flat=True))
    return max(children, key=lambda pk: (sizes[pk], -pk)) if children else focus.pk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the small organisation instead")
    parser.add_argument(
        "--size",
        choices=["small", "large", "xlarge"],
        help="the organisation (default large; small with --quick)",
    )
    parser.add_argument("--reload", action="store_true", help="drop and reload the database")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--query-repeat",
        type=int,
        help="runs of the raw SQL aggregate (default --repeat; 3 for xlarge, where one run "
        "takes seconds)",
    )
    args = parser.parse_args()
    size = args.size or ("small" if args.quick else "large")
    query_repeat = args.query_repeat or (min(args.repeat, 3) if size == "xlarge" else args.repeat)
    base = os.environ.get("DATABASE_URL") or DEFAULT_URL
    name = f"bench_{size}"
    ensure_database(base, name, fresh=args.reload)
    setup_django(database_url(base, name))

    def progress(message: str) -> None:
        print(f"  {message}", flush=True)

    from django.test import Client

    from servicechain.insights import selectors
    from servicechain.insights.access import Audience
    from servicechain.org.access import scope_for
    from servicechain.org.models import Organization, Unit
    from servicechain.surveys.models import Response

    organization = Organization.objects.filter(slug=SLUG).first()
    stages = None
    if organization is None:
        print(f"Loading the {size} organisation into {name} (once; later runs reuse it) …")
        stages = load(size, progress)
        organization = Organization.objects.get(slug=SLUG)
    else:
        print(f"Reusing the {size} organisation in {name} (--reload to start afresh)")
    loader_peak = peak_rss_mb()
    user = hr_user(organization)
    manager, manager_units = manager_user(organization)
    waves = selectors.employee_waves(organization)
    latest, previous = waves[0], selectors.previous_wave(waves[0])
    from servicechain.surveys import services as survey_services

    publish_seconds = {}
    for wave in (latest, previous):
        if wave is None:  # xlarge has one wave
            continue
        started = time.perf_counter()
        if not selectors.wave_results(wave).ready:
            # Published once per closed wave (a big one by the task worker in production).
            survey_services.results_publish(wave=wave)
        publish_seconds[wave.name] = time.perf_counter() - started
        print(f"  results of {wave.name}: published in {publish_seconds[wave.name]:.1f} s")
    publish_peak = peak_rss_mb()

    # From here on, the peak of the measuring alone (the kernel's high-water mark, reset).
    measuring_peak_known = reset_peak_rss()
    sizes = subtree_sizes(organization)
    audiences = {
        "HR": Audience(scope_for(user, SLUG)),
        "manager": Audience(scope_for(manager, SLUG)),
    }
    focus = audiences["HR"].default_focus

    def selector(audience):
        results = selectors.wave_results(latest)
        return selectors.heatmap(audience, results, audience.default_focus)

    heatmap = selector(audiences["HR"])
    heatmaps, selector_ms = {}, {}
    for who, audience in audiences.items():
        heatmaps[who] = selector(audience)
        selector_ms[who] = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            selector(audience)
            selector_ms[who].append(1000 * (time.perf_counter() - started))
    heatmap_ms = selector_ms["HR"]

    base_url = f"/o/{SLUG}/insights/"
    pages = {}  # (who, page) -> milliseconds
    for who, login in (("HR", user), ("manager", manager)):
        client = Client()
        client.force_login(login)
        own = audiences[who].default_focus
        pages[(who, "engagement page")] = time_page(client, base_url, args.repeat)
        child = biggest_child(sizes, own)
        pages[(who, "heatmap, one row opened")] = time_page(
            client, f"{base_url}?unit={child}", args.repeat
        )
    page_ms = pages[("HR", "engagement page")]
    measuring_peak = hwm_mb() if measuring_peak_known else None

    shown = [row.unit.pk for row in heatmap.rows]
    query_ms = timed_query(RAW_AGGREGATE, [latest.pk, shown], query_repeat)
    snapshot = selectors.wave_results(latest).snapshot
    cells_ms = timed_query(CELLS_QUERY, [snapshot.pk, shown], args.repeat)
    query_p50, page_p50 = statistics.median(query_ms), statistics.median(page_ms)
    ratio_to_query = page_p50 / query_p50
    worst_page = max(statistics.median(times) for times in pages.values())
    # Resetting the high-water mark resets ru_maxrss too: the whole run's peak is the larger.
    peak = max(publish_peak, peak_rss_mb())

    responses = Response.objects.filter(wave__organization=organization).count()
    units = Unit.objects.filter(organization=organization).count()
    manager_unit = audiences["manager"].default_focus
    rows = [
        (
            "organisation",
            f"{units:,} units, {responses:,} employee responses in {len(waves)} waves",
        ),
        (
            "wave shown",
            f"{latest.name} ({selectors.respondents_of(selectors.wave_results(latest), focus):,} respondents)",
        ),
    ]
    if stages:
        rows.append(
            (
                "loading (COPY)",
                f"{stages['total']:.0f} s: simulate {stages['simulate']:.0f} s, organisation "
                f"{stages['organisation']:.0f} s, surveys {stages['surveys']:.0f} s",
            )
        )
    rows += [
        (
            "publishing a wave",
            ", ".join(f"{name} {seconds:.1f} s" for name, seconds in publish_seconds.items()),
        ),
        (
            "manager's scope",
            f"{manager_unit.name} ({manager_units:,} units in its subtree)",
        ),
        (
            "heatmap",
            f"{len(heatmap.rows)} units × {len(heatmap.columns)} scales, "
            f"{heatmap.suppressed_cells} cells withheld (HR); "
            f"{len(heatmaps['manager'].rows)} units, "
            f"{heatmaps['manager'].suppressed_cells} withheld (manager)",
        ),
    ]
    for who, times in selector_ms.items():
        rows.append(
            (
                f"heatmap selector ({who})",
                f"p50 {statistics.median(times):7.1f} ms   p95 {percentile(times, 0.95):7.1f} ms",
            )
        )
    for (who, page), times in pages.items():
        label = "full page (HR)" if (who, page) == ("HR", "engagement page") else f"{page} ({who})"
        rows.append(
            (
                label,
                f"p50 {statistics.median(times):7.1f} ms   p95 {percentile(times, 0.95):7.1f} ms",
            )
        )
    rows += [
        (
            "raw aggregate (SQL)",
            f"p50 {query_p50:7.1f} ms   p95 {percentile(query_ms, 0.95):7.1f} ms"
            f"   (the heatmap's numbers from the wave's answers, one statement, {len(query_ms)} runs)",
        ),
        (
            "stored-cell read (SQL)",
            f"p50 {statistics.median(cells_ms):7.1f} ms   p95 {percentile(cells_ms, 0.95):7.1f} ms"
            "   (the page's own necessary query)",
        ),
        (
            "ratio to query",
            f"{ratio_to_query:.2f} (page p50 ÷ raw aggregate p50; "
            f"{page_p50 / statistics.median(cells_ms):.0f}× the stored-cell read)",
        ),
        (
            "peak RSS",
            f"{peak:,.0f} MB for the whole process ("
            + ("loader included: " if stages else "no loading this run; ")
            + f"{loader_peak:,.0f} MB after {'loading' if stages else 'start-up'}, "
            + f"{publish_peak:,.0f} MB after publishing"
            + (f"; {measuring_peak:,.0f} MB while measuring" if measuring_peak else "")
            + ")",
        ),
        (
            "goal",
            f"page p50 < 300 ms (worst of the {len(pages)} pages: {worst_page:.1f} ms): "
            + ("met" if worst_page < 300 else "NOT met"),
        ),
    ]
    width = max(len(k) for k, _ in rows)
    print()
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print(
        json.dumps(
            {
                "responses": responses,
                "units": units,
                "heatmap_p50_ms": round(statistics.median(heatmap_ms), 1),
                "page_p50_ms": round(statistics.median(page_ms), 1),
                "publish_seconds": round(max(publish_seconds.values()), 1),
                "query_p50_ms": round(query_p50, 1),
                "cells_query_p50_ms": round(statistics.median(cells_ms), 2),
                "ratio_to_query": round(ratio_to_query, 3),
                "size": size,
                "xlarge_page_p50_ms": round(worst_page, 1) if size == "xlarge" else None,
                "worst_page_p50_ms": round(worst_page, 1),
                "peak_mb": round(peak),
                "load_seconds": round(stages["total"]) if stages else None,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
