"""`servicechain manage recognition_daily [--enqueue]`: run every organisation's achievement
rules and send managers their weekly nudge about people not recognised for 60 days."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from servicechain.org.models import Organization


def run_daily() -> dict:
    from servicechain.recognition import services
    from servicechain.recognition.models import AchievementRun
    from servicechain.recognition.tasks import execute

    out = {"awarded": 0, "managers_nudged": 0}
    for organization in Organization.objects.order_by("pk"):
        run = AchievementRun.objects.create(organization=organization)
        execute(run.pk)
        run.refresh_from_db()
        out["awarded"] += run.awarded
        out["managers_nudged"] += services.unrecognised_nudges_send(organization=organization)
    return out


class Command(BaseCommand):
    help = "Award badges whose rules now hold and nudge managers (run it daily)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue", action="store_true", help="Hand it to the task worker instead."
        )

    def handle(self, *args, **options):
        if options["enqueue"]:
            from servicechain.recognition.tasks import recognition_daily

            recognition_daily.enqueue()
            self.stdout.write("Queued the daily recognition run for the task worker.")
            return
        out = run_daily()
        self.stdout.write(
            f"{out['awarded']} badge(s) awarded; {out['managers_nudged']} manager(s) nudged."
        )
