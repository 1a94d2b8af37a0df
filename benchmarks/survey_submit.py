"""Benchmark: survey responses submitted by token against `servicechain serve` on PostgreSQL.

    python benchmarks/survey_submit.py [--quick] [--clients 50] [--seconds 30]
                                       [--workers N] [--threads N] [--slice 2]

The script migrates the database in DATABASE_URL (default the local PostgreSQL), creates its
own organisation, an open census and enough invitations (tokens kept in memory only), then
starts `servicechain serve` (as shipped, unless --workers/--threads say otherwise) and, in a separate process, 50 concurrent clients that each
POST `{"answers": {...}}` to /api/respond/<token> over raw HTTP/1.1 on loopback (keep-alive
when the server offers it), each token once. A submission is *acknowledged* when the server
answers 201; afterwards the responses stored for the wave are counted: the two must match.
It finally deletes its organisation.

Then, on the same wave, database and machine, it runs the same load against the bare
baseline (benchmarks/bare_submit.py: a plain WSGI callable with psycopg doing only what a
token submission must — token look-up, the response row, the invitation's flag — under the
same gunicorn settings), and reports `ratio_to_bare`, our responses/s ÷ the baseline's.
Both servers run side by side and the clients load them in turns (`--slice` seconds each,
until each has had `--seconds`), so both see the same share of the machine's other work.
Absolute figures move with the machine and its load; the ratio from one run travels.

Prints a table and, as its last line,
{"responses_per_s": …, "p99_ms": …, "acknowledged": N, "stored": N,
 "bare_responses_per_s": …, "bare_p99_ms": …, "ratio_to_bare": …}.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

DEFAULT_DATABASE = "postgres://app:app@127.0.0.1:5432/app"
ROOT = Path(__file__).resolve().parent.parent
ANSWERS = {
    "ENG1": 4,
    "ENG2": 3,
    "ENG3": 5,
    "ENG4": 4,
    "ENG5": 4,
    "MGR1": 4,
    "MGR2": 3,
    "MGR3": 4,
    "MGR4": 2,
    "REC1": 3,
    "REC2": 4,
    "REC3": 2,
    "EMP1": 4,
    "EMP2": 4,
    "EMP3": 2,
    "EMP4": 5,
    "WEL1": 4,
    "WEL2": 4,
    "WEL3": 2,
    "WEL4": 3,
    "ENPS1": 8,
    "COMMENT": "Good team, busy Saturdays.",
}


# --------------------------------------------------------------------------- set-up (Django)


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SERVICECHAIN_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("SERVICECHAIN_HTTPS", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicechain.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def create_wave(invitations: int, units: int = 40) -> tuple[str, int, list[str]]:
    """An organisation with `units` stores, one employee per invitation, an open census."""
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from servicechain.org import services as org_services
    from servicechain.org.models import Employee, Unit
    from servicechain.surveys import services, tokens
    from servicechain.surveys.models import Invitation, Wave

    slug = f"bench-{secrets.token_hex(4)}"
    with transaction.atomic():
        org = org_services.organization_create(slug=slug, name="Survey benchmark")
        root = org_services.unit_create(organization=org, external_id="ROOT", name="Benchmark Ltd")
        stores = [
            org_services.unit_create(
                organization=org, external_id=f"S{i}", name=f"Store {i}", parent=root
            )
            for i in range(units)
        ]
        Employee.objects.bulk_create(
            (
                Employee(
                    organization=org,
                    external_id=f"E{i}",
                    unit=stores[i % units],
                    hire_date=dt.date(2022, 1, 1),
                )
                for i in range(invitations)
            ),
            batch_size=5000,
        )
        instrument = services.instrument_create(
            organization=org, name="Pulse", population="employee", template="engagement_pulse"
        )
        now = timezone.now()
        wave = services.wave_create(
            organization=org,
            instrument=instrument,
            name="Benchmark census",
            audience_unit=root,
            opens_at=now - dt.timedelta(minutes=5),
            closes_at=now + dt.timedelta(days=1),
        )
        Wave.objects.filter(pk=wave.pk).update(status=Wave.Status.OPEN)
        units_by_pk = {u.pk: u for u in Unit.objects.filter(organization=org)}
        issued = [tokens.new_token() for _ in range(invitations)]
        people = (
            Employee.objects.filter(organization=org).order_by("pk").values_list("pk", "unit_id")
        )
        Invitation.objects.bulk_create(
            (
                Invitation(
                    wave=wave,
                    token_hash=tokens.lookup_hash(token),
                    employee_id=pk,
                    unit_id=unit_id,
                    tenure_band="2-5y",
                    job_family="frontline",
                    sent_at=now,
                )
                for token, (pk, unit_id) in zip(issued, people, strict=True)
            ),
            batch_size=5000,
        )
        assert len(units_by_pk) == units + 1
    return slug, wave.pk, issued


def stored_responses(wave_id: int, issued: list[str] | None = None) -> int:
    """Responses stored for the wave (only those of the `issued` tokens, if given)."""
    from servicechain.surveys.models import Response
    from servicechain.surveys.tokens import submission_key

    stored = Response.objects.filter(wave_id=wave_id)
    if issued is None:
        return stored.count()
    keys = [submission_key(token) for token in issued]
    return sum(
        stored.filter(submission_key__in=keys[i : i + 10_000]).count()
        for i in range(0, len(keys), 10_000)
    )


def drop_organisation(slug: str) -> None:
    """Delete the benchmark's rows with plain DELETEs (the ORM's cascade is slow at 10^5 rows)."""
    from django.db import connection, transaction

    from servicechain.org.models import Organization

    org = Organization.objects.get(slug=slug)
    statements = [
        ("surveys_response", "wave_id IN (SELECT id FROM surveys_wave WHERE organization_id = %s)"),
        (
            "surveys_invitation",
            "wave_id IN (SELECT id FROM surveys_wave WHERE organization_id = %s)",
        ),
        ("surveys_draft", "wave_id IN (SELECT id FROM surveys_wave WHERE organization_id = %s)"),
        ("surveys_wave", "organization_id = %s"),
        (
            "surveys_instrumentitem",
            "instrument_id IN (SELECT id FROM surveys_instrument WHERE organization_id = %s)",
        ),
        ("surveys_instrument", "organization_id = %s"),
        ("org_employee", "organization_id = %s"),
        ("org_auditevent", "organization_id = %s"),
        ("org_unit", "organization_id = %s"),
        ("org_organization", "id = %s"),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for table, where in statements:
            cursor.execute(f"DELETE FROM {table} WHERE {where}", [org.pk])


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    port: int,
    workers: int,
    threads: int,
    database_url: str,
    log: Path | None = None,
    *,
    bare: bool = False,
) -> subprocess.Popen:
    """Start `servicechain serve` (or, with `bare`, benchmarks/bare_submit.py under the same
    gunicorn settings); its stderr goes to `log` if given (else a pipe, read on failure)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SERVICECHAIN_HTTPS": "0",
        "SERVICECHAIN_LOG_LEVEL": "WARNING",
        "SERVICECHAIN_LOGIN_THROTTLING": "0",
        # All 50 clients share 127.0.0.1, so the per-address survey-link limit would stop
        # them; it stays on (its cost is part of what is measured) at a rate they never reach.
        "SERVICECHAIN_SURVEY_LINK_RATE": "1000000",
        "SERVICECHAIN_SURVEY_LINK_BURST": "1000000",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if bare:
        command = [sys.executable, str(Path(__file__).with_name("bare_submit.py"))]
        command += ["--host", "127.0.0.1"]
    else:
        command = [sys.executable, "-m", "servicechain.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port)]
    # Only what was asked for: by default the server runs exactly as shipped.
    command += ["--workers", str(workers)] if workers else []
    command += ["--threads", str(threads)] if threads else []
    with log.open("ab") if log else contextlib.nullcontext(subprocess.PIPE) as stderr:
        server = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as reply:
                if reply.status == 200:
                    settle(server)
                    return server
        except OSError:
            time.sleep(0.2)
        if server.poll() is not None:
            output = log.read_bytes() if log else server.stderr.read()
            raise RuntimeError("the server exited: " + output.decode()[-2000:])
    raise RuntimeError("the server did not answer /healthz within 60 s")


def group_cpu_s(pgid: int) -> float:
    """CPU seconds used so far by the live processes of process group `pgid` (Linux /proc)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # Fields after the command's closing parenthesis: state, ppid, pgrp, …, utime, stime.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def settle(server: subprocess.Popen, window_s: float = 1.0, idle_share: float = 0.05) -> float:
    """Wait until the server's processes are idle; the seconds waited.

    `servicechain serve` starts its background-task worker beside gunicorn: loading Django
    there takes a few seconds of CPU, which would otherwise fall in the first seconds of the
    load and count against the submissions. Idle means under `idle_share` of a core over
    `window_s`; a server that never settles is loaded after 60 s anyway.
    """
    if not Path("/proc/self/stat").exists():
        return 0.0
    started = time.perf_counter()
    used = group_cpu_s(server.pid)
    while time.perf_counter() - started < 60:
        time.sleep(window_s)
        now = group_cpu_s(server.pid)
        if now - used < idle_share * window_s:
            break
        used = now
    return time.perf_counter() - started


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


# --------------------------------------------------------------------------- the load (own process)


async def client(
    port: int, tokens: list[str], cursor: list[int], stop_at: float, results: list
) -> None:
    """One connection's worth of submissions; reconnects whenever the server closes."""
    body = json.dumps({"answers": ANSWERS}).encode()
    reader = writer = None
    while time.perf_counter() < stop_at and cursor[0] < len(tokens):
        token = tokens[cursor[0]]
        cursor[0] += 1
        request = (
            f"POST /api/respond/{token} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            status, keep_alive = await read_response(reader)
        except (ConnectionError, asyncio.IncompleteReadError):
            status, keep_alive = None, False
        results.append((status, time.perf_counter() - started))
        if not keep_alive and writer is not None:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def warm_up(port: int, connections: int, limit_s: float = 90.0) -> tuple[int, float]:
    """Send /healthz until the server answers every request quickly.

    Each server process imports its views and opens its database connection on its first
    request (seconds, on a busy machine); that start-up is not what is measured here.
    """
    started = time.perf_counter()
    recent: list[float] = []
    sent = 0

    async def one() -> None:
        nonlocal sent
        t0 = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        await read_response(reader)
        writer.close()
        recent.append(time.perf_counter() - t0)
        sent += 1

    while time.perf_counter() - started < limit_s:
        await asyncio.gather(*(one() for _ in range(connections)))
        if len(recent) >= 5 * connections and max(recent[-5 * connections :]) < 0.1:
            break
    return sent, time.perf_counter() - started


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {
        k.strip().lower(): v.strip()
        for k, _, v in (line.partition(":") for line in lines[1:] if line)
    }
    await reader.readexactly(int(headers.get("content-length", "0")))
    keep_alive = headers.get("connection", "").lower() != "close" and lines[0].startswith(
        "HTTP/1.1"
    )
    return status, keep_alive


def generate_load(config_file: str, out_file: str) -> None:
    """Load the servers in turns: a slice of `slice_s` seconds each, until each had `seconds`.

    Interleaving short slices (A, B, A, B, …) gives both servers the same share of whatever
    else the machine is doing, so their ratio holds on a busy machine too.
    """
    config = json.loads(Path(config_file).read_text())
    clients, seconds, slice_s = config["clients"], config["seconds"], config["slice_s"]
    targets = [
        {"port": t["port"], "tokens": Path(t["tokens"]).read_text().split(), "cursor": [0]}
        for t in config["targets"]
    ]
    for target in targets:
        target.update(results=[], elapsed=0.0)

    async def main() -> None:
        for target in targets:
            target["warm_up"] = await warm_up(target["port"], clients)
        while any(t["elapsed"] < seconds - 1e-9 for t in targets):
            for t in targets:
                started = time.perf_counter()
                stop_at = started + min(slice_s, seconds - t["elapsed"])
                args = (t["port"], t["tokens"], t["cursor"], stop_at, t["results"])
                await asyncio.gather(*(client(*args) for _ in range(clients)))
                t["elapsed"] += time.perf_counter() - started

    cpu = time.process_time()
    asyncio.run(main())
    client_cpu_s = time.process_time() - cpu
    outcomes = [
        {
            "elapsed": t["elapsed"],
            "warm_up": list(t["warm_up"]),
            "client_cpu_s": client_cpu_s,
            "results": t["results"],
        }
        for t in targets
    ]
    Path(out_file).write_text(json.dumps(outcomes))


# --------------------------------------------------------------------------- report


def run_loads(args, workers: int, seconds: float, issued: dict[bool, list[str]]) -> list[dict]:
    """Start one server per entry of `issued` (key: bare?), load them in turns, stop them."""
    servers = []
    try:
        for bare in issued:
            port = free_port()
            servers.append(
                (port, start_server(port, workers, args.threads, args.database, bare=bare))
            )
        with tempfile.TemporaryDirectory() as folder:
            targets = []
            for (port, _), tokens in zip(servers, issued.values(), strict=True):
                token_file = Path(folder) / f"tokens-{port}"
                token_file.write_text("\n".join(tokens))
                targets.append({"port": port, "tokens": str(token_file)})
            config, out_file = Path(folder) / "load.json", Path(folder) / "results.json"
            config.write_text(
                json.dumps(
                    {
                        "targets": targets,
                        "clients": args.clients,
                        "seconds": seconds,
                        "slice_s": args.slice,
                    }
                )
            )
            load = [sys.executable, __file__, "--load", str(config), str(out_file)]
            subprocess.run(load, check=True)
            return json.loads(out_file.read_text())
    finally:
        for _, server in servers:
            stop_server(server)


def server_shape(workers: int | None, threads: int | None) -> str:
    from servicechain.cli import SERVE_THREADS, serve_workers

    defaults = " (serve's defaults)" if workers is None and threads is None else ""
    processes = serve_workers(workers)
    threads = threads or SERVE_THREADS
    kind = "sync workers, a connection per request" if threads == 1 else "gthread, keep-alive"
    return f"{processes} process(es) × {threads} thread(s), {kind}{defaults}"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--quick", action="store_true", help="5 s instead of 30 s")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument(
        "--workers", type=int, default=None, help="server processes (default: serve's, 2×cores+1)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads per process (default: serve's, 1 = sync workers; above 1: gthread)",
    )
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE)
    parser.add_argument(
        "--slice",
        type=float,
        default=2.0,
        help="seconds of load on one server before the other's turn (default 2)",
    )
    parser.add_argument("--load", nargs=2, help=argparse.SUPPRESS)  # internal: the load process
    args = parser.parse_args()
    if args.load:
        generate_load(*args.load)
        return 0

    seconds = args.seconds or (5.0 if args.quick else 30.0)
    workers = args.workers
    setup_django(args.database)
    # Enough tokens for 4,000 submissions a second, for each server: no run runs out.
    planned = int(seconds * 4000) + 1000
    t0 = time.perf_counter()
    slug, wave_id, issued = create_wave(2 * planned)
    setup_s = time.perf_counter() - t0
    try:
        # Ours and the bare baseline on the same wave and machine, loaded in turns.
        outcome, bare = run_loads(
            args, workers, seconds, {False: issued[:planned], True: issued[planned:]}
        )
        stored = stored_responses(wave_id, issued[:planned])
        bare_stored = stored_responses(wave_id) - stored
    finally:
        drop_organisation(slug)

    ours = summarise(outcome)
    baseline = summarise(bare)
    ratio = ours["rate"] / baseline["rate"] if baseline["rate"] else float("nan")
    rows = [
        ("database", args.database.split("@")[-1]),
        ("server", f"servicechain serve, {server_shape(workers, args.threads)}"),
        ("baseline", "benchmarks/bare_submit.py: plain WSGI + psycopg, same gunicorn settings"),
        ("clients", f"{args.clients} concurrent, raw HTTP/1.1 on loopback, separate process"),
        ("set-up", f"{2 * planned:,} invitations in {setup_s:.1f} s"),
        (
            "timed run",
            f"{outcome['elapsed']:.1f} s / {bare['elapsed']:.1f} s (ours / baseline), "
            f"in turns of {args.slice:g} s",
        ),
    ]
    for name, run, count in (
        ("servicechain", ours, stored),
        ("bare baseline", baseline, bare_stored),
    ):
        rows += [
            (name, ""),
            ("  warm-up", "{:,} GET /healthz until all fast ({:.1f} s)".format(*run["warm_up"])),
            ("  submissions sent", f"{run['sent']:,}"),
            ("  acknowledged (201)", f"{run['acknowledged']:,}"),
            ("  other answers", run["failures"]),
            ("  stored responses", f"{count:,}"),
            ("  throughput", f"{run['rate']:,.0f} responses/s"),
            ("  latency p50 / p90 / p99", "{:.1f} / {:.1f} / {:.1f} ms".format(*run["p"])),
            ("  latency max", f"{run['max']:.1f} ms"),
            ("  acknowledged == stored", "yes" if run["acknowledged"] == count else "NO"),
        ]
    rows.append(("load generator CPU", f"{outcome['client_cpu_s']:.1f} s (warm-ups included)"))
    rows.append(("ratio to bare", f"{ratio:.2f} (servicechain's responses/s ÷ the baseline's)"))
    width = max(len(name) for name, _ in rows)
    print("Survey submission benchmark")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    acknowledged = ours["acknowledged"]
    print(
        json.dumps(
            {
                "responses_per_s": round(ours["rate"], 1),
                "p99_ms": round(ours["p"][2], 1),
                "acknowledged": acknowledged,
                "stored": stored,
                "bare_responses_per_s": round(baseline["rate"], 1),
                "bare_p99_ms": round(baseline["p"][2], 1),
                "ratio_to_bare": round(ratio, 3),
            }
        )
    )
    return 0 if acknowledged == stored and baseline["acknowledged"] == bare_stored else 1


def summarise(outcome: dict) -> dict:
    """Throughput, latency percentiles and non-201 answers of one load run."""
    results, elapsed = outcome["results"], outcome["elapsed"]
    acknowledged = sum(1 for status, _ in results if status == 201)
    failures: dict[str, int] = {}
    for status, _ in results:
        if status != 201:
            failures[str(status)] = failures.get(str(status), 0) + 1
    latencies = [1000 * taken for status, taken in results if status == 201]
    return {
        **outcome,
        "sent": len(results),
        "acknowledged": acknowledged,
        "failures": ", ".join(f"{k}: {v}" for k, v in sorted(failures.items())) or "none",
        "rate": acknowledged / elapsed if elapsed else 0.0,
        "p": [percentile(latencies, q) for q in (50, 90, 99)],
        "max": max(latencies, default=float("nan")),
    }


if __name__ == "__main__":
    sys.exit(main())
