"""Benchmark: recognition on the `large` synthetic organisation with a year of kudos.

    python benchmarks/recognition.py [--quick] [--reload] [--repeat N]

The organisation is the one benchmarks/heatmap.py builds (3,000 units, ~64,000 employee
records, ~1.2 M customer ratings linked to the contacts their employees served), in its own
database `bench_recognition` (`bench_recognition_quick` with --quick) on the server of
DATABASE_URL (default postgres://app:app@127.0.0.1:5432/app). When heatmap.py's database
(`bench_large` / `bench_small`) exists and is idle it is copied (`CREATE DATABASE … TEMPLATE`),
otherwise heatmap.py's loader builds it. A year of kudos from `simulate.recognition` (about
500,000 posts on the large organisation) is then COPY-ed in with their recipients, values
and points ledger, once; later runs reuse it (`--reload` starts afresh).

Measured, each `--repeat` times, through Django's test client (middleware, sessions,
template):
* feed — `GET /o/<org>/recognition/` as an employee (their organisation, team and own posts);
* spread — `GET /o/<org>/recognition/spread/` as a manager of an area (the 60-day list, every
  unit below it by month through the anonymity gate, the chart);
* the HR spread of the whole organisation (reported, not a goal);
* a full achievements run — every badge removed, then every active rule over all the data
  (five-star months from the customer ratings, customers recovered, tenure milestones, goals
  met), as the background task does it; and a second run that finds nothing new.

Prints a table; the last line is {"posts", "feed_p50_ms", "spread_p50_ms", "achievements_run_s"}.
Goals: feed p50 < 100 ms, spread p50 < 200 ms, a full achievements run < 60 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time

import heatmap  # benchmarks/heatmap.py, beside this script (as load.py imports it)

DEFAULT_URL = "postgres://app:app@127.0.0.1:5432/app"
SLUG = "bench"
TARGET_POSTS = {"large": 500_000, "small": 3_000}
VALUES = [
    ("customers-first", "Customers first"),
    ("own-it", "Own it"),
    ("better-together", "Better together"),
    ("keep-it-simple", "Keep it simple"),
    ("care", "Care for each other"),
]


def prepare_database(base: str, size: str, *, fresh: bool) -> tuple[str, bool]:
    """The benchmark's database, copied from heatmap.py's when that one is there and idle.
    Returns its name and whether the organisation must still be loaded."""
    name = f"bench_recognition{'_quick' if size == 'small' else ''}"
    return name, heatmap.ensure_database(base, name, fresh=fresh, template=f"bench_{size}")


def load_organisation(size: str, progress):
    """heatmap.py's COPY loader for the large organisation; the demo's importers (and its
    survey seeder, for the customer ratings) for the small one."""
    from servicechain import demo
    from servicechain.org.models import Organization

    if size == "large":
        heatmap.load(size, progress)
        return Organization.objects.get(slug=SLUG)
    demo.DEMO_SEEDERS[:] = ["servicechain.surveys.seed"]
    return demo.seed_demo(size="small", seed=7, progress=progress)


def seed_kudos(organization, size: str, today: dt.date, progress) -> None:
    """A year of kudos up to yesterday, COPY-ed with ids assigned here."""
    import numpy as np
    import pandas as pd
    from django.db import connection, transaction

    from servicechain.recognition import seed as demo_seed
    from servicechain.recognition import services
    from servicechain.recognition.models import CompanyValue, RecognitionSettings
    from servicechain.simulate.recognition import simulate_recognition

    started = time.perf_counter()
    people = demo_seed.employee_frame(organization)
    start, end = today - dt.timedelta(days=365), today - dt.timedelta(days=1)
    hired = pd.to_datetime(people["hire_date"])
    left = pd.to_datetime(people["leave_date"])
    person_months = sum(
        int(
            (
                (hired <= pd.Timestamp(m) + pd.offsets.MonthEnd(0))
                & (left.isna() | (left >= pd.Timestamp(m)))
            ).sum()
        )
        for m in pd.date_range(start, end, freq="MS")
    )
    rate = TARGET_POSTS[size] / max(1, person_months)
    year = simulate_recognition(
        people, start=start, end=end, values=[slug for slug, _ in VALUES], rate=rate, seed=11
    )
    progress(f"simulated {year!r} in {time.perf_counter() - started:.0f} s")
    with transaction.atomic():
        values = {}
        for order, (slug, name) in enumerate(VALUES):
            values[slug] = CompanyValue.objects.create(
                organization=organization, slug=slug, name=name, description=name, order=order
            )
        RecognitionSettings.objects.get_or_create(organization=organization)
        services.achievement_rules_install(
            organization=organization, thresholds=demo_seed.DEMO_THRESHOLDS
        )
        kudos = year.kudos.copy()
        first = heatmap.next_id("recognition_kudos")
        kudos["id"] = np.arange(first, first + len(kudos))
        pk = dict(zip(kudos["kudos"], kudos["id"], strict=True))
        per = year.recipients.groupby("kudos").size()
        kudos["organization_id"] = organization.pk
        kudos["giver_id"] = kudos["giver"]
        kudos["team_id"] = kudos["team"].astype("Int64")
        kudos["listed"] = True
        kudos["hidden_reason"] = ""
        kudos["hidden_at"] = None
        kudos["hidden_by_id"] = None
        heatmap.copy_frame(
            "recognition_kudos",
            kudos[
                [
                    "id",
                    "organization_id",
                    "giver_id",
                    "team_id",
                    "message",
                    "visibility",
                    "points_each",
                    "created_at",
                    "listed",
                    "hidden_at",
                    "hidden_by_id",
                    "hidden_reason",
                ]
            ],
        )
        recipients = year.recipients.merge(
            kudos[["kudos", "id", "points_each", "created_at"]], on="kudos"
        )
        heatmap.copy_frame(
            "recognition_kudosrecipient",
            pd.DataFrame(
                {
                    "kudos_id": recipients["id"],
                    "employee_id": recipients["employee"],
                    "unit_id": recipients["unit"],
                    "points": recipients["points_each"],
                    "private": False,
                    "hidden": False,
                    "created_at": recipients["created_at"],
                }
            ),
        )
        heatmap.copy_frame(
            "recognition_kudos_values",
            pd.DataFrame(
                {
                    "kudos_id": year.values["kudos"].map(pk),
                    "companyvalue_id": year.values["value"].map(lambda s: values[s].pk),
                }
            ),
        )
        paid = kudos[kudos["points_each"] > 0]
        given = pd.DataFrame(
            {
                "organization_id": organization.pk,
                "employee_id": paid["giver"],
                "kind": "given",
                "points": -paid["points_each"] * paid["kudos"].map(per),
                "kudos_id": paid["id"],
                "created_at": paid["created_at"],
            }
        )
        credited = recipients[recipients["points_each"] > 0]
        received = pd.DataFrame(
            {
                "organization_id": organization.pk,
                "employee_id": credited["employee"],
                "kind": "received",
                "points": credited["points_each"],
                "kudos_id": credited["id"],
                "created_at": credited["created_at"],
            }
        )
        heatmap.copy_frame(
            "recognition_pointsentry", pd.concat([given, received], ignore_index=True)
        )
        for table in ("recognition_kudos",):
            heatmap.reset_sequence(table)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    progress(f"kudos copied in {time.perf_counter() - started:.0f} s")


def logins(organization):
    """An employee (in a unit with colleagues) and a manager of an area, with logins."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from servicechain.org import services as org_services
    from servicechain.org.models import Employee, Membership, Unit

    User = get_user_model()
    employee_user = User.objects.filter(username="bench-employee").first()
    if employee_user is None:
        person = (
            Employee.objects.filter(
                organization=organization, leave_date__isnull=True, is_manager=False
            )
            .order_by("pk")
            .first()
        )
        employee_user = org_services.user_create(
            username="bench-employee", password="bench-pass-123"
        )
        org_services.employee_link_user(employee=person, user=employee_user)
        org_services.membership_grant(
            user=employee_user, organization=organization, role="employee", unit=person.unit
        )
    manager_user = User.objects.filter(username="bench-manager").first()
    if manager_user is None:
        area = (
            Unit.objects.filter(organization=organization, kind="area")
            .annotate(children_count=Count("children"))
            .order_by("-children_count", "path")
            .first()
        )
        manager_user = org_services.user_create(username="bench-manager", password="bench-pass-123")
        org_services.membership_grant(
            user=manager_user, organization=organization, role="manager", unit=area
        )
    hr_user = User.objects.filter(username="bench-hr").first()
    if hr_user is None:
        hr_user = org_services.user_create(username="bench-hr", password="bench-pass-123")
    if not Membership.objects.filter(user=hr_user, organization=organization).exists():
        org_services.membership_grant(user=hr_user, organization=organization, role="hr_analyst")
    return employee_user, manager_user, hr_user


def timed_pages(client, url: str, repeat: int, marker: bytes) -> list[float]:
    first = client.get(url)
    assert first.status_code == 200 and marker in first.content, (url, first.status_code)
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        out.append(1000 * (time.perf_counter() - started))
        assert response.status_code == 200
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the small organisation instead")
    parser.add_argument("--reload", action="store_true", help="drop and reload the database")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    size = "small" if args.quick else "large"
    base = os.environ.get("DATABASE_URL") or DEFAULT_URL

    def progress(message: str) -> None:
        print(f"  {message}", flush=True)

    name, _ = prepare_database(base, size, fresh=args.reload)
    heatmap.setup_django(heatmap.database_url(base, name))
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from servicechain.org.models import Employee, Organization
    from servicechain.recognition import services
    from servicechain.recognition.models import AchievementRun, Award, Kudos
    from servicechain.surveys.models import CustomerResponse

    organization = Organization.objects.filter(slug__in=[SLUG, "demo"]).first()
    if organization is None:
        print(f"Loading the {size} organisation into {name} (once; later runs reuse it) …")
        organization = load_organisation(size, progress)
    today = timezone.localdate()
    if not Kudos.objects.filter(organization=organization).exists():
        print("Seeding a year of kudos (once) …")
        seed_kudos(organization, size, today, progress)
    else:
        print(f"Reusing the {size} organisation and its kudos in {name} (--reload to start afresh)")
    employee_user, manager_user, hr_user = logins(organization)

    clients = {}
    for key, user in (("employee", employee_user), ("manager", manager_user), ("hr", hr_user)):
        clients[key] = Client()
        clients[key].force_login(user)
    base_url = f"/o/{organization.slug}/recognition/"
    feed_ms = timed_pages(clients["employee"], base_url, args.repeat, b'class="feed"')
    spread_ms = timed_pages(clients["manager"], f"{base_url}spread/", args.repeat, b'id="spread"')
    hr_ms = timed_pages(
        clients["hr"], f"{base_url}spread/", max(3, args.repeat // 10), b'id="spread"'
    )

    Award.objects.filter(organization=organization).delete()
    started = time.perf_counter()
    run = AchievementRun.objects.create(organization=organization)
    awarded = services.achievements_evaluate(organization=organization, run=run)
    run_s = time.perf_counter() - started
    started = time.perf_counter()
    again = services.achievements_evaluate(organization=organization)
    rerun_s = time.perf_counter() - started

    posts = Kudos.objects.filter(organization=organization).count()
    people = Employee.objects.filter(organization=organization).count()
    ratings = CustomerResponse.objects.filter(wave__organization=organization).count()
    manager_unit = manager_user.memberships.get(organization=organization).unit

    def p(values, q):
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

    rows = [
        (
            "organisation",
            f"{people:,} employee records, {ratings:,} customer ratings ({connection.vendor})",
        ),
        ("kudos", f"{posts:,} posts in the last year"),
        (
            "feed page (employee)",
            f"p50 {statistics.median(feed_ms):.0f} ms, p95 {p(feed_ms, 0.95):.0f} ms",
        ),
        (
            f"spread page (manager of {manager_unit.name})",
            f"p50 {statistics.median(spread_ms):.0f} ms, p95 {p(spread_ms, 0.95):.0f} ms",
        ),
        ("spread page (HR, whole organisation)", f"p50 {statistics.median(hr_ms):.0f} ms"),
        ("full achievements run", f"{run_s:.1f} s, {awarded:,} badges"),
        ("second run (nothing new)", f"{rerun_s:.1f} s, {again} badges"),
    ]
    width = max(len(label) for label, _ in rows)
    print()
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    goals = {
        "feed p50 < 100 ms": statistics.median(feed_ms) < 100,
        "spread p50 < 200 ms": statistics.median(spread_ms) < 200,
        "achievements run < 60 s": run_s < 60,
    }
    print(
        "goals: " + ", ".join(f"{goal} {'met' if ok else 'MISSED'}" for goal, ok in goals.items())
    )
    print(
        json.dumps(
            {
                "posts": posts,
                "feed_p50_ms": round(statistics.median(feed_ms), 1),
                "spread_p50_ms": round(statistics.median(spread_ms), 1),
                "achievements_run_s": round(run_s, 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
