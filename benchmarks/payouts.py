"""Benchmark: a quarter's payout run over the `large` synthetic organisation.

    python benchmarks/payouts.py [--quick] [--reload]

The organisation is the one benchmarks/heatmap.py builds (3,000 units, ~64,000 employee
records, ~1.2 M customer ratings linked to the contacts their employees served, ~3.4 M
purchases), in its own database `bench_payouts` (`bench_payouts_quick` with --quick) on the
server of DATABASE_URL (default postgres://app:app@127.0.0.1:5432/app), copied from
heatmap.py's (`CREATE DATABASE … TEMPLATE`) when that one exists and is idle, otherwise loaded
by heatmap.py's loader.

Two quarterly plans as in the demo — a store service bonus for every frontline employee
(the unit's CSAT and the person's own CSAT, tiers; the unit's repeat-business rate over its
six-month baseline, linear, capped) and a profit share of 1 % of the organisation's revenue
split by role weight among the specialists — then `services.run_preview` of the last complete
quarter in the data, timed: reading the ratings and purchases, every line with its reason,
the gaming guard, and writing the lines. Peak memory is the process's peak resident size.

Prints a table; the last line is {"employees", "lines", "seconds", "peak_mb"}. Goal: < 30 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import time

import heatmap  # benchmarks/heatmap.py, beside this script (as load.py imports it)

DEFAULT_URL = "postgres://app:app@127.0.0.1:5432/app"
GOAL_SECONDS = 30


def prepare_database(base: str, size: str, *, fresh: bool) -> tuple[str, bool]:
    """The benchmark's database, copied from heatmap.py's when that one is there and idle.
    Returns its name and whether the organisation must still be loaded."""
    name = f"bench_payouts{'_quick' if size == 'small' else ''}"
    return name, heatmap.ensure_database(base, name, fresh=fresh, template=f"bench_{size}")


def plans(organization, admin, start: dt.date) -> None:
    """The demo's two plans, afresh (earlier benchmark runs' plans and runs removed)."""
    from decimal import Decimal

    from servicechain.rewards import services
    from servicechain.rewards.models import PayoutRun, Plan

    PayoutRun.objects.filter(organization=organization).delete()
    Plan.objects.filter(organization=organization).delete()
    services.plan_build(
        organization=organization,
        actor=admin,
        name="Store service bonus",
        period="quarter",
        effective_from=start,
        job_family="frontline",
        components=[
            {
                "name": "Store customer satisfaction",
                "metric": "csat",
                "scope": "unit",
                "baseline_months": None,
                "tiers": [{"threshold": 80, "amount": "60"}, {"threshold": 88, "amount": "120"}],
                "cap": "150",
            },
            {
                "name": "Your customers' satisfaction",
                "metric": "csat",
                "scope": "employee",
                "baseline_months": None,
                "tiers": [{"threshold": 85, "amount": "50"}],
            },
            {
                "name": "Store repeat business (improvement)",
                "metric": "repeat_rate",
                "scope": "unit",
                "baseline_months": 6,
                "rate": "8",
                "cap": "80",
            },
        ],
    )
    services.plan_build(
        organization=organization,
        actor=admin,
        name="Specialists' profit share",
        period="quarter",
        effective_from=start,
        job_family="specialist",
        components=[],
        pool={
            "basis": "revenue",
            "share": Decimal("0.01"),
            "split": "role_weight",
            "role_weights": {"specialist": 1},
        },
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the small organisation instead")
    parser.add_argument("--reload", action="store_true", help="drop and reload the database")
    args = parser.parse_args()
    size = "small" if args.quick else "large"
    base = os.environ.get("DATABASE_URL") or DEFAULT_URL
    name, load = prepare_database(base, size, fresh=args.reload)
    heatmap.setup_django(heatmap.database_url(base, name))
    from django.contrib.auth import get_user_model
    from django.db.models import Max

    from servicechain.org.models import Employee, Organization, Transaction
    from servicechain.rewards import services
    from servicechain.rewards.models import Period, period_before, period_start

    if load or not Organization.objects.exists():
        print(f"Loading the {size} organisation into {name} (once) …", flush=True)
        heatmap.load(size, lambda m: print(f"  {m}", flush=True))
    organization = Organization.objects.order_by("pk").first()
    admin, _ = get_user_model().objects.get_or_create(username="bench-payouts-admin")
    last = Transaction.objects.filter(organization=organization).aggregate(Max("occurred_at"))
    ends = last["occurred_at__max"].date() + dt.timedelta(days=1)
    quarter = period_before(Period.QUARTER, period_start(Period.QUARTER, ends))
    plans(organization, admin, quarter)

    load_before = os.getloadavg()[0]
    started, cpu_started = time.perf_counter(), time.process_time()
    run = services.run_preview(
        organization=organization, period=Period.QUARTER, period_start_on=quarter, actor=admin
    )
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    load_after = os.getloadavg()[0]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = run.lines.count()
    paid = run.lines.filter(amount__gt=0).count()
    employees = run.lines.values("employee").distinct().count()
    records = Employee.objects.filter(organization=organization).count()
    rows = [
        ("organisation", f"{records:,} employee records ({size})"),
        ("quarter", run.label),
        ("employees paid on a plan", f"{employees:,}"),
        ("lines", f"{lines:,} ({paid:,} paying something)"),
        ("gaming flags", f"{run.flags.count():,}"),
        ("run preview", f"{seconds:.1f} s (goal < {GOAL_SECONDS} s)"),
        ("  of which this process's CPU", f"{cpu_seconds:.1f} s (the database's is not in it)"),
        (
            "machine load (1-min average)",
            f"{load_before:.1f} before, {load_after:.1f} after, on {os.cpu_count()} cores",
        ),
        ("peak resident memory", f"{peak_mb:,.0f} MB"),
    ]
    width = max(len(label) for label, _ in rows)
    print()
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    print(
        json.dumps(
            {
                "employees": employees,
                "lines": lines,
                "seconds": round(seconds, 2),
                "peak_mb": round(peak_mb, 1),
            }
        )
    )
    return 0 if seconds < GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
