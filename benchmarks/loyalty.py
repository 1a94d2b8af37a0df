"""Benchmark: the loyalty ledger of the `large` synthetic organisation on PostgreSQL.

    python benchmarks/loyalty.py [--quick] [--reload] [--repeat N]

The organisation's units, employees, customers and purchases (3,000 units, ~64,000
employees, ~3.4 M purchases over 24 months; `--quick`: the small one) are loaded once into
their own database, `bench_loyalty` (`bench_loyalty_quick`), on the server of DATABASE_URL
(default postgres://app:app@127.0.0.1:5432/app), with COPY, and kept: later runs reuse it
(`--reload` starts afresh). The ledger is built as the programme would have written it —
each purchase's pending points (by `rules_engine.points_for`, checked against the service on
a sample) and their confirmation 30 days later, the oldest lots of two in five confirmed
lots redeemed (in two halves), 2 % of purchases returned inside the window — ≈ 10 million
entries, COPY-loaded with its indexes and foreign keys built afterwards.

Measured:
* a customer's balance — `selectors.balance` (one index-only sum) for `--repeat` random
  customers: p50 and p95;
* the nightly expiry run — `services.expiry_run` the day after the data ends, when every
  account inactive for 12 months expires (the backlog of the first run: the worst night);
  inside a transaction rolled back afterwards, so each run measures the same work;
* the liability report — `selectors.liability_report` (every month, one grouped scan).

Prints a table; the last line is {"entries", "balance_p50_ms", "expiry_run_s", "liability_s"}.
Goals: balance p50 < 5 ms, expiry run < 60 s, liability report < 10 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import secrets
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://app:app@127.0.0.1:5432/app"
SLUG = "bench-loyalty"
WINDOW_DAYS = 30
REDEEMED_SHARE = 0.4
RETURNED_SHARE = 0.02
BACKLOG_DAYS = 180  # a heavy night: expiry switched on half a year late
GOALS = {"balance_p50_ms": 5.0, "expiry_run_s": 60.0, "liability_s": 10.0}


def database_url(base: str, name: str) -> str:
    return urlunparse(urlparse(base)._replace(path=f"/{name}"))


def ensure_database(base: str, name: str, *, fresh: bool) -> None:
    import psycopg

    with psycopg.connect(base.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SERVICECHAIN_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["SERVICECHAIN_HTTPS"] = "0"
    os.environ.setdefault("SERVICECHAIN_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "servicechain.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# ----------------------------------------------------------------------------- loading


def copy_frame(table: str, frame) -> None:
    """COPY a DataFrame (columns named like the table's) in CSV chunks (empty field = NULL).
    Required columns the frame lacks (added by later migrations) get their type's blank."""
    from django.db import connection

    blanks = {
        "character varying": "",
        "text": "",
        "boolean": False,
        "integer": 0,
        "smallint": 0,
        "bigint": 0,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
            "AND is_nullable = 'NO' AND column_default IS NULL",
            [table],
        )
        for column, kind in cursor.fetchall():
            if column not in frame.columns and kind in blanks:
                frame = frame.assign(**{column: blanks[kind]})
    columns = ", ".join(frame.columns)
    text = [c for c in frame.columns if frame[c].dtype == object and frame[c].notna().all()]
    force = f", FORCE_NOT_NULL ({', '.join(text)})" if text else ""
    statement = f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv{force})"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for start in range(0, len(frame), 250_000):
            buffer = io.StringIO()
            frame.iloc[start : start + 250_000].to_csv(buffer, index=False, header=False)
            copy.write(buffer.getvalue())


def next_id(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # nosec B608
        return cursor.fetchone()[0]


def without_keys(table: str):
    """Drop the table's secondary indexes and foreign keys (COPY then skips a check per row
    and per index); returns the statements that build them again in one pass each."""
    from django.db import connection

    with connection.cursor() as cursor:
        # The rows copied so far are checked now: their deferred checks would block ALTER.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        keys = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes = cursor.fetchall()
        for name, _ in keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for name, definition in keys
    ]


def run_sql(statements: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def load(size: str, progress) -> None:
    """Simulate the organisation, COPY its people, customers and purchases, build the ledger."""
    import numpy as np
    import pandas as pd
    from django.db import transaction

    from servicechain.loyalty import services as loyalty_services
    from servicechain.org import services as org_services
    from servicechain.org.models import encode_segment
    from servicechain.simulate import simulate_organisation

    started = time.perf_counter()
    synthetic = simulate_organisation(size=size, seed=7)
    progress(f"simulated {synthetic!r} in {time.perf_counter() - started:.0f} s")
    with transaction.atomic():
        organization = org_services.organization_create(slug=SLUG, name=f"Loyalty ({size})")
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
        sales = synthetic.transactions
        purchases = pd.DataFrame(
            {
                "id": np.arange(
                    next_id("org_transaction"), next_id("org_transaction") + len(sales)
                ),
                "organization_id": org_id,
                "external_id": sales["external_id"],
                "customer_id": sales["customer_external_id"].map(customer_id),
                "employee_id": sales["employee_external_id"].map(employee_id).astype("Int64"),
                "amount": sales["amount"].map(lambda a: f"{a:.2f}"),
                "occurred_at": sales["occurred_at"],
            }
        )
        copy_frame("org_transaction", purchases)
        progress(f"copied {len(purchases):,} purchases of {len(customers):,} customers")

        first = purchases["occurred_at"].min().date().replace(day=1)
        programme = loyalty_services.programme_save(
            organization=organization,
            effective_from=first,
            today=first,
            points_per_visit=10,
            visit_min_spend="10.00",
            points_per_spend_unit=1,
            spend_unit="1.00",
            point_value="0.01",
            expiry_months=12,
            return_window_days=WINDOW_DAYS,
        )
        version = programme.history.latest().history_id
        end = purchases["occurred_at"].max()
        entries, accounts = ledger_frames(purchases, org_id=org_id, version=version, end=end)
        check_sample(organization, purchases, entries)
        accounts["organization_id"] = org_id
        copy_frame("loyalty_account", accounts)
        rebuild = without_keys("loyalty_entry")
        started = time.perf_counter()
        copy_frame("loyalty_entry", entries)
        progress(f"copied {len(entries):,} ledger entries in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        run_sql(rebuild)
        progress(f"built the ledger's indexes and keys in {time.perf_counter() - started:.0f} s")
        run_sql(
            [
                "SELECT setval(pg_get_serial_sequence('loyalty_entry', 'id'), "
                "(SELECT MAX(id) FROM loyalty_entry))"
            ]
        )
    run_sql(["VACUUM ANALYZE loyalty_entry", "VACUUM ANALYZE loyalty_account"])


def ledger_frames(purchases, *, org_id: int, version: int, end):
    """The entries the programme would have written, and the accounts, as COPY-ready frames."""
    import numpy as np
    import pandas as pd

    cents = (purchases["amount"].astype(float) * 100).round().astype("int64")
    points = np.where(cents >= 1000, 10, 0) + cents // 100
    # Naive UTC throughout (the database session is in UTC).
    lots = purchases.assign(points=points, occurred_at=purchases["occurred_at"].dt.tz_convert(None))
    lots = lots[points > 0].sort_values(["customer_id", "occurred_at"])
    now = pd.Timestamp(end).tz_convert(None) + pd.Timedelta(days=1)
    n = len(lots)
    created = now.isoformat()
    pending = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "organization_id": org_id,
            "customer_id": lots["customer_id"].to_numpy(),
            "kind": "pending",
            "points": lots["points"].to_numpy(),
            "pending": True,
            "at": lots["occurred_at"].to_numpy(),
            "transaction_id": lots["id"].to_numpy(),
            "lot_id": pd.array([None] * n, dtype="Int64"),
            "reverses_id": pd.array([None] * n, dtype="Int64"),
            "programme_version": version,
            "spend": lots["amount"].to_numpy(),
            "reference": "",
            "note": "",
            "created_at": created,
        }
    )
    rng = np.random.default_rng(14)
    returned = rng.random(n) < RETURNED_SHARE
    confirm_at = pending["at"] + pd.Timedelta(days=WINDOW_DAYS)
    confirmable = (~returned) & (confirm_at <= now).to_numpy()
    confirms = pending[confirmable].assign(
        kind="confirm",
        pending=False,
        at=confirm_at[confirmable],
        lot_id=pending["id"][confirmable],
        spend=None,
    )
    confirms["id"] = np.arange(n + 1, n + 1 + len(confirms))
    reversals = pending[returned].assign(
        kind="reverse",
        points=-pending["points"][returned],
        lot_id=pending["id"][returned],
        reverses_id=pending["id"][returned],
        spend=None,
        at=pending["at"][returned] + pd.Timedelta(days=3),
    )
    reversals["id"] = np.arange(n + 1 + len(confirms), n + 1 + len(confirms) + len(reversals))
    # Two in five confirmed lots are redeemed, the oldest first (a customer's earliest lots),
    # each in two halves a few weeks apart.
    order = confirms.groupby("customer_id").cumcount()
    size = confirms.groupby("customer_id")["id"].transform("size")
    redeemed = confirms[order < (size * REDEEMED_SHARE).round()]
    first_half = redeemed["points"] // 2
    halves = []
    for part, taken, delay in ((0, first_half, 20), (1, redeemed["points"] - first_half, 45)):
        half = redeemed[taken > 0].assign(
            kind="redeem",
            points=-taken[taken > 0],
            lot_id=redeemed["id"][taken > 0],
            at=redeemed["at"][taken > 0] + pd.Timedelta(days=delay + part),
            spend=None,
            transaction_id=None,
        )
        halves.append(half[half["at"] <= now])
    redemptions = pd.concat(halves)
    start = n + 1 + len(confirms) + len(reversals)
    redemptions["id"] = np.arange(start, start + len(redemptions))
    entries = pd.concat([pending, confirms, reversals, redemptions], ignore_index=True)
    entries["transaction_id"] = entries["transaction_id"].astype("Int64")
    entries["lot_id"] = entries["lot_id"].astype("Int64")
    entries["reverses_id"] = entries["reverses_id"].astype("Int64")
    activity = pd.concat(
        [
            lots[["customer_id", "occurred_at"]].rename(columns={"occurred_at": "at"}),
            redemptions[["customer_id", "at"]],
        ]
    )
    last = activity.groupby("customer_id")["at"].agg(["min", "max"])
    accounts = pd.DataFrame(
        {
            "customer_id": last.index,
            "enrolled_at": last["min"].to_numpy(),
            "email_opt_in": False,
            "last_activity_at": last["max"].to_numpy(),
            "expires_at": [m + pd.DateOffset(months=12) for m in last["max"]],
        }
    )
    return entries, accounts


def check_sample(organization, purchases, entries) -> None:
    """The vectorised points equal the programme's own rule on a sample of purchases."""
    from decimal import Decimal

    from servicechain.loyalty import rules_engine, selectors

    version = selectors.versions(organization).versions[-1]
    pending = entries[entries["kind"] == "pending"].set_index("transaction_id")["points"]
    for row in purchases.sample(min(2000, len(purchases)), random_state=1).itertuples():
        expected = rules_engine.points_for(version, Decimal(row.amount))
        assert pending.get(row.id, 0) == expected, (row.id, row.amount, expected)


# ----------------------------------------------------------------------------- measuring


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the small organisation")
    parser.add_argument("--reload", action="store_true", help="load the database afresh")
    parser.add_argument("--repeat", type=int, default=2000, help="balances read (default 2000)")
    args = parser.parse_args()
    size = "small" if args.quick else "large"
    base = os.environ.get("DATABASE_URL", DEFAULT_URL)
    name = "bench_loyalty_quick" if args.quick else "bench_loyalty"

    def progress(message: str) -> None:
        print(f"  {message}", flush=True)

    ensure_database(base, name, fresh=args.reload)
    setup_django(database_url(base, name))
    from django.db import connection, transaction

    from servicechain.loyalty import selectors, services
    from servicechain.loyalty.models import Account, Entry
    from servicechain.org.models import Organization

    organization = Organization.objects.filter(slug=SLUG).first()
    if organization is None or not Entry.objects.filter(organization=organization).exists():
        print(f"Loading the {size} organisation and its ledger into {name} (once) ...")
        load(size, progress)
        organization = Organization.objects.get(slug=SLUG)
    entries = Entry.objects.filter(organization=organization).count()
    customers = list(Account.objects.values_list("customer_id", flat=True))

    random.seed(7)
    sample = random.choices(customers, k=args.repeat)
    for customer_id in sample[:50]:  # warm the connection and the plan
        selectors.balance(customer_id)
    timings = []
    for customer_id in sample:
        started = time.perf_counter()
        selectors.balance(customer_id)
        timings.append(1000 * (time.perf_counter() - started))

    last = (
        Entry.objects.filter(organization=organization)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    now = last + dt.timedelta(days=1)
    expiry = {}
    for label, moment in (("next night", now), ("backlog", now + dt.timedelta(days=BACKLOG_DAYS))):
        with transaction.atomic():
            due = Account.objects.filter(organization=organization, expires_at__lte=moment).count()
            started = time.perf_counter()
            expired = services.expiry_run(organization=organization, now=moment)
            expiry[label] = (time.perf_counter() - started, due, expired)
            transaction.set_rollback(True)
    expiry_s, due, expired = expiry["next night"]

    started = time.perf_counter()
    report = selectors.liability_report(organization, through=now.date())
    liability_s = time.perf_counter() - started
    # Steady state: every month but the current one closed (statements written once a month),
    # so the report scans only the open month. Rolled back; the figures must not move.
    with transaction.atomic():
        services.liability_close(
            organization=organization, month=report[-2]["month"], today=now.date()
        )
        started = time.perf_counter()
        steady = selectors.liability_report(organization, through=now.date())
        steady_s = time.perf_counter() - started
        transaction.set_rollback(True)
    keys = ("month", "outstanding_points", "redemption_rate", "liability")
    assert [{k: r[k] for k in keys} for r in steady] == [{k: r[k] for k in keys} for r in report]

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('loyalty_entry'))")
        table_size = cursor.fetchone()[0]
    backlog_s, backlog_due, backlog_expired = expiry["backlog"]
    rows = [
        ("ledger entries", f"{entries:,}", f"table with indexes {table_size}"),
        ("members", f"{len(customers):,}", ""),
        (
            "balance p50",
            f"{statistics.median(timings):.2f} ms",
            f"p95 {percentile(timings, 0.95):.2f} ms over {len(timings):,} customers (goal < 5 ms)",
        ),
        (
            "expiry run",
            f"{expiry_s:.1f} s",
            f"the night after the data ends: {due:,} accounts lapse, {expired:,} lots expire "
            "(goal < 60 s)",
        ),
        (
            "expiry backlog",
            f"{backlog_s:.1f} s",
            f"one run {BACKLOG_DAYS} days later: {backlog_due:,} accounts, "
            f"{backlog_expired:,} lots",
        ),
        (
            "liability report",
            f"{liability_s:.1f} s",
            f"nothing closed: {len(report)} months scanned; last "
            f"{report[-1]['liability']:,} {report[-1]['currency']} (goal < 10 s)",
        ),
        (
            "liability, closed",
            f"{steady_s:.2f} s",
            "past months closed (read from statements), the open month scanned; same figures",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"\nLoyalty ledger, {size} organisation, PostgreSQL ({name})")
    for label, value, note in rows:
        print(f"  {label:<{width}}  {value:>14}  {note}")
    figures = {
        "entries": entries,
        "balance_p50_ms": round(statistics.median(timings), 3),
        "expiry_run_s": round(expiry_s, 2),
        "liability_s": round(liability_s, 2),
    }
    missed = [key for key, goal in GOALS.items() if figures[key] >= goal]
    print("  goals: " + ("all met" if not missed else "missed: " + ", ".join(missed)))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
