"""The `servicechain` command (DESIGN §2 "CLI")."""

from __future__ import annotations

import argparse
import atexit
import json
import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path

# `serve` runs gunicorn's sync worker unless told otherwise (see `--threads`).
SERVE_THREADS = 1


# Where `servicechain demo` keeps its database unless told otherwise.
DEMO_DB = "servicechain-demo.sqlite3"


class CommandLineError(Exception):
    """A problem the person at the terminal can fix; printed as one line, never a traceback."""


def _setup_django() -> None:
    _use_demo_database_nearby()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicechain.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as problem:
        raise CommandLineError(str(problem)) from None


def _use_demo_database_nearby() -> None:
    """Next to a demo (./servicechain-demo.sqlite3) and with no DATABASE_URL, work on the demo.

    Commands such as `servicechain manage create_organisation` or `servicechain import` run
    beside a demo are meant for it; without this they would look for another database and
    for a secret key the demo keeps beside its own.
    """
    if os.environ.get("DATABASE_URL") or not Path(DEMO_DB).is_file():
        return
    _demo_environment(Path(DEMO_DB))
    print(
        f"servicechain: using the demo database ./{DEMO_DB} (set DATABASE_URL for another one)",
        file=sys.stderr,
    )


def _demo_environment(db: Path, *, port: int | None = None) -> None:
    """Settings for the demo: a local SQLite file, plain HTTP on loopback, a kept secret key.

    With `port`, links in e-mails (survey invitations) point at the server the demo runs.
    """
    if port is not None:
        os.environ.setdefault("SERVICECHAIN_SITE_URL", f"http://127.0.0.1:{port}")
    db = db.resolve()
    db.parent.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("SERVICECHAIN_HTTPS", "0")
    # The demo prints its e-mails (invitation links included) instead of sending them.
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
    os.environ.setdefault("SERVICECHAIN_ALLOW_CONSOLE_EMAIL", "1")
    key_file = db.with_name(db.name + ".secret")
    if "SERVICECHAIN_SECRET_KEY" not in os.environ:
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(50))
            key_file.chmod(0o600)
        os.environ["SERVICECHAIN_SECRET_KEY"] = key_file.read_text().strip()


def cmd_demo(args: argparse.Namespace) -> int:
    _demo_environment(Path(args.db), port=args.port)
    _setup_django()
    from django.core.management import call_command

    from servicechain import demo

    call_command("migrate", interactive=False, verbosity=0)
    organization = demo.existing_demo()
    if organization is None:
        print(f"Seeding a {args.size} synthetic organisation into {args.db} …", flush=True)
        organization = demo.seed_demo(size=args.size, seed=args.seed, progress=print)
    url = f"http://127.0.0.1:{args.port}/"
    print(f"\nservicechain demo — {organization.name}\n  {url}\n\nLog in as (username / password):")
    for login in demo.all_logins():
        print(f"  {login.role:<11} {login.username} / {login.password}   ({login.note})")
    print(flush=True)
    if args.no_serve:
        return 0
    _start_task_worker()
    return _serve(host="127.0.0.1", port=args.port, workers=1, threads=8)


# The background-task worker `serve` and `demo` run beside the web server (servicechain.worker).
TASK_WORKER = ["manage", "task_worker", "--queue-name", "*", "--no-startup-delay", "--no-reload"]
# Seconds before a task worker that ended (killed, out of memory) is replaced.
TASK_WORKER_RESTART_S = 2.0


def _start_task_worker() -> None:
    """Run the background-task worker beside the web server, and replace it if it ends.

    Long analyses (driver impact, linkage, schedules) are queued as tasks; without a worker
    they would wait forever. The worker is a child process that ends with the server; a
    thread of this process starts another one whenever it ends on its own (gunicorn reaps
    the dead child, so `poll()` sees it end either way).
    """
    lock, stopping = threading.Lock(), threading.Event()
    current = [_task_worker_process()]

    def supervise() -> None:
        while not stopping.wait(1.0):
            if current[0].poll() is None:
                continue
            print(
                f"servicechain: the task worker (pid {current[0].pid}) ended; "
                f"starting another in {TASK_WORKER_RESTART_S:.0f} s",
                file=sys.stderr,
                flush=True,
            )
            if stopping.wait(TASK_WORKER_RESTART_S):
                return
            with lock:
                if not stopping.is_set():
                    current[0] = _task_worker_process()

    def stop() -> None:
        with lock:
            stopping.set()
        _stop(current[0])

    threading.Thread(target=supervise, name="task-worker-supervisor", daemon=True).start()
    atexit.register(stop)


def _task_worker_process() -> subprocess.Popen:
    # A fixed argv (this interpreter and literal arguments) and no shell: nothing from outside.
    return subprocess.Popen(  # nosec B603
        [sys.executable, "-m", "servicechain.cli", *TASK_WORKER], env=os.environ.copy()
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def gunicorn_settings(*, host: str, port: int, workers: int, threads: int) -> dict:
    """The gunicorn settings of `serve` (benchmarks/bare_submit.py serves its baseline with them)."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "accesslog": os.environ.get("SERVICECHAIN_ACCESS_LOG") or None,
        # Survey tokens in request lines are logged as a hash prefix, never in clear.
        "logger_class": "servicechain.logging.GunicornLogger",
        # A sync worker is silent while it serves a request, and gunicorn kills a worker
        # silent for `timeout` seconds: leave room for a large import uploaded through
        # the API (`servicechain import` on the command line has no limit at all).
        "timeout": 600,
        "keepalive": 5,
        "preload_app": True,
        # No gunicornc here; a shared default socket path would clash between servers.
        "control_socket_disable": True,
    }


def run_gunicorn(application, settings: dict) -> int:
    """Serve a WSGI callable with gunicorn and the given settings (unknown ones skipped)."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            for name, value in settings.items():
                if name in self.cfg.settings:  # control_socket_disable: gunicorn ≥ 25 only
                    self.cfg.set(name, value)

        def load(self):
            return application

    Server().run()
    return 0


def _serve(*, host: str, port: int, workers: int, threads: int) -> int:
    from servicechain.wsgi import application

    return run_gunicorn(
        application, gunicorn_settings(host=host, port=port, workers=workers, threads=threads)
    )


def serve_workers(requested: int | None = None) -> int:
    """Server processes: as asked, else SERVICECHAIN_WORKERS, else 2 × cores + 1."""
    return (
        requested
        or int(os.environ.get("SERVICECHAIN_WORKERS", 0))
        or (2 * (os.cpu_count() or 1) + 1)
    )


def cmd_serve(args: argparse.Namespace) -> int:
    _setup_django()
    if not args.no_task_worker:
        _start_task_worker()
    return _serve(
        host=args.host, port=args.port, workers=serve_workers(args.workers), threads=args.threads
    )


def cmd_simulate(args: argparse.Namespace) -> int:
    from servicechain.simulate import simulate_organisation

    try:
        if args.size:
            organisation = simulate_organisation(size=args.size, seed=args.seed)
        else:
            organisation = simulate_organisation(
                units=args.units, months=args.months, employees=args.employees, seed=args.seed
            )
    except ValueError as problem:  # sizes that cannot make an organisation
        raise CommandLineError(str(problem)) from None
    out = Path(args.out)
    organisation.write(out)
    print(f"Wrote the synthetic organisation to {out}/ (ground truth in ground_truth.json)")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    _setup_django()
    from servicechain.org import services
    from servicechain.org.imports import ImportFailed

    organization = _organization(args.org)
    if organization is None:
        return 2
    path = Path(args.file)
    if not path.is_file():
        print(f"error: {path} does not exist or is not a file", file=sys.stderr)
        return 2
    try:
        report = services.import_file(
            organization=organization,
            kind=args.kind,
            path=path,
            dry_run=args.dry_run,
            options=_import_options(args),
        )
    except ImportFailed as failure:
        print(
            f"error: {path.name} was rejected with {failure.total} error(s); nothing was imported.",
            file=sys.stderr,
        )
        for error in failure.errors:
            print(f"  {error}", file=sys.stderr)
        if failure.total > len(failure.errors):
            print(f"  … and {failure.total - len(failure.errors)} more", file=sys.stderr)
        return 1
    verb = "would import" if report.dry_run else "imported"
    print(
        f"{path.name}: {verb} {report.rows} {report.kind} rows "
        f"({report.created} new, {report.updated} updated) into {organization.slug}"
        + (" — dry run, nothing written" if report.dry_run else "")
    )
    return 0


def _import_options(args: argparse.Namespace) -> dict:
    """Options of kinds that need more than the file (responses: the wave and column mapping)."""
    options = {}
    if args.wave:
        options["wave"] = args.wave
    if args.mapping:
        try:
            options["mapping"] = json.loads(Path(args.mapping).read_text(encoding="utf-8"))
        except (OSError, ValueError) as problem:
            raise CommandLineError(f"--mapping {args.mapping}: {problem}") from None
    return options


def _organization(slug: str | None):
    from servicechain.org.models import Organization

    if slug:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            print(
                f"error: no organisation {slug!r}; create it with "
                f'`servicechain manage create_organisation {slug} "Name"`',
                file=sys.stderr,
            )
        return organization
    organizations = list(Organization.objects.all()[:2])
    if len(organizations) == 1:
        return organizations[0]
    print("error: say which organisation with --org SLUG", file=sys.stderr)
    return None


def cmd_manage(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["servicechain manage", *args.args])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="servicechain", description="The service-profit chain, run employee-first."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="seed a synthetic organisation into SQLite and serve it")
    demo.add_argument("--db", default="servicechain-demo.sqlite3", help="SQLite file")
    demo.add_argument("--size", choices=["small", "medium", "large"], default="small")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--no-serve", action="store_true", help="seed and exit")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="serve the app on the configured database")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=0, help="processes (default 2×cores+1)")
    serve.add_argument(
        "--threads",
        type=int,
        default=SERVE_THREADS,
        help="threads per process: 1 = gunicorn's sync worker, one request at a time per "
        "process (the default; put a reverse proxy in front); above 1 = gthread, keep-alive",
    )
    serve.add_argument(
        "--no-task-worker",
        action="store_true",
        help="do not start a background-task worker (run `servicechain manage task_worker` elsewhere)",
    )
    serve.set_defaults(func=cmd_serve)

    simulate = sub.add_parser("simulate", help="write a synthetic organisation as CSV files")
    simulate.add_argument("--size", choices=["small", "medium", "large", "xlarge"])
    simulate.add_argument("--units", type=int, default=20)
    simulate.add_argument("--months", type=int, default=12)
    simulate.add_argument("--employees", type=int, default=None)
    simulate.add_argument("--seed", type=int, default=0)
    simulate.add_argument("--out", required=True)
    simulate.set_defaults(func=cmd_simulate)

    imp = sub.add_parser("import", help="import a CSV/XLSX file atomically")
    imp.add_argument(
        "kind",
        choices=["units", "employees", "customers", "interactions", "transactions", "responses"],
    )
    imp.add_argument("file")
    imp.add_argument("--org", default=None, help="organisation slug")
    imp.add_argument("--dry-run", action="store_true", help="check the file, write nothing")
    imp.add_argument("--wave", help="responses: the wave (id or name) the responses belong to")
    imp.add_argument(
        "--mapping", help="responses: JSON file mapping the file's columns to item codes"
    )
    imp.set_defaults(func=cmd_import)

    manage = sub.add_parser("manage", help="Django management commands", add_help=False)
    manage.add_argument("args", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CommandLineError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    except OSError as problem:  # a folder or file that cannot be read or written
        print(f"error: {problem}", file=sys.stderr)
        return 2
    except Exception as problem:
        message = _database_problem(problem)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 2


def _database_problem(problem: Exception) -> str | None:
    """One line for a database that is unreachable or not migrated; None for anything else."""
    if "django.db" not in sys.modules:
        return None
    from django.db import DatabaseError, connection

    if not isinstance(problem, DatabaseError):
        return None
    name = connection.settings_dict.get("NAME")
    first_line = str(problem).strip().splitlines()[0] if str(problem).strip() else ""
    return (
        f"the database {name} cannot be used ({type(problem).__name__}: {first_line}); "
        "is it running, and migrated (`servicechain manage migrate`)?"
    )


if __name__ == "__main__":
    sys.exit(main())
