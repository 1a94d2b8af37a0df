"""kill -9 of the task worker in the middle of a job: the job fails with a reason, is never
left "running", and leaves nothing half-done; the server starts another worker by itself."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import time
from pathlib import Path

from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from servicechain.contactcentre import services
from servicechain.contactcentre.models import PlanningJob, Schedule
from servicechain.contactcentre.tasks import JOB_LOST
from tests.contactcentre.test_planning import FIRST_DAY, planning_team
from tests.faults.conftest import environment

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Long enough that polling the job (on SQLite, a copy of the whole database per look) on a
# loaded machine cannot miss the days between the third and the last: with 7 days a CI run
# once found the job already finished.
DAYS = 21


def task_workers(session: int) -> set[int]:
    """Pids of the `task_worker` processes in the server's session."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if b"task_worker" in cmdline and int(stat[3]) == session and stat[0] != "Z":
            found.add(int(pid))
    return found


def day_being_planned(job: PlanningJob) -> int:
    """1, 2, … from the job's progress message "Planning <day> (k of n)"; 0 before."""
    found = re.search(r"\((\d+) of \d+\)", job.message)
    return int(found.group(1)) if found else 0


def poll(read, until, timeout: float, step: float = 0.05):
    """`read()` again and again until `until(value)`; the value (AssertionError on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if until(value):
            return value
        assert time.monotonic() < deadline, f"still {value!r} after {timeout} s"
        time.sleep(step)


def test_kill_9_of_the_task_worker_mid_job_fails_the_job_and_keeps_nothing_of_it(
    shared_database, servers, tmp_path
):
    team, _ = planning_team(agents=6)
    services.forecast_create(team=team, first_day=FIRST_DAY, horizon_days=DAYS)
    parameters = {"first_day": FIRST_DAY.isoformat(), "days": DAYS, "time_limit_s": 1.0}
    with override_settings(TASKS=DB_TASKS):
        job = services.planning_job_start(team=team, kind="schedule", parameters=parameters)
    assert job.status == PlanningJob.Status.QUEUED
    shared_database.publish()
    env = environment(shared_database.url)
    server = servers(env, tmp_path / "serve.log", workers=1, task_worker=True).start()

    def job_now(pk: int = job.pk) -> PlanningJob:
        shared_database.refresh()
        return PlanningJob.objects.get(pk=pk)

    # Days are solved one after the other: from the third on, two are done.
    poll(job_now, lambda j: day_being_planned(j) >= 3 or j.is_finished, timeout=120)
    (worker,) = task_workers(server.process.pid)
    os.kill(worker, signal.SIGKILL)

    failed = poll(job_now, lambda j: j.is_finished, timeout=90)
    assert failed.status == PlanningJob.Status.FAILED, (failed.message, server.output())
    assert failed.message == JOB_LOST
    assert not Schedule.objects.filter(team=team).exists(), "no plan of the stopped job is kept"
    task = DBTaskResult.objects.get(pk=job.task_id)
    assert task.status == "FAILED" and task.exception_class_path.endswith("WorkerLost")
    replaced = task_workers(server.process.pid)
    assert replaced and worker not in replaced, "the server started another task worker"

    with override_settings(TASKS=DB_TASKS):
        again = services.planning_job_start(
            team=team, kind="schedule", parameters=parameters | {"days": 2}
        )
    shared_database.publish()
    done = poll(lambda: job_now(again.pk), lambda j: j.is_finished, timeout=90)
    assert done.status == PlanningJob.Status.SUCCEEDED, done.message
    days = Schedule.objects.filter(team=team).values_list("day", flat=True)
    assert sorted(days) == [FIRST_DAY, FIRST_DAY + dt.timedelta(days=1)]
