"""Benchmark: 50 people using servicechain at once for 10 minutes, on PostgreSQL.

    python benchmarks/load.py [--quick] [--users 50] [--seconds 600] [--think 2]
                              [--workers N] [--threads N] [--reload]

Who. Simulated people, each with a think time between requests (uniformly 0.5-1.5 x --think
seconds), in the mix below; with --quick 20 people for 90 s.
* respondents (40 %): open a survey link, save a draft (the form's autosave), submit; then
  the next link, as a new person;
* managers (24 %): home, engagement page, heatmap API, comments, action plans, notifications;
* HR analysts (16 %): waves list, response rates of the open census (live), results of a
  closed wave (API), psychometrics, CSV exports (heatmap, comments);
* contact-centre agents (12 %): my day, a lunch-move preview; team leads (8 %): team day,
  requests.

How. A bounded asyncio client (httpx, in the [bench] extra), not locust: the scenarios are a
few lines of async code each, one process holds all 50 people, and locust would add gevent,
a web UI and a dependency the project does not need. Each person has one httpx.AsyncClient
(own cookie jar, one connection at a time) and logs in through the login form, CSRF cookie
and token included, as a browser does; respondents post the HTML form with its CSRF token.
The load runs in its own process; the server is `servicechain serve` as shipped (task
worker included) unless --workers/--threads say otherwise.

Where. The demo organisation (`servicechain demo`'s small seed, its logins shared by the
people of one role) in the benchmark's own database `bench_load` on the server of
DATABASE_URL (default postgres://app:app@127.0.0.1:5432/app). It is seeded once and kept;
it is seeded again when it was seeded on another day (the contact centre's plans are for
the seed day) or with --reload. Respondents answer an open census of an organisation made
for the run (benchmarks/survey_submit.py's `create_wave`: one link per submission, tokens in
memory only), deleted afterwards.

Then. Per endpoint: requests, errors (a status other than the expected one, a timeout or a
broken connection), p50/p95/p99; throughput; and the reconciliation: submissions
acknowledged (302 to the thank-you page) == responses stored == invitations marked
answered, and no submission key twice. Prints a table and, as its last line,
{"users", "seconds", "requests", "errors", "requests_per_s", "responses_acknowledged",
"responses_stored", "duplicates", "p99_ms": {endpoint: ms}}.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import heatmap
import survey_submit

DATABASE_NAME = "bench_load"
ORG = "demo"
# The share of each kind of person in the mix, and the demo login each one uses.
MIX = [
    ("respondent", 0.40, None),
    ("manager", 0.24, "manager"),
    ("hr_analyst", 0.16, "hr"),
    ("agent", 0.12, "agent"),
    ("team_lead", 0.08, "lead"),
]
# The pages and API calls each kind of logged-in person goes round, in order: (endpoint, path);
# {org}, {open_wave}, {closed_wave} and {team} are the demo's (see `demo_targets`).
ROUNDS = {
    "manager": [
        ("manager: home", "/o/{org}/"),
        ("manager: engagement", "/o/{org}/insights/"),
        ("manager: heatmap API", "/api/orgs/{org}/insights/heatmap"),
        ("manager: comments", "/o/{org}/insights/comments/"),
        ("manager: plans", "/o/{org}/insights/plans/"),
        ("manager: notifications", "/o/{org}/notifications/"),
    ],
    "hr_analyst": [
        ("analyst: waves", "/o/{org}/surveys/"),
        ("analyst: response rates API", "/api/orgs/{org}/waves/{open_wave}/response-rates"),
        ("analyst: closed-wave results API", "/api/orgs/{org}/waves/{closed_wave}/results"),
        ("analyst: psychometrics", "/o/{org}/surveys/waves/{closed_wave}/psychometrics/"),
        ("analyst: heatmap CSV", "/o/{org}/insights/?format=csv&table=heatmap"),
        ("analyst: comments CSV", "/o/{org}/insights/comments/?format=csv"),
    ],
    "agent": [("agent: my day", "/o/{org}/contact-centre/me/")],
    "team_lead": [
        ("lead: team day", "/o/{org}/contact-centre/teams/{team}/"),
        ("lead: requests", "/o/{org}/contact-centre/teams/{team}/requests/"),
    ],
}
RESPONDENT = ["respondent: open link", "respondent: save draft", "respondent: submit"]
PREVIEW = "agent: lunch-move preview"
# The report's order: logging in, then each kind of person's endpoints as they go round.
REPORT_ORDER = ["login form", "log in", *RESPONDENT]
REPORT_ORDER += [endpoint for rounds in ROUNDS.values() for endpoint, _ in rounds] + [PREVIEW]
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
MOVE_FORM = re.compile(r'<form class="move-form".*?</form>', re.S)
SELECT = re.compile(r'<select[^>]*name="(\w+)"[^>]*>(.*?)</select>', re.S)
# The server's stderr (its error log) of the last run.
SERVER_LOG = Path(tempfile.gettempdir()) / "servicechain-load-server.log"


# --------------------------------------------------------------------------- set-up (Django)


def prepare_database(base_url: str, *, reload: bool) -> str:
    """The benchmark's own database with today's demo in it; its URL."""
    import psycopg

    url = heatmap.database_url(base_url, DATABASE_NAME)
    heatmap.ensure_database(base_url, DATABASE_NAME, fresh=reload)
    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        seeded = None
        if conn.execute("SELECT to_regclass('org_organization') IS NOT NULL").fetchone()[0]:
            seeded = conn.execute(
                "SELECT created_at FROM org_organization WHERE slug = %s", (ORG,)
            ).fetchone()
    if seeded and seeded[0].astimezone().date() != dt.date.today():
        heatmap.ensure_database(base_url, DATABASE_NAME, fresh=True)
    survey_submit.setup_django(url)
    from servicechain import demo

    if demo.existing_demo() is None:
        print("Seeding the demo organisation into", DATABASE_NAME, "(once a day) …", flush=True)
        demo.seed_demo(size="small", progress=lambda line: print(line, flush=True))
    return url


def demo_targets() -> dict:
    """What the people open: the demo's waves, the contact-centre team, the logins."""
    from servicechain import demo
    from servicechain.contactcentre.models import Team
    from servicechain.surveys.models import Wave

    waves = Wave.objects.filter(organization__slug=ORG, instrument__population="employee")
    closed = waves.filter(status=Wave.Status.CLOSED).order_by("-closes_at").first()
    census = waves.filter(status=Wave.Status.OPEN).order_by("-opens_at").first()
    team = Team.objects.filter(centre__organization__slug=ORG).order_by("pk").first()
    passwords = {login.username: login.password for login in demo.all_logins()}
    return {
        "closed_wave": closed.pk,
        "open_wave": census.pk,
        "team": team.slug,
        "passwords": {username: passwords[username] for _, _, username in MIX if username},
    }


def reconcile(wave_id: int) -> dict:
    """Responses stored for the benchmark's wave, distinct keys, invitations answered."""
    from django.db.models import Count

    from servicechain.surveys.models import Invitation, Response

    responses = Response.objects.filter(wave_id=wave_id)
    stored = responses.count()
    keys = responses.values("submission_key").distinct().count()
    repeated = responses.values("submission_key").annotate(n=Count("id")).filter(n__gt=1).count()
    answered = Invitation.objects.filter(wave_id=wave_id, responded=True).count()
    return {"stored": stored, "duplicates": stored - keys + repeated, "answered": answered}


def people(users: int) -> list[str]:
    """`users` roles in MIX's proportions (largest remainder), at least one of each."""
    exact = [share * users for _, share, _ in MIX]
    counts = [max(1, int(x)) for x in exact]
    by_remainder = sorted(range(len(MIX)), key=lambda i: exact[i] - int(exact[i]), reverse=True)
    for i in by_remainder[: max(0, users - sum(counts))]:
        counts[i] += 1
    return [MIX[i][0] for i, n in enumerate(counts) for _ in range(n)]


# --------------------------------------------------------------------------- the people (own process)


@dataclass
class Run:
    base: str
    stop_at: float
    think: float
    timeout: float
    targets: dict
    tokens: list[str]
    records: list  # (endpoint, ok, seconds, detail)
    rng: random.Random

    def next_token(self) -> str | None:
        return self.tokens.pop() if self.tokens else None


async def call(run: Run, client, endpoint: str, method: str, path: str, *, expect=(200,), **kw):
    """One request, timed and recorded; the response, or None when it did not come back."""
    import httpx

    started = time.perf_counter()
    try:
        reply = await client.request(method, path, timeout=run.timeout, **kw)
    except httpx.HTTPError as problem:
        run.records.append((endpoint, False, time.perf_counter() - started, type(problem).__name__))
        return None
    ok = reply.status_code in expect
    run.records.append((endpoint, ok, time.perf_counter() - started, str(reply.status_code)))
    return reply if ok else None


async def think(run: Run) -> bool:
    """Pause as a person reading would; False once the run is over."""
    await asyncio.sleep(run.think * run.rng.uniform(0.5, 1.5))
    return time.perf_counter() < run.stop_at


async def log_in(run: Run, client, username: str) -> bool:
    page = await call(run, client, "login form", "GET", "/accounts/login/")
    if page is None:
        return False
    token = CSRF_FIELD.search(page.text).group(1)
    form = {"csrfmiddlewaretoken": token, "username": username}
    form["password"] = run.targets["passwords"][username]
    done = await call(run, client, "log in", "POST", "/accounts/login/", data=form, expect=(302,))
    return done is not None


async def respondent(run: Run, client_factory) -> None:
    while time.perf_counter() < run.stop_at:
        token = run.next_token()
        if token is None:
            return
        async with client_factory() as client:
            await answer_survey(run, client, token)


async def answer_survey(run: Run, client, token: str) -> None:
    opened, saved, submitted = RESPONDENT
    page = await call(run, client, opened, "GET", f"/s/{token}/")
    if page is None or not await think(run):
        return
    form = {"csrfmiddlewaretoken": CSRF_FIELD.search(page.text).group(1)}
    half = dict(list(survey_submit.ANSWERS.items())[:10])
    draft = await call(run, client, saved, "POST", f"/s/{token}/draft", data=form | half)
    if draft is None or not await think(run):
        return
    await call(
        run,
        client,
        submitted,
        "POST",
        f"/s/{token}/",
        data=form | survey_submit.ANSWERS,
        expect=(302,),
    )


async def staff(run: Run, client, role: str) -> None:
    """A logged-in person going round their pages, in order, from a random start."""
    username = dict((r, u) for r, _, u in MIX)[role]
    if not await log_in(run, client, username):
        return
    targets = {"org": ORG, **run.targets}
    paths = [(endpoint, path.format(**targets)) for endpoint, path in ROUNDS[role]]
    step = run.rng.randrange(len(paths))
    while await think(run):
        endpoint, path = paths[step % len(paths)]
        step += 1
        page = await call(run, client, endpoint, "GET", path)
        if role == "agent" and page is not None and await think(run):
            await preview_lunch_move(run, client, page.text)


async def preview_lunch_move(run: Run, client, my_day: str) -> None:
    """On the my-day page, pick a new time for lunch (or a colleague to swap it with; else
    another break) and preview the move, as the page's form does when a choice is made."""
    forms = MOVE_FORM.findall(my_day)
    lunches = [f for f in forms if "lunch" in f.lower()] or forms
    if not lunches:
        return
    form = run.rng.choice(lunches)
    fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form))
    choices = {
        name: values
        for name, options in SELECT.findall(form)
        if (values := re.findall(r'<option value="([^"]+)"', options))
    }
    if choices:
        name = run.rng.choice(sorted(choices))
        fields[name] = run.rng.choice(choices[name])
    path = f"/o/{ORG}/contact-centre/me/preview/"
    await call(run, client, PREVIEW, "GET", path, params=fields)


async def person(run: Run, role: str, delay: float) -> None:
    import httpx

    await asyncio.sleep(delay)

    def client_factory():
        return httpx.AsyncClient(
            base_url=run.base, follow_redirects=False, limits=httpx.Limits(max_connections=1)
        )

    if role == "respondent":
        await respondent(run, client_factory)
        return
    async with client_factory() as client:
        await staff(run, client, role)


def generate_load(config_file: str, out_file: str) -> None:
    config = json.loads(Path(config_file).read_text())
    roles, seconds = config["roles"], config["seconds"]

    async def main() -> dict:
        warm = await survey_submit.warm_up(config["port"], min(10, len(roles)))
        started = time.perf_counter()
        run = Run(
            base=f"http://127.0.0.1:{config['port']}",
            stop_at=started + seconds,
            think=config["think"],
            timeout=config["timeout"],
            targets=config["targets"],
            tokens=list(reversed(config["tokens"])),
            records=[],
            rng=random.Random(config["seed"]),
        )
        # People arrive over the first tenth of the run (at most 10 s), not all in one instant.
        ramp = min(10.0, seconds / 10)
        load_before = os.getloadavg()
        await asyncio.gather(
            *(person(run, role, ramp * i / len(roles)) for i, role in enumerate(roles))
        )
        return {
            "elapsed": time.perf_counter() - started,
            "warm_up": list(warm),
            "records": run.records,
            "load_average": [load_before, os.getloadavg()],
        }

    cpu = time.process_time()
    outcome = asyncio.run(main())
    outcome["client_cpu_s"] = time.process_time() - cpu
    Path(out_file).write_text(json.dumps(outcome))


# --------------------------------------------------------------------------- report


def run_load(args, url: str, config: dict) -> dict:
    """Start the server, run the people in their own process, stop the server."""
    port = survey_submit.free_port()
    SERVER_LOG.unlink(missing_ok=True)
    server = survey_submit.start_server(port, args.workers, args.threads, url, log=SERVER_LOG)
    try:
        with tempfile.TemporaryDirectory() as folder:
            config_file, out_file = Path(folder) / "config.json", Path(folder) / "out.json"
            config_file.write_text(json.dumps({**config, "port": port}))
            load = [sys.executable, __file__, "--load", str(config_file), str(out_file)]
            subprocess.run(load, check=True)
            return json.loads(out_file.read_text())
    finally:
        survey_submit.stop_server(server)


def endpoint_table(records: list) -> tuple[list[tuple], dict]:
    """One row per endpoint (in first-seen order) and the p99 of each, in ms."""
    by_endpoint: dict[str, list] = defaultdict(list)
    for endpoint, ok, seconds, detail in records:
        by_endpoint[endpoint].append((ok, 1000 * seconds, detail))
    rows, p99 = [], {}
    for endpoint, calls in sorted(
        by_endpoint.items(), key=lambda item: REPORT_ORDER.index(item[0])
    ):
        taken = [ms for _, ms, _ in calls]
        failures: dict[str, int] = defaultdict(int)
        for ok, _, detail in calls:
            if not ok:
                failures[detail] += 1
        p = [survey_submit.percentile(taken, q) for q in (50, 95, 99)]
        p99[endpoint] = round(p[2], 1)
        what = ", ".join(f"{k}: {v}" for k, v in sorted(failures.items()))
        rows.append((endpoint, len(calls), sum(failures.values()), *p, max(taken), what))
    return rows, p99


def print_report(header: list[tuple[str, str]], rows: list[tuple], footer: list) -> None:
    width = max(len(name) for name, _ in header + footer)
    print("Load benchmark")
    for name, value in header:
        print(f"  {name:<{width}}  {value}")
    names = max(len(r[0]) for r in rows)
    print(
        f"\n  {'endpoint':<{names}}  {'requests':>8}  {'errors':>6}  "
        f"{'p50 ms':>8}  {'p95 ms':>8}  {'p99 ms':>8}  {'max ms':>8}"
    )
    for endpoint, n, errors, p50, p95, p99, top, what in rows:
        print(
            f"  {endpoint:<{names}}  {n:>8,}  {errors:>6}  {p50:>8.0f}  {p95:>8.0f}  "
            f"{p99:>8.0f}  {top:>8.0f}" + (f"  ({what})" if what else "")
        )
    print()
    for name, value in footer:
        print(f"  {name:<{width}}  {value}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--quick", action="store_true", help="20 people for 90 s")
    parser.add_argument("--users", type=int, default=None, help="people (default 50; quick 20)")
    parser.add_argument("--seconds", type=float, default=None, help="default 600; quick 90")
    parser.add_argument("--think", type=float, default=2.0, help="mean think time, seconds")
    parser.add_argument("--timeout", type=float, default=60.0, help="per request, seconds")
    parser.add_argument("--workers", type=int, default=None, help="server processes")
    parser.add_argument("--threads", type=int, default=None, help="threads per process")
    parser.add_argument("--reload", action="store_true", help="seed the demo afresh")
    parser.add_argument(
        "--database",
        default=os.environ.get("DATABASE_URL") or survey_submit.DEFAULT_DATABASE,
        help="a PostgreSQL server URL; the benchmark works in its own database there",
    )
    parser.add_argument("--load", nargs=2, help=argparse.SUPPRESS)  # internal: the people
    args = parser.parse_args()
    if args.load:
        generate_load(*args.load)
        return 0
    if not args.database.startswith(("postgres://", "postgresql://")):
        parser.error("the load benchmark runs on PostgreSQL: --database postgres://…")

    users = args.users or (20 if args.quick else 50)
    seconds = args.seconds or (90.0 if args.quick else 600.0)
    t0 = time.perf_counter()
    url = prepare_database(args.database, reload=args.reload)
    roles = people(users)
    # More links than the respondents could ever use: one cycle takes at least ~2 think times.
    planned = int(roles.count("respondent") * seconds / max(0.2, args.think)) + 100
    slug, wave_id, issued = survey_submit.create_wave(planned)
    setup_s = time.perf_counter() - t0
    config = {
        "roles": roles,
        "seconds": seconds,
        "think": args.think,
        "timeout": args.timeout,
        "targets": demo_targets(),
        "tokens": issued,
        "seed": 7,
    }
    try:
        outcome = run_load(args, url, config)
        stored = reconcile(wave_id)
    finally:
        survey_submit.drop_organisation(slug)

    records, elapsed = outcome["records"], outcome["elapsed"]
    rows, p99 = endpoint_table(records)
    errors = sum(1 for _, ok, _, _ in records if not ok)
    acknowledged = sum(1 for e, ok, _, _ in records if e == RESPONDENT[2] and ok)
    unanswered = sum(1 for e, ok, _, _ in records if e == RESPONDENT[2] and not ok)
    rate = len(records) / elapsed if elapsed else 0.0
    before, after = outcome["load_average"]
    mix = ", ".join(f"{roles.count(r)} {r.replace('_', ' ')}s" for r, _, _ in MIX)
    header = [
        ("database", f"{url.split('@')[-1]} (demo, small)"),
        ("server", "servicechain serve, " + survey_submit.server_shape(args.workers, args.threads)),
        ("people", f"{users}: {mix}"),
        ("think time", f"{args.think * 0.5:.1f}-{args.think * 1.5:.1f} s between requests"),
        ("client", "httpx.AsyncClient per person, one process, login form + CSRF"),
        ("set-up", f"{setup_s:.0f} s ({planned:,} survey links)"),
        ("warm-up", "{:,} GET /healthz until all fast ({:.1f} s)".format(*outcome["warm_up"])),
        (
            "timed run",
            f"{elapsed:.0f} s (people arrive over the first {min(10, seconds / 10):.0f} s)",
        ),
        (
            "machine",
            f"{os.cpu_count()} cores; load average {before[0]:.1f} before, {after[0]:.1f} after",
        ),
        ("client CPU", f"{outcome['client_cpu_s']:.1f} s"),
        ("server log", str(SERVER_LOG)),
    ]
    footer = [
        ("requests", f"{len(records):,} ({rate:.1f}/s)"),
        ("errors", f"{errors}"),
        ("responses acknowledged", f"{acknowledged:,} (302 to the thank-you page)"),
        ("submissions not acknowledged", f"{unanswered}"),
        ("responses stored", f"{stored['stored']:,}"),
        ("invitations marked answered", f"{stored['answered']:,}"),
        ("duplicate submission keys", f"{stored['duplicates']}"),
        (
            "acknowledged == stored",
            "yes" if acknowledged == stored["stored"] == stored["answered"] else "NO",
        ),
    ]
    print_report(header, rows, footer)
    print(
        json.dumps(
            {
                "users": users,
                "seconds": round(elapsed),
                "requests": len(records),
                "errors": errors,
                "requests_per_s": round(rate, 1),
                "responses_acknowledged": acknowledged,
                "responses_stored": stored["stored"],
                "duplicates": stored["duplicates"],
                "p99_ms": p99,
            }
        )
    )
    consistent = acknowledged == stored["stored"] == stored["answered"]
    return 0 if consistent and not stored["duplicates"] and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
