"""The background-task worker: django-tasks-db's `db_worker`, made to outlive what stops it.

`servicechain manage task_worker` (what `servicechain serve` and `demo` start, and what a
deployment that runs workers on their own should run) is `db_worker` with these additions:

* It outlives the database going away (a restart, a failover, a cut connection). db_worker
  ends at the first failed query, leaving the queue without a worker; this one says so in
  one line, waits and carries on.
* Its worker id says where it runs: ``<host>:<pid>:<process start time>``. A task left
  RUNNING under the id of a process that no longer exists was lost with that process
  (kill -9, the out-of-memory killer, a reboot); db_worker would leave it RUNNING for ever,
  and the job page showing it would say "running" for ever.
* On start, and whenever it carries on after the database came back, it fails such lost
  tasks with a reason and sends django-tasks' `task_finished`, on which each app fails the
  job its pages show (contactcentre.tasks, insights.tasks). A lost task is not run again by
  itself: its work may have been half-way through sending e-mails, say. Jobs write their
  results in one transaction at the end, so a lost job leaves nothing half-applied, and the
  person who started it can start it again.

Only tasks of workers on this machine are judged; another machine's workers see to theirs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from pathlib import Path

from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from servicechain.health import DATABASE_UNAVAILABLE

logger = logging.getLogger(__name__)

# Seconds between attempts while the database cannot be reached.
RETRY_S = 5.0


class WorkerLost(Exception):
    """Recorded on a task whose worker process ended while it ran the task."""


def worker_id() -> str:
    """This process's worker id: host, pid and start time (random where /proc has none)."""
    pid = os.getpid()
    return f"{_host()}:{pid}:{_started(pid) or secrets.token_hex(4)}"


def tasks_lost_fail(*, worker: str) -> int:
    """Fail the RUNNING tasks whose worker on this machine has gone; how many there were.

    `worker` is the id of the calling worker, which runs no task while it calls this:
    a task still RUNNING under its own id was lost when its loop broke off.
    """
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    failed = 0
    for result in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        last = result.worker_ids[-1] if result.worker_ids else ""
        if not _gone(last, own=worker):
            continue
        reason = (
            f"{WorkerLost.__name__}: the worker {last} ended while it ran this task "
            "(killed, out of memory or the machine restarted); the task was not run again."
        )
        with transaction.atomic():
            marked = DBTaskResult.objects.filter(
                pk=result.pk, status=TaskResultStatus.RUNNING
            ).update(
                status=TaskResultStatus.FAILED,
                finished_at=timezone.now(),
                exception_class_path=f"{__name__}.{WorkerLost.__name__}",
                traceback=reason,
                return_value=None,
            )
        if marked:
            failed += 1
            logger.warning("Task %s (%s) failed: %s", result.pk, result.task_path, reason)
            result.refresh_from_db()
            _announce_finished(result)
    return failed


def _announce_finished(result) -> None:
    """django-tasks' `task_finished`, as db_worker sends it, so apps can fail their jobs."""
    from django.core.exceptions import SuspiciousOperation
    from django_tasks.signals import task_finished

    try:
        task_result = result.task_result
        backend = type(result.task.get_backend())
    except (ImportError, SuspiciousOperation):
        logger.warning("Task %s names no task that exists now (%s)", result.pk, result.task_path)
        return
    task_finished.send(sender=backend, task_result=task_result)


def run(loop: Callable[[], None], *, worker: str) -> None:
    """Run db_worker's `loop`, failing lost tasks first, and again after each outage."""
    while True:
        try:
            tasks_lost_fail(worker=worker)
            loop()
            return
        except DATABASE_UNAVAILABLE as problem:
            first_line = str(problem).strip().splitlines()[0] if str(problem).strip() else ""
            logger.warning(
                "Task worker: the database cannot be reached (%s); trying again in %.0f s",
                first_line,
                RETRY_S,
            )
            with contextlib.suppress(DatabaseError):
                connections.close_all()
            time.sleep(RETRY_S)


def _host() -> str:
    return socket.gethostname()[:32]


def _started(pid: int) -> str | None:
    """When process `pid` started (Linux: clock ticks since boot); None if it does not exist.

    The start time tells a process from a later one that was given the same pid. Without
    /proc it is "" for any process that exists.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        if Path("/proc/self/stat").exists():
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return ""
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, after the parenthesised name


def _gone(worker: str, *, own: str) -> bool:
    """Whether `worker` (a worker id) is this machine's and its process has ended."""
    host, _, rest = worker.partition(":")
    pid, _, started = rest.partition(":")
    if host != _host() or not pid.isdigit():
        return False  # another machine's worker, or an id of another kind: not ours to judge
    if worker == own:
        return True
    now = _started(int(pid))
    return now is None or (now != "" and now != started)
