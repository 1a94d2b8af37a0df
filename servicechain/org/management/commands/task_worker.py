"""`servicechain manage task_worker [db_worker's options]`: the background-task worker.

django-tasks-db's `db_worker`, outliving database outages and failing the tasks of workers
that died (see servicechain.worker). `servicechain serve` and `demo` run it for you.
"""

from django_tasks_db.management.commands import db_worker

from servicechain import worker


class Command(db_worker.Command):
    help = (
        "Run the background-task worker: db_worker, carrying on after database outages and "
        "failing the tasks of workers on this machine that ended mid-task."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(worker_id=worker.worker_id())

    def handle(self, *args, **options):
        worker.run(
            lambda: super(Command, self).handle(*args, **options), worker=options["worker_id"]
        )
