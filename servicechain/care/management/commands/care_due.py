"""`servicechain manage care_due`: tell managers of check-ins after an incident that fall due,
and escalate overdue ones to the next manager up. Run it hourly or daily; nobody is told the
same thing twice."""

from django.core.management.base import BaseCommand

from servicechain.care.services import checkins_due
from servicechain.care.tasks import care_due


class Command(BaseCommand):
    help = (
        "Notify managers of check-ins (about 72 hours and a month after a serious incident) "
        "that fall due, and escalate those overdue beyond the policy's hours, once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue", action="store_true", help="queue it as a background task instead"
        )

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            result = care_due.enqueue()
            self.stdout.write(f"Queued care task {result.id}.")
            return
        result = checkins_due()
        self.stdout.write(
            f"Check-ins due: {result['told']} manager(s) told, {result['escalated']} escalated."
        )
