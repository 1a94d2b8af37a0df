"""Benchmark: import 100,000 interactions into SQLite and into PostgreSQL.

Each database runs in its own process (Django binds one default database per process):
the child migrates a fresh database, imports the units, employees and customers the
interactions refer to, then times `servicechain import interactions` on the same CSV file.

    python benchmarks/import.py [--quick] [--rows N] [--postgres URL]

Prints a table and, as its last line, {"rows_per_s_sqlite": …, "rows_per_s_postgres": …}.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DEFAULT_POSTGRES = "postgres://app:app@127.0.0.1:5432/app"


def write_files(folder: Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    units, employees, customers = 20, 400, max(1000, rows // 20)
    with open(folder / "units.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "name", "parent_external_id", "kind"])
        w.writerow(["ROOT", "Benchmark Ltd", "", "organisation"])
        for u in range(units):
            w.writerow([f"U{u}", f"Store {u}", "ROOT", "store"])
    with open(folder / "employees.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "unit_external_id", "first_name", "last_name", "hire_date"])
        for e in range(employees):
            w.writerow([f"E{e}", f"U{e % units}", "Em", f"Ployee{e}", "2020-01-01"])
    with open(folder / "customers.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "name", "owner_employee_external_id"])
        for c in range(customers):
            w.writerow([f"C{c}", f"Customer {c}", f"E{c % employees}"])
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    customer = rng.integers(0, customers, rows)
    employee = rng.integers(0, employees, rows)
    seconds = np.sort(rng.integers(0, 180 * 86400, rows))
    duration = rng.gamma(2.0, 180.0, rows).astype(int)
    channels = np.array(["phone", "chat", "email", "in_person"])[rng.integers(0, 4, rows)]
    with open(folder / "interactions.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "external_id",
                "customer_external_id",
                "employee_external_id",
                "unit_external_id",
                "channel",
                "started_at",
                "duration_s",
            ]
        )
        for i in range(rows):
            when = (start + dt.timedelta(seconds=int(seconds[i]))).isoformat()
            w.writerow(
                [
                    f"I{i}",
                    f"C{customer[i]}",
                    f"E{employee[i]}",
                    f"U{employee[i] % units}",
                    channels[i],
                    when,
                    duration[i],
                ]
            )


def child(folder: Path) -> None:
    """Runs inside the child process, on the database in DATABASE_URL."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicechain.settings")
    os.environ.setdefault("SERVICECHAIN_SECRET_KEY", "benchmark-" + "k" * 50)
    os.environ.setdefault("SERVICECHAIN_HTTPS", "0")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from servicechain.org import services

    call_command("flush", interactive=False, verbosity=0) if _migrated() else None
    call_command("migrate", interactive=False, verbosity=0)
    org = services.organization_create(slug="bench", name="Benchmark")
    for kind in ("units", "employees", "customers"):
        services.import_file(organization=org, kind=kind, path=folder / f"{kind}.csv")
    started = time.perf_counter()
    report = services.import_file(
        organization=org, kind="interactions", path=folder / "interactions.csv"
    )
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "rows": report.rows,
                "seconds": seconds,
                "peak_mb": peak_mb,
            }
        )
    )


def _migrated() -> bool:
    from django.db import connection

    return "org_organization" in connection.introspection.table_names()


def run_child(folder: Path, database_url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url}
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"benchmark child failed on {database_url}:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10,000 rows")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument(
        "--postgres", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child))
        return
    rows = args.rows or (10_000 if args.quick else 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_files(folder, rows)
        sqlite = run_child(folder, f"sqlite:///{folder / 'bench.sqlite3'}")
        postgres = run_child(folder, args.postgres)
    results = {"sqlite": sqlite, "postgres": postgres}
    print(f"{'database':<12}{'rows':>10}{'seconds':>10}{'rows/s':>12}{'peak RSS MB':>14}")
    for name, r in results.items():
        print(
            f"{name:<12}{r['rows']:>10,}{r['seconds']:>10.2f}{r['rows'] / r['seconds']:>12,.0f}"
            f"{r['peak_mb']:>14,.0f}"
        )
    print(
        json.dumps(
            {
                "rows_per_s_sqlite": round(sqlite["rows"] / sqlite["seconds"]),
                "rows_per_s_postgres": round(postgres["rows"] / postgres["seconds"]),
            }
        )
    )


if __name__ == "__main__":
    main()
