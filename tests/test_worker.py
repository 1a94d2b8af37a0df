"""The task worker fails the tasks of workers that died, and only those (servicechain.worker).

Killing a real worker mid-task is tests/faults/test_worker_killed.py; these tests claim tasks
under chosen worker ids and check what a starting worker makes of them.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from servicechain import worker
from servicechain.contactcentre import services
from servicechain.contactcentre.models import PlanningJob
from servicechain.contactcentre.tasks import JOB_LOST
from servicechain.insights.models import AnalysisRun
from servicechain.insights.tasks import RUN_LOST, run_analysis
from tests.contactcentre.helpers import make_centre
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def job_claimed_by(worker_id: str) -> PlanningJob:
    """A forecast job whose task a worker with `worker_id` claimed and was running."""
    with override_settings(TASKS=DB_TASKS):
        job = services.planning_job_start(
            team=make_centre(), kind="forecast", parameters={"first_day": "2030-02-04"}
        )
    DBTaskResult.objects.get(pk=job.task_id).claim(worker_id)
    PlanningJob.objects.filter(pk=job.pk).update(status=PlanningJob.Status.RUNNING, progress=40)
    return job


def ended_process_id() -> str:
    """The worker id a process on this machine had, which has ended since."""
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    return f"{worker._host()}:{ended.pid}:12345"


def test_a_task_whose_worker_died_is_failed_and_so_is_its_job():
    job = job_claimed_by(ended_process_id())

    assert worker.tasks_lost_fail(worker=worker.worker_id()) == 1

    task = DBTaskResult.objects.get(pk=job.task_id)
    assert task.status == "FAILED"
    assert task.exception_class_path == "servicechain.worker.WorkerLost"
    assert "ended while it ran this task" in task.traceback
    job.refresh_from_db()
    assert (job.status, job.message) == (PlanningJob.Status.FAILED, JOB_LOST)
    assert job.finished_at is not None


def test_an_analysis_whose_worker_died_is_failed_with_a_reason():
    run = AnalysisRun.objects.create(
        organization=OrganizationFactory(), kind=AnalysisRun.Kind.LINKAGE, fingerprint="f"
    )
    with override_settings(TASKS=DB_TASKS):
        task = run_analysis.enqueue(run.pk)
    DBTaskResult.objects.get(pk=task.id).claim(ended_process_id())
    AnalysisRun.objects.filter(pk=run.pk).update(status=AnalysisRun.Status.RUNNING)

    assert worker.tasks_lost_fail(worker=worker.worker_id()) == 1

    run.refresh_from_db()
    assert (run.status, run.error) == (AnalysisRun.Status.FAILED, RUN_LOST)


def test_a_task_left_running_under_the_worker_s_own_id_is_failed():
    # A worker looks only while it runs nothing: whatever it still "runs" was lost when its
    # loop broke off (the database went away mid-task).
    own = worker.worker_id()
    job = job_claimed_by(own)

    assert worker.tasks_lost_fail(worker=own) == 1
    assert DBTaskResult.objects.get(pk=job.task_id).status == "FAILED"


@pytest.mark.parametrize(
    "running_under",
    [
        pytest.param(lambda: worker.worker_id(), id="a live worker on this machine"),
        pytest.param(lambda: f"elsewhere:{os.getpid()}:1", id="another machine's worker"),
        pytest.param(lambda: "AxbPuZf2N2KbBc1DbgdCsF11N9AK18nd", id="a plain db_worker id"),
    ],
)
def test_tasks_of_live_or_unknown_workers_are_left_running(running_under):
    job = job_claimed_by(running_under())

    assert worker.tasks_lost_fail(worker="this-host:1:1") == 0

    assert DBTaskResult.objects.get(pk=job.task_id).status == "RUNNING"
    job.refresh_from_db()
    assert job.status == PlanningJob.Status.RUNNING


def test_a_new_process_given_a_dead_worker_s_pid_does_not_keep_its_task():
    # After a restart (a container's, say) pids come round again; the start time tells.
    pid = os.getpid()
    job = job_claimed_by(f"{worker._host()}:{pid}:1")

    assert worker.tasks_lost_fail(worker=worker.worker_id()) == 1
    assert DBTaskResult.objects.get(pk=job.task_id).status == "FAILED"


def test_worker_ids_fit_db_worker_s_limit():
    assert len(worker.worker_id()) <= 64
